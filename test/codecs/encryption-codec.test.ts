/**
 * EncryptionCodec: round trips of every payload kind on both cipher engines (which must
 * read each other's bytes and match libsodium), the chain with compression, and every way
 * a ciphertext can be attacked or damaged — wrong key, tampering, swapped key id, moved to
 * another workflow, truncation, unknown version — each with its code and a message free of
 * plaintext and key bytes. Also: the official SDK's `PayloadCodec` type accepts the codec.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import type * as official from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import sodium from 'libsodium-wrappers';
import { CompressionCodec, EncryptionCodec, KeyRing, decodePayloads, encodePayloads, type CodecContext, type PayloadCodec } from '../../codecs/index';
import { associatedData } from '../../codecs/encryption-codec';
import { BastionError, CodecError } from '../../src/common/errors';
import { decodeUtf8, defaultPayloadConverter, encodeUtf8, type Payload } from '../../src/converter';
import { rejectionOf } from '../helpers/test-codec';
import { timed } from '../helpers/wait';

const test = suite('codecs: encryption codec');

const SECRET = 'plaintext-secret-4242-card';
const K1 = KeyRing.generateKey();
const K2 = KeyRing.generateKey();
const ring = new KeyRing({ active: 'k1', keys: { k1: K1, k2: K2 } });
const CTX: CodecContext = { namespace: 'default', workflowId: 'order-1' };

/** One payload of each kind Bastion's default converter writes. */
function payloadKinds(): Array<[string, Payload, unknown]> {
  const message = temporal.api.common.v1.WorkflowExecution.create({ workflowId: SECRET, runId: 'r1' });
  return [
    ['binary/null', defaultPayloadConverter.toPayload(undefined), undefined],
    ['binary/plain', defaultPayloadConverter.toPayload(encodeUtf8(SECRET)), encodeUtf8(SECRET)],
    ['json/plain', defaultPayloadConverter.toPayload({ secret: SECRET, n: [1, 2] }), { secret: SECRET, n: [1, 2] }],
    ['json/protobuf', defaultPayloadConverter.toPayload(message), { workflowId: SECRET, runId: 'r1' }],
  ];
}

const enc = (p: Payload) => decodeUtf8(p.metadata!.encoding!);
const meta = (p: Payload, k: string) => (p.metadata?.[k] ? decodeUtf8(p.metadata[k]!) : undefined);
const bytes = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array(0));

function assertSamePayload(actual: Payload, expected: Payload): void {
  assert.equal(Object.keys(actual.metadata ?? {}).sort(), Object.keys(expected.metadata ?? {}).sort());
  for (const [k, v] of Object.entries(expected.metadata ?? {})) assert.ok(bytes(actual.metadata![k]).equals(bytes(v)), `metadata ${k}`);
  assert.ok(bytes(actual.data).equals(bytes(expected.data)), 'data');
  assert.ok(actual.data instanceof Uint8Array, 'data is a Uint8Array');
}

const rejection = (p: Promise<unknown>): Promise<BastionError> => rejectionOf(p, CodecError);

/** Asserts no secret reaches a string a user might see. */
function assertClean(text: string): void {
  assert.not.ok(text.includes(SECRET), 'plaintext leaked');
  for (const key of [K1, K2]) {
    assert.not.ok(text.includes(Buffer.from(key).toString('base64')), 'key (base64) leaked');
    assert.not.ok(text.includes(Buffer.from(key).toString('hex')), 'key (hex) leaked');
    assert.not.ok(text.includes([...key].join(',')), 'key (bytes) leaked');
  }
}

for (const engine of ['libsodium', 'openssl', 'auto'] as const) {
  test(
    `${engine}: every payload kind round-trips and decodes to the original value`,
    timed(10_000, async () => {
      const codec = await EncryptionCodec.create({ keyRing: ring, engine });
      assert.is(codec.engine, engine);
      for (const [kind, payload, value] of payloadKinds()) {
        const [wire] = await codec.encode([payload]);
        assert.is(enc(wire!), 'binary/encrypted', kind);
        assert.is(meta(wire!, 'encryption-key-id'), 'k1');
        assert.is(meta(wire!, 'encryption-cipher'), 'xchacha20poly1305-v1');
        assert.is(meta(wire!, 'encryption-binding'), undefined, 'unbound by default');
        assert.not.ok(bytes(wire!.data).includes(SECRET), `${kind}: ciphertext holds no plaintext`);
        const [back] = await codec.decode([wire!]);
        assertSamePayload(back!, payload);
        assert.equal(defaultPayloadConverter.fromPayload(back!), value, kind);
      }
    }),
  );
}

test(
  "the two engines read each other's payloads, and both match libsodium's AEAD byte for byte",
  timed(10_000, async () => {
    const a = await EncryptionCodec.create({ keyRing: ring, engine: 'libsodium' });
    const b = await EncryptionCodec.create({ keyRing: ring, engine: 'openssl' });
    const payloads = [...payloadKinds().map(([, p]) => p), defaultPayloadConverter.toPayload(new Uint8Array(20_000).fill(7))];
    assert.equal(
      (await b.decode(await a.encode(payloads, CTX), CTX)).map((p) => bytes(p.data).toString('hex')),
      payloads.map((p) => bytes(p.data).toString('hex')),
    );
    const fromB = await b.encode(payloads);
    const viaA = await a.decode(fromB);
    payloads.forEach((p, i) => assertSamePayload(viaA[i]!, p));
    // Independent check against libsodium: open what the openssl engine sealed.
    await sodium.ready;
    const wire = fromB[2]!.data!;
    const ad = associatedData('k1', [], undefined);
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, wire.subarray(24), ad, wire.subarray(0, 24), K1);
    assert.ok(Buffer.from(plain).equals(Buffer.from(temporal.api.common.v1.Payload.encode(payloads[2]!).finish())));
  }),
);

test(
  'the chain [compression, encryption] encodes in array order and decodes in reverse',
  timed(10_000, async () => {
    const codecs: PayloadCodec[] = [new CompressionCodec({ thresholdBytes: 64 }), await EncryptionCodec.create({ keyRing: ring })];
    const big = defaultPayloadConverter.toPayload({ rows: Array.from({ length: 200 }, (_, i) => ({ i, secret: SECRET })) });
    const inputs = [...payloadKinds().map(([, p]) => p), big];
    const wire = await encodePayloads(codecs, inputs, CTX);
    assert.ok(wire.every((p) => enc(p) === 'binary/encrypted'));
    // Encryption ran last: decrypting alone reveals the compressed payload.
    const inner = await codecs[1]!.decode([wire[4]!]);
    assert.is(enc(inner[0]!), 'binary/compressed');
    assert.ok(wire[4]!.data!.byteLength < bytes(big.data).byteLength / 5, 'compressed before encryption');
    const back = await decodePayloads(codecs, wire, CTX);
    inputs.forEach((p, i) => assertSamePayload(back[i]!, p));
  }),
);

test(
  'empty lists stay empty, and 2 MiB payloads round-trip',
  timed(15_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring });
    assert.equal(await codec.encode([]), []);
    assert.equal(await codec.decode([]), []);
    const data = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const payload = defaultPayloadConverter.toPayload(data);
    const [wire] = await codec.encode([payload]);
    assert.is(wire!.data!.byteLength > data.byteLength, true);
    const [back] = await codec.decode([wire!]);
    assertSamePayload(back!, payload);
  }),
);

test(
  'payloads that are not encrypted pass through decode unchanged (same objects)',
  timed(5_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring });
    const plain = payloadKinds().map(([, p]) => p);
    const [encrypted] = await codec.encode([plain[2]!]);
    const out = await codec.decode([plain[0]!, encrypted!, plain[3]!]);
    assert.is(out[0], plain[0]);
    assert.is(out[2], plain[3]);
    assertSamePayload(out[1]!, plain[2]!);
  }),
);

test(
  'a key ring with another key under the same id fails authentication, saying nothing was decrypted',
  timed(5_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring });
    const wire = await codec.encode(payloadKinds().map(([, p]) => p));
    const impostor = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k1', keys: { k1: KeyRing.generateKey() } }) });
    const err = await rejection(impostor.decode(wire));
    assert.is(err.code, 'ERR_CODEC_AUTH_FAILED');
    assert.match(err.message, /payload 1 of 4 failed authentication with key id `k1`/);
    assert.match(err.message, /Nothing was decrypted/);
    assertClean(err.message + inspect(err));
  }),
);

test(
  'an unknown key id names the id and the ids the ring knows',
  timed(5_000, async () => {
    const writer = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k9', keys: { k9: KeyRing.generateKey() } }) });
    const wire = await writer.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const err = await rejection((await EncryptionCodec.create({ keyRing: ring })).decode(wire));
    assert.is(err.code, 'ERR_CODEC_KEY_UNKNOWN');
    assert.match(err.message, /key id `k9`/);
    assert.match(err.message, /`k1`, `k2`/);
    assertClean(err.message);
  }),
);

test(
  'tampering with any byte of nonce, ciphertext or tag fails authentication',
  timed(10_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring });
    const [wire] = await codec.encode([defaultPayloadConverter.toPayload({ secret: SECRET })]);
    const n = wire!.data!.byteLength;
    for (const at of [0, 23, 24, 30, n - 17, n - 1]) {
      const data = new Uint8Array(wire!.data!);
      data[at]! ^= 0x01;
      const err = await rejection(codec.decode([{ metadata: wire!.metadata, data }]));
      assert.is(err.code, 'ERR_CODEC_AUTH_FAILED', `byte ${at}`);
      assertClean(err.message);
    }
  }),
);

test(
  'swapping the key id metadata fails authentication rather than giving a wrong plaintext',
  timed(5_000, async () => {
    // The same key under two ids: only the authenticated key id can tell them apart.
    const twin = new KeyRing({ active: 'k1', keys: { k1: K1, k2: K1 } });
    const codec = await EncryptionCodec.create({ keyRing: twin });
    const [wire] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const swapped = { metadata: { ...wire!.metadata, 'encryption-key-id': encodeUtf8('k2') }, data: wire!.data };
    assert.is((await rejection(codec.decode([swapped]))).code, 'ERR_CODEC_AUTH_FAILED');
    // And with two different keys: the swap is refused, not decrypted with k2.
    const codec2 = await EncryptionCodec.create({ keyRing: ring });
    const [wire2] = await codec2.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const swapped2 = { metadata: { ...wire2!.metadata, 'encryption-key-id': encodeUtf8('k2') }, data: wire2!.data };
    assert.is((await rejection(codec2.decode([swapped2]))).code, 'ERR_CODEC_AUTH_FAILED');
  }),
);

test(
  'bindToContext: a ciphertext moved to another workflow or namespace fails; dropping the binding fails too',
  timed(10_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring, bindToContext: true });
    const [wire] = await codec.encode([defaultPayloadConverter.toPayload({ secret: SECRET })], CTX);
    assert.is(meta(wire!, 'encryption-binding'), 'namespace,workflowId');
    const [back] = await codec.decode([wire!], { type: 'workflow', namespace: 'default', workflowId: 'order-1' });
    assert.equal(defaultPayloadConverter.fromPayload(back!), { secret: SECRET });
    const moved = await rejection(codec.decode([wire!], { namespace: 'default', workflowId: 'order-2' }));
    assert.is(moved.code, 'ERR_CODEC_AUTH_FAILED');
    assert.match(moved.message, /moved here from another workflow/);
    assert.is((await rejection(codec.decode([wire!], { namespace: 'other', workflowId: 'order-1' }))).code, 'ERR_CODEC_AUTH_FAILED');
    const missing = await rejection(codec.decode([wire!]));
    assert.is(missing.code, 'ERR_CODEC_CONTEXT_REQUIRED');
    assert.match(missing.message, /`context.namespace` or `context.workflowId`/);
    const partial = await rejection(codec.decode([wire!], { namespace: 'default' }));
    assert.match(partial.message, /without `context.workflowId`/);
    // Stripping the binding metadata so that decode would skip the context check.
    const { ['encryption-binding']: _dropped, ...rest } = wire!.metadata!;
    assert.is(
      (await rejection(codec.decode([{ metadata: rest, data: wire!.data }], { namespace: 'default', workflowId: 'order-2' }))).code,
      'ERR_CODEC_AUTH_FAILED',
    );
    // A decoder without bindToContext still honours the payload's own binding.
    const plainCodec = await EncryptionCodec.create({ keyRing: ring });
    assert.is((await rejection(plainCodec.decode([wire!], { namespace: 'default', workflowId: 'order-2' }))).code, 'ERR_CODEC_AUTH_FAILED');
    // Encoding without a context writes an unbound payload, readable anywhere.
    const [unbound] = await codec.encode([defaultPayloadConverter.toPayload(1)]);
    assert.is(meta(unbound!, 'encryption-binding'), undefined);
    assert.is(defaultPayloadConverter.fromPayload((await codec.decode([unbound!]))[0]!), 1);
    // An official activity context without a workflow id binds the namespace only.
    const [nsOnly] = await codec.encode([defaultPayloadConverter.toPayload(2)], { type: 'activity', namespace: 'default', activityId: 'a1', isLocal: false });
    assert.is(meta(nsOnly!, 'encryption-binding'), 'namespace');
  }),
);

test(
  'truncated data, missing metadata and unknown versions are reported with their own codes',
  timed(5_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring });
    const [wire] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
    for (const len of [0, 10, 39]) {
      const err = await rejection(codec.decode([{ metadata: wire!.metadata, data: wire!.data!.subarray(0, len) }]));
      assert.is(err.code, 'ERR_CODEC_MALFORMED');
      assert.match(err.message, new RegExp(`holds ${len} bytes of encrypted data`));
    }
    assert.is(
      (await rejection(codec.decode([{ metadata: wire!.metadata, data: wire!.data!.subarray(0, 60) }]))).code,
      'ERR_CODEC_AUTH_FAILED',
      'cut inside the ciphertext',
    );
    const noId = { ...wire!.metadata };
    delete noId['encryption-key-id'];
    assert.match((await rejection(codec.decode([{ metadata: noId, data: wire!.data }]))).message, /no `encryption-key-id` metadata/);
    const noCipher = { ...wire!.metadata };
    delete noCipher['encryption-cipher'];
    assert.is((await rejection(codec.decode([{ metadata: noCipher, data: wire!.data }]))).code, 'ERR_CODEC_MALFORMED');
    const v2 = await rejection(codec.decode([{ metadata: { ...wire!.metadata, 'encryption-cipher': encodeUtf8('xchacha20poly1305-v2') }, data: wire!.data }]));
    assert.is(v2.code, 'ERR_CODEC_UNSUPPORTED');
    assert.match(v2.message, /has an `encryption-cipher` this codec does not read; it reads `xchacha20poly1305-v1` only/);
    assert.not.ok(v2.message.includes('-v2'), 'the metadata value is not repeated');
    const badBinding = await rejection(codec.decode([{ metadata: { ...wire!.metadata, 'encryption-binding': encodeUtf8('runId') }, data: wire!.data }], CTX));
    assert.is(badBinding.code, 'ERR_CODEC_MALFORMED');
  }),
);

test(
  'key rotation: payloads written under k1 decode after k2 becomes active; new payloads use k2',
  timed(5_000, async () => {
    const before = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k1', keys: { k1: K1 } }) });
    const old = await before.encode([defaultPayloadConverter.toPayload('old')]);
    const after = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k2', keys: { k1: K1, k2: K2 } }) });
    const fresh = await after.encode([defaultPayloadConverter.toPayload('new')]);
    assert.is(meta(old[0]!, 'encryption-key-id'), 'k1');
    assert.is(meta(fresh[0]!, 'encryption-key-id'), 'k2');
    assert.equal(
      (await after.decode([...old, ...fresh])).map((p) => defaultPayloadConverter.fromPayload(p)),
      ['old', 'new'],
    );
    // The old ring cannot read k2 payloads until it learns k2.
    assert.is((await rejection(before.decode(fresh))).code, 'ERR_CODEC_KEY_UNKNOWN');
  }),
);

test(
  'a provider-backed key ring encrypts with its active key and fetches old keys on demand',
  timed(5_000, async () => {
    const calls: string[] = [];
    const keyRing = KeyRing.fromProvider({
      activeKeyId: async () => {
        calls.push('active');
        return 'k2';
      },
      getKey: async (id) => {
        calls.push(id);
        return id === 'k1' ? K1 : id === 'k2' ? K2 : undefined;
      },
    });
    const codec = await EncryptionCodec.create({ keyRing });
    const old = await (
      await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k1', keys: { k1: K1 } }) })
    ).encode([defaultPayloadConverter.toPayload('old')]);
    const fresh = await codec.encode([defaultPayloadConverter.toPayload('new')]);
    assert.is(meta(fresh[0]!, 'encryption-key-id'), 'k2');
    assert.equal(
      (await codec.decode([...old, ...fresh])).map((p) => defaultPayloadConverter.fromPayload(p)),
      ['old', 'new'],
    );
    await codec.encode([defaultPayloadConverter.toPayload('again')]);
    assert.equal(calls, ['active', 'k2', 'k1'], 'each answer cached');
  }),
);

test(
  'util.inspect, String and JSON of the codec show settings and key ids, never keys; bad options are refused',
  timed(5_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring, bindToContext: true });
    const shown = [inspect(codec, { showHidden: true, depth: 10 }), String(codec), JSON.stringify(codec), inspect({ codec }, { depth: 10 })].join('\n');
    assertClean(shown);
    assert.match(shown, /bindToContext: true/);
    assert.match(shown, /keys: \[k1, k2\]/);
    for (const [options, pattern] of [
      [{ keyRing: { active: 'k1' } }, /`keyRing` must be a `KeyRing`/],
      [{ keyRing: ring, bindToContext: 'yes' }, /`bindToContext` must be true or false/],
      [{ keyRing: ring, engine: 'aes' }, /`engine` must be `auto`, `libsodium` or `openssl`/],
    ] as const) {
      try {
        await EncryptionCodec.create(options as never);
        assert.unreachable('accepted bad options');
      } catch (err) {
        assert.is((err as BastionError).code, 'ERR_INVALID_OPTION');
        assert.match((err as Error).message, pattern);
      }
    }
  }),
);

test(
  'the official @temporalio/common PayloadCodec type accepts the codecs, and the official codec helpers run them',
  timed(5_000, async () => {
    const codec = await EncryptionCodec.create({ keyRing: ring, bindToContext: true });
    const c: official.PayloadCodec = codec;
    const z: official.PayloadCodec = new CompressionCodec();
    const ctx: official.SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'order-1' };
    const officialPayload = { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8(JSON.stringify(SECRET)) };
    const wire = await c.encode([officialPayload], ctx);
    const back = await c.decode(await z.decode(await z.encode(wire)), ctx);
    assertSamePayload(back[0]!, officialPayload);
  }),
);

test.run();
