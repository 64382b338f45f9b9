/**
 * CompressionCodec: gzip and brotli round trips of every payload kind, the size threshold
 * and "only when smaller" rule, 2 MiB payloads, pass-through, and the bounded
 * decompression that refuses bombs; corrupt and unknown input get their own codes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { CompressionCodec, type CompressionAlgorithm } from '../../codecs/index';
import { BastionError, CodecError } from '../../src/common/errors';
import { decodeUtf8, defaultPayloadConverter, encodeUtf8, type Payload } from '../../src/converter';
import { DecodeBudget, InFlightBytes, runWithDecodeBudget, Semaphore } from '../../codecs/decode-budget';
import { rejectionOf } from '../helpers/test-codec';
import { timed } from '../helpers/wait';

const test = suite('codecs: compression codec');

const enc = (p: Payload) => decodeUtf8(p.metadata!.encoding!);
const bytes = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array(0));
const text = 'the quick brown fox jumps over the lazy dog; '.repeat(100);

function payloadKinds(): Array<[string, Payload, unknown]> {
  const message = temporal.api.common.v1.WorkflowExecution.create({ workflowId: text, runId: 'r1' });
  return [
    ['binary/null', defaultPayloadConverter.toPayload(undefined), undefined],
    ['binary/plain', defaultPayloadConverter.toPayload(encodeUtf8(text)), encodeUtf8(text)],
    ['json/plain', defaultPayloadConverter.toPayload({ text }), { text }],
    ['json/protobuf', defaultPayloadConverter.toPayload(message), { workflowId: text, runId: 'r1' }],
  ];
}

const rejection = (p: Promise<unknown>): Promise<BastionError> => rejectionOf(p, CodecError);

for (const algorithm of ['gzip', 'brotli'] as CompressionAlgorithm[]) {
  test(
    `${algorithm}: every payload kind round-trips; large ones are compressed, small ones left alone`,
    timed(10_000, async () => {
      const codec = new CompressionCodec({ algorithm });
      const kinds = payloadKinds();
      const wire = await codec.encode(kinds.map(([, p]) => p));
      assert.is(wire[0], kinds[0]![1], 'binary/null is below the threshold: same object');
      for (const w of wire.slice(1)) {
        assert.is(enc(w), 'binary/compressed');
        assert.is(decodeUtf8(w.metadata!.compression!), algorithm === 'gzip' ? 'gzip' : 'br');
        assert.ok(w.data!.byteLength < text.length / 5);
      }
      const back = await codec.decode(wire);
      kinds.forEach(([kind, p, value], i) => {
        assert.ok(bytes(back[i]!.data).equals(bytes(p.data)), kind);
        assert.equal(defaultPayloadConverter.fromPayload(back[i]!), value, kind);
      });
    }),
  );
}

test(
  'payloads below thresholdBytes or that do not shrink are returned unchanged; empty lists stay empty',
  timed(5_000, async () => {
    const codec = new CompressionCodec({ thresholdBytes: 4096 });
    assert.equal(await codec.encode([]), []);
    assert.equal(await codec.decode([]), []);
    const small = defaultPayloadConverter.toPayload('x'.repeat(2000));
    assert.is((await codec.encode([small]))[0], small);
    const random = defaultPayloadConverter.toPayload(crypto.randomBytes(8192));
    assert.is((await new CompressionCodec().encode([random]))[0], random, 'incompressible data stays as it is');
  }),
);

test(
  '2 MiB payloads round-trip with both algorithms',
  timed(15_000, async () => {
    const big = defaultPayloadConverter.toPayload({ rows: Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `row-${i}`, ok: i % 3 === 0 })) });
    assert.ok(big.data!.byteLength > 1024 * 1024);
    for (const algorithm of ['gzip', 'brotli'] as const) {
      const codec = new CompressionCodec({ algorithm });
      const [wire] = await codec.encode([big]);
      assert.ok(wire!.data!.byteLength < big.data!.byteLength / 4);
      const [back] = await codec.decode([wire!]);
      assert.ok(bytes(back!.data).equals(bytes(big.data)));
    }
  }),
);

test(
  'payloads of other encodings pass through decode unchanged; one codec reads both algorithms',
  timed(5_000, async () => {
    const plain = defaultPayloadConverter.toPayload({ text });
    const [br] = await new CompressionCodec({ algorithm: 'brotli' }).encode([plain]);
    const out = await new CompressionCodec({ algorithm: 'gzip' }).decode([plain, br!]);
    assert.is(out[0], plain);
    assert.ok(bytes(out[1]!.data).equals(bytes(plain.data)));
  }),
);

test(
  'a decompression bomb is refused at maxDecompressedBytes',
  timed(15_000, async () => {
    const inner = temporal.api.common.v1.Payload.encode({ metadata: { encoding: encodeUtf8('binary/plain') }, data: new Uint8Array(8 * 1024 * 1024) }).finish();
    for (const [algorithm, data] of [
      ['gzip', zlib.gzipSync(inner, { level: 9 })],
      ['br', zlib.brotliCompressSync(inner)],
    ] as const) {
      assert.ok(data.byteLength < 64 * 1024, `${algorithm} bomb is small`);
      const bomb = { metadata: { encoding: encodeUtf8('binary/compressed'), compression: encodeUtf8(algorithm) }, data };
      const err = await rejection(new CompressionCodec({ maxDecompressedBytes: 1024 * 1024 }).decode([bomb]));
      assert.is(err.code, 'ERR_CODEC_TOO_LARGE', algorithm);
      assert.match(err.message, /payload 1 of 1 inflates past `maxDecompressedBytes` \(1048576 bytes\)/);
      // Under the default 64 MiB limit the same payload is fine.
      const [ok] = await new CompressionCodec().decode([bomb]);
      assert.is(ok!.data!.byteLength, 8 * 1024 * 1024);
    }
  }),
);

test(
  'inside a decode budget, decompression streams and stops at the budget, for gzip and brotli alike',
  timed(15_000, async () => {
    const inner = temporal.api.common.v1.Payload.encode({ metadata: { encoding: encodeUtf8('binary/plain') }, data: new Uint8Array(8 * 1024 * 1024) }).finish();
    for (const [algorithm, data] of [
      ['gzip', zlib.gzipSync(inner, { level: 9 })],
      ['br', zlib.brotliCompressSync(inner)],
    ] as const) {
      const bomb = { metadata: { encoding: encodeUtf8('binary/compressed'), compression: encodeUtf8(algorithm) }, data };
      const limits = { maxDecodedBytesPerRequest: 1024 * 1024, maxInFlightBytes: 64 * 1024 * 1024 };
      const inFlight = new InFlightBytes(limits.maxInFlightBytes);
      const budget = new DecodeBudget(limits, inFlight, new Semaphore(2));
      const err = await rejection(runWithDecodeBudget(budget, () => new CompressionCodec().decode([bomb, bomb, bomb])));
      assert.is(err.code, 'ERR_CODEC_TOO_LARGE', algorithm);
      assert.match(err.message, /`maxDecodedBytesPerRequest` \(1048576 bytes\)/);
      assert.is(budget.exceeded, 'request');
      assert.ok(budget.decoded <= limits.maxDecodedBytesPerRequest, `${algorithm}: decoded ${budget.decoded} bytes, no more than the budget`);
      budget.release();
      assert.is(inFlight.used, 0, 'everything given back');
      // The shared in-flight bytes run out first: ERR_CODEC_SERVER_BUSY.
      const shared = new InFlightBytes(512 * 1024);
      const busy = new DecodeBudget({ maxDecodedBytesPerRequest: 32 * 1024 * 1024, maxInFlightBytes: 512 * 1024 }, shared, new Semaphore(1));
      assert.is((await rejection(runWithDecodeBudget(busy, () => new CompressionCodec().decode([bomb])))).code, 'ERR_CODEC_SERVER_BUSY');
      assert.is(busy.exceeded, 'in-flight');
      // Within budget the payload decodes as without one.
      const roomy = new DecodeBudget(
        { maxDecodedBytesPerRequest: 16 * 1024 * 1024, maxInFlightBytes: 64 * 1024 * 1024 },
        new InFlightBytes(64 * 1024 * 1024),
        new Semaphore(1),
      );
      const [ok] = await runWithDecodeBudget(roomy, () => new CompressionCodec().decode([bomb]));
      assert.is(ok!.data!.byteLength, 8 * 1024 * 1024);
      assert.is(roomy.decoded, inner.byteLength);
    }
  }),
);

test(
  'corrupt or truncated data, missing metadata and unknown algorithms get their own codes',
  timed(5_000, async () => {
    const codec = new CompressionCodec();
    const [wire] = await codec.encode([defaultPayloadConverter.toPayload({ text })]);
    const truncated = await rejection(codec.decode([{ metadata: wire!.metadata, data: wire!.data!.subarray(0, 20) }]));
    assert.is(truncated.code, 'ERR_CODEC_MALFORMED');
    assert.match(truncated.message, /is not valid gzip data/);
    assert.not.ok(truncated.message.includes('quick brown fox'), 'no plaintext');
    const garbage = await rejection(codec.decode([{ metadata: { ...wire!.metadata, compression: encodeUtf8('br') }, data: wire!.data }]));
    assert.is(garbage.code, 'ERR_CODEC_MALFORMED');
    const noAlgo = await rejection(codec.decode([{ metadata: { encoding: wire!.metadata!.encoding! }, data: wire!.data }]));
    assert.match(noAlgo.message, /no `compression` metadata/);
    const zstd = await rejection(codec.decode([{ metadata: { ...wire!.metadata, compression: encodeUtf8('zstd') }, data: wire!.data }]));
    assert.is(zstd.code, 'ERR_CODEC_UNSUPPORTED');
    assert.match(zstd.message, /has a `compression` this codec does not read; it reads `gzip` and `br`/);
    assert.not.ok(zstd.message.includes('zstd'), 'the value (decrypted metadata, when inside an encrypted payload) is not repeated');
  }),
);

test('bad options are refused with ERR_INVALID_OPTION naming the option', () => {
  for (const [options, pattern] of [
    [{ algorithm: 'zip' }, /`algorithm` must be `gzip` or `brotli`/],
    [{ thresholdBytes: -1 }, /`thresholdBytes` must be an integer ≥ 0/],
    [{ level: 10 }, /`level` must be an integer from 1 to 9 for gzip/],
    [{ algorithm: 'brotli', level: 12 }, /from 0 to 11 for brotli/],
    [{ maxDecompressedBytes: 0 }, /`maxDecompressedBytes` must be a positive integer/],
  ] as const) {
    try {
      new CompressionCodec(options as never);
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as BastionError).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, pattern);
    }
  }
  assert.is(String(new CompressionCodec()), 'CompressionCodec { algorithm: gzip, thresholdBytes: 1024, level: 6, maxDecompressedBytes: 67108864 }');
});

test.run();
