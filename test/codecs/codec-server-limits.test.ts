/**
 * The codec server's memory and connection limits over real HTTP on 127.0.0.1:
 * decompression bombs are answered 413 and leave the server serving, memory stays bounded
 * across many bombs, the shared in-flight budget answers 503 and is given back, the
 * payload count is capped, and slow clients (headers or body byte by byte) and
 * connections past `maxConnections` are cut off.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as zlib from 'node:zlib';
import { createCodecServer, DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST, type CodecServer, type CodecServerOptions } from '../../codecs/codec-server';
import { CompressionCodec, DEFAULT_MAX_DECOMPRESSED_BYTES } from '../../codecs/compression-codec';
import { payloadToJson } from '../../codecs/http-payloads';
import { serializePayload } from '../../codecs/payload-bytes';
import type { PayloadCodec } from '../../codecs/payload-codec';
import { encodeBase64 } from '../../src/common/base64';
import { encodeUtf8, type Payload } from '../../src/common/payload';
import { timed, withTimeout } from '../helpers/wait';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('codecs: codec server limits');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const started: CodecServer[] = [];
async function start(options: CodecServerOptions): Promise<string> {
  const server = createCodecServer({ logger: quietLogger, ...options });
  started.push(server);
  return (await server.listen(0)).url;
}
test.after.each(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * A brotli-compressed payload whose serialized form is `inflatedBytes` long, nearly all
 * zeros; built as a stream, so the test never holds the inflated bytes.
 */
async function brotliBomb(inflatedBytes: number): Promise<Record<string, unknown>> {
  const head = serializePayload({ metadata: { encoding: encodeUtf8('binary/plain') } });
  const varint: number[] = [];
  // Field 2 (data), length-delimited, then its length.
  const lengthFor = (n: number) => {
    const out: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        out.push(v);
        return out;
      }
      out.push((v % 128) | 128);
    }
  };
  let dataLength = inflatedBytes - head.length - 1;
  dataLength -= lengthFor(dataLength).length;
  varint.push(0x12, ...lengthFor(dataLength));
  const compressor = zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
  const chunks: Buffer[] = [];
  compressor.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve, reject) => compressor.on('end', resolve).on('error', reject));
  compressor.write(head);
  compressor.write(Buffer.from(varint));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = dataLength; left > 0; left -= zeros.length) {
    if (!compressor.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await new Promise((r) => compressor.once('drain', r));
  }
  compressor.end();
  await done;
  return payloadToJson({ metadata: { encoding: encodeUtf8('binary/compressed'), compression: encodeUtf8('br') }, data: Buffer.concat(chunks) }) as Record<
    string,
    unknown
  >;
}

let bomb: Record<string, unknown> | undefined;
/** One payload that inflates to 1 KiB under CompressionCodec's per-payload limit (64 MiB). */
async function nearLimitBomb(): Promise<Record<string, unknown>> {
  bomb ??= await brotliBomb(DEFAULT_MAX_DECOMPRESSED_BYTES - 1024);
  return bomb;
}

async function normalCompressed(): Promise<{ body: unknown; plain: Payload }> {
  const plain: Payload = { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8(JSON.stringify({ text: 'lorem ipsum '.repeat(400) })) };
  const [wire] = await new CompressionCodec().encode([plain]);
  return { body: { payloads: [payloadToJson(wire!)] }, plain };
}

test(
  'a request of four payloads that each inflate to just under the per-payload limit is 413 naming the limits; the next request is answered',
  timed(60_000, async () => {
    const url = await start({ codec: [new CompressionCodec()] });
    const p = await nearLimitBomb();
    const body = JSON.stringify({ payloads: [p, p, p, p] });
    assert.ok(body.length < 2048, `the bomb request is ${body.length} bytes`);
    const res = await post(`${url}/decode`, body);
    assert.is(res.status, 413);
    const text = await res.text();
    assert.ok(text.length < 2048, 'the answer is a short error, not the inflated payloads');
    const answer = JSON.parse(text) as { error: string; code: string; limits: Record<string, number> };
    assert.is(answer.code, 'ERR_CODEC_TOO_LARGE');
    assert.match(answer.error, /`maxDecodedBytesPerRequest` \(33554432 bytes\)/);
    assert.is(answer.limits.maxDecodedBytesPerRequest, DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST);
    assert.ok(answer.limits.maxPayloadsPerRequest > 0 && answer.limits.maxBodyBytes > 0);
    const normal = await normalCompressed();
    const next = await post(`${url}/decode`, normal.body);
    assert.is(next.status, 200);
    assert.equal(await next.json(), { payloads: [payloadToJson(normal.plain)] });
  }),
);

test(
  'memory stays bounded across many bombs, one after another and concurrent',
  timed(180_000, async () => {
    const url = await start({ codec: [new CompressionCodec()], maxDecodedBytesPerRequest: 8 * 1024 * 1024, maxInFlightBytes: 24 * 1024 * 1024 });
    const p = await nearLimitBomb();
    const body = JSON.stringify({ payloads: [p, p, p, p] });
    const normal = await normalCompressed();
    const send = async () => {
      const res = await post(`${url}/decode`, body);
      await res.arrayBuffer();
      return res.status;
    };
    // Warm up (JIT, zlib, the HTTP client), then measure from a collected heap.
    for (let i = 0; i < 3; i++) await send();
    gc();
    const base = process.memoryUsage();
    let peak = base.rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 20; i++) statuses.push(await send());
      for (let round = 0; round < 4; round++) statuses.push(...(await Promise.all(Array.from({ length: 8 }, send))));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    gc();
    const after = process.memoryUsage();
    const mib = (n: number) => Math.round(n / 1024 / 1024);
    console.log(
      `    bombs: ${statuses.length} (${statuses.filter((s) => s === 413).length}×413, ${statuses.filter((s) => s === 503).length}×503); rss peak +${mib(peak - base.rss)} MiB, after +${mib(after.rss - base.rss)} MiB; arrayBuffers after +${mib(after.arrayBuffers - base.arrayBuffers)} MiB`,
    );
    assert.ok(
      statuses.every((s) => s === 413 || s === 503),
      `statuses ${[...new Set(statuses)].join(', ')}`,
    );
    // Each bomb would inflate to 256 MiB; the budget lets 24 MiB be held at once.
    assert.ok(peak - base.rss < 96 * 1024 * 1024, `rss grew by ${mib(peak - base.rss)} MiB at its peak`);
    // After GC at most about the shared budget may still be held by sockets being torn down;
    // a leak of even a fraction of one bomb's output per request would pass this by far.
    assert.ok(after.arrayBuffers - base.arrayBuffers < 48 * 1024 * 1024, `buffers grew by ${mib(after.arrayBuffers - base.arrayBuffers)} MiB`);
    assert.ok(after.heapUsed - base.heapUsed < 32 * 1024 * 1024, `heap grew by ${mib(after.heapUsed - base.heapUsed)} MiB`);
    // The budget was given back: a normal request is still served.
    const next = await post(`${url}/decode`, normal.body);
    assert.is(next.status, 200);
  }),
);

/** A codec whose decode waits until released (its request holding its body meanwhile), then answers empty payloads. */
class GateCodec implements PayloadCodec {
  entered: Array<() => void> = [];
  #open: Promise<void> = new Promise(() => {});
  #release: () => void = () => {};
  constructor() {
    this.#open = new Promise((r) => (this.#release = r));
  }
  release(): void {
    this.#release();
  }
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    this.entered.forEach((f) => f());
    await this.#open;
    return payloads.map(() => ({ metadata: {} }));
  }
}

test(
  'the shared in-flight budget answers 503 with Retry-After while held, and is given back after',
  timed(20_000, async () => {
    const codec = new GateCodec();
    const url = await start({ codec, maxBodyBytes: 1000, maxDecodedBytesPerRequest: 1000, maxInFlightBytes: 1500 });
    const body = JSON.stringify({ payloads: [{ metadata: { encoding: encodeBase64(encodeUtf8('binary/plain')) }, data: encodeBase64(new Uint8Array(600)) }] });
    assert.ok(body.length > 750 && body.length < 1000);
    const entered = new Promise<void>((r) => codec.entered.push(r));
    const first = post(`${url}/decode`, body);
    await withTimeout(5000, entered, 'the first request reaching the codec');
    const second = await post(`${url}/decode`, body);
    assert.is(second.status, 503);
    assert.is(second.headers.get('retry-after'), '1');
    const answer = (await second.json()) as { code: string; limits: Record<string, number>; error: string };
    assert.is(answer.code, 'ERR_CODEC_SERVER_BUSY');
    assert.is(answer.limits.maxInFlightBytes, 1500);
    assert.match(answer.error, /`maxInFlightBytes` \(1500 bytes\)/);
    codec.release();
    assert.is((await first).status, 200);
    assert.is((await post(`${url}/decode`, body)).status, 200, 'the budget was given back');
  }),
);

test(
  'more payloads than maxPayloadsPerRequest is 413 naming the limit',
  timed(10_000, async () => {
    const url = await start({ codec: [new CompressionCodec()], maxPayloadsPerRequest: 3 });
    const one = { metadata: { encoding: encodeBase64(encodeUtf8('binary/null')) } };
    assert.is((await post(`${url}/decode`, { payloads: [one, one, one] })).status, 200);
    const res = await post(`${url}/decode`, { payloads: [one, one, one, one] });
    assert.is(res.status, 413);
    const answer = (await res.json()) as { code: string; limits: Record<string, number>; error: string };
    assert.is(answer.code, 'ERR_CODEC_TOO_LARGE');
    assert.is(answer.limits.maxPayloadsPerRequest, 3);
    assert.match(answer.error, /holds 4 payloads.*at most 3 \(`maxPayloadsPerRequest`\)/);
  }),
);

/** Connects, drips `text` one byte at a time, and resolves with what came back once the server closes. */
function drip(url: string, head: string, endless: string): { closed: Promise<string>; socket: net.Socket } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    });
  });
  socket.on('connect', () => {
    socket.write(head);
    let i = 0;
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(endless[i++ % endless.length]!);
    }, 20);
  });
  return { closed, socket };
}

test(
  'slow loris: headers sent byte by byte are cut off after headersTimeoutMs',
  timed(20_000, async () => {
    const url = await start({ codec: [new CompressionCodec()], headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const { closed } = drip(url, 'POST /decode HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
    const received = await withTimeout(15_000, closed, 'the server closing a client that never finishes its headers');
    assert.match(received, /^HTTP\/1\.1 408|^$/);
    const health = await fetch(`${url}/health`);
    assert.is(health.status, 200, 'the server still serves');
  }),
);

test(
  'slow loris: a body sent byte by byte is cut off after requestTimeoutMs',
  timed(20_000, async () => {
    const url = await start({ codec: [new CompressionCodec()], headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const head = 'POST /decode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Namespace: default\r\nContent-Length: 100000\r\n\r\n{"payloads":[';
    const { closed } = drip(url, head, '{},');
    const received = await withTimeout(15_000, closed, 'the server closing a client that never finishes its body');
    assert.match(received, /^HTTP\/1\.1 408|^$/);
  }),
);

test(
  'connections past maxConnections are closed as they arrive',
  timed(20_000, async () => {
    const url = await start({ codec: [new CompressionCodec()], maxConnections: 2 });
    const { hostname, port } = new URL(url);
    const open: net.Socket[] = [];
    try {
      // Two keep-alive connections, each proven accepted by an answer.
      for (let i = 0; i < 2; i++) {
        const s = net.connect(Number(port), hostname);
        open.push(s);
        await withTimeout(
          5000,
          new Promise<void>((resolve, reject) => {
            s.once('error', reject);
            s.once('data', () => resolve());
            s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
          }),
          'a health answer',
        );
      }
      const third = net.connect(Number(port), hostname);
      open.push(third);
      third.on('error', () => {});
      await withTimeout(5000, new Promise<void>((resolve) => third.once('close', () => resolve())), 'the third connection closing');
      // Once one closes, a new connection is served.
      open[0]!.destroy();
      await new Promise((r) => open[0]!.once('close', r));
      const fourth = net.connect(Number(port), hostname);
      open.push(fourth);
      const answer = await withTimeout(
        5000,
        new Promise<string>((resolve, reject) => {
          fourth.once('error', reject);
          fourth.once('data', (d) => resolve(d.toString()));
          fourth.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        }),
        'a health answer on a new connection',
      );
      assert.match(answer, /^HTTP\/1\.1 200/);
    } finally {
      open.forEach((s) => s.destroy());
    }
  }),
);

test('limits that contradict each other are refused at create', () => {
  const codec = new CompressionCodec();
  const cases: Array<[CodecServerOptions, string, RegExp]> = [
    [{ codec, maxDecodedBytesPerRequest: 0 }, 'ERR_INVALID_OPTION', /`maxDecodedBytesPerRequest` must be a whole number of bytes, at least 1/],
    [{ codec, maxPayloadsPerRequest: 1.5 }, 'ERR_INVALID_OPTION', /`maxPayloadsPerRequest`/],
    [{ codec, maxConnections: -1 }, 'ERR_INVALID_OPTION', /`maxConnections`/],
    [{ codec, maxBodyBytes: 2048, maxInFlightBytes: 1024 }, 'ERR_CONFLICTING_OPTIONS', /`maxBodyBytes` \(2048\) is larger than `maxInFlightBytes` \(1024\)/],
    [{ codec, headersTimeoutMs: 5000, requestTimeoutMs: 1000 }, 'ERR_CONFLICTING_OPTIONS', /`headersTimeoutMs` \(5000\) is longer than `requestTimeoutMs`/],
  ];
  for (const [options, code, re] of cases) {
    try {
      createCodecServer(options);
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, code);
      assert.match((err as Error).message, re);
    }
  }
});

test.run();
