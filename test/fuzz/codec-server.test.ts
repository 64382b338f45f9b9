/**
 * Fuzzes the codec server (codecs/codec-server.ts) over real HTTP on loopback with
 * mutated request bodies (JSON tree mutations of valid encode/decode bodies: wrong types,
 * damaged base64, flipped ciphertext bits, huge strings, deep nesting, a compression bomb)
 * and mutated request lines and headers. Invariants: every request is answered, never
 * with a 5xx, JSON answers parse, heap growth after GC stays bounded, and afterwards a
 * valid round trip still works.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { createCodecServer, type CodecServer } from '../../codecs/codec-server';
import { CompressionCodec } from '../../codecs/compression-codec';
import { payloadsToJson } from '../../codecs/http-payloads';
import { encodeUtf8, type Payload } from '../../src/common/payload';
import { encryptionCodec, newCodecKey } from '../helpers/test-codec';
import { runFuzz, formatReport, heapAfterGc, heapVerdict, Violation, type FuzzTarget } from './harness';
import { mutateJson } from './json-inputs';
import type { Prng } from './prng';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('fuzz: codec server');
const TOKEN = 'fuzz-token-not-secret';
const HEAP_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;

let server: CodecServer;
let port = 0;
const corpus: { encode: unknown[]; decode: unknown[] } = { encode: [], decode: [] };

interface Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  notes: string[];
}

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
/** Percent-encodes every UTF-8 byte (lone surrogates become U+FFFD), so any string fits a path or header. */
const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

function plainPayloads(rng: Prng | undefined, n = 2): Payload[] {
  return Array.from({ length: n }, (_, i) => ({
    metadata: { encoding: encodeUtf8('json/plain') },
    data: encodeUtf8(JSON.stringify({ i, text: 'x'.repeat(rng ? rng.pick([3, 2000]) : 3) })),
  }));
}

function send(r: Request): Promise<{ status: number; body: Buffer; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), type: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    // The server may answer early and close without reading the body: that is not a failure.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: -1, body: Buffer.alloc(0), type: '' }) : reject(err),
    );
    req.end(r.body);
  });
}

const target: FuzzTarget<Request> = {
  name: 'codec-server',
  iterations: 700,
  caseDeadlineMs: 20_000,
  generate(rng) {
    const notes: string[] = [];
    const operation = rng.chance(0.75) ? 'decode' : 'encode';
    let path = rng.pick([`/${operation}`, `/default/${operation}`, `/a/b/c/${operation}?x=1`]);
    if (rng.chance(0.08)) {
      path = rng.pick([
        '/%ZZ/decode',
        '/%/decode',
        `/${'%00'.repeat(rng.range(1, 50))}/decode`,
        '/health',
        `/${'a/'.repeat(rng.pick([10, 5000]))}decode`,
        `/${pct(rng.string(10))}/decode`,
      ]);
      notes.push('odd path');
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (rng.chance(0.9)) headers['x-namespace'] = rng.chance(0.9) ? 'default' : pct(rng.string(rng.length(300)));
    if (rng.chance(0.9)) headers.authorization = `Bearer ${TOKEN}`;
    else headers.authorization = rng.pick(['', 'Bearer', `Bearer ${TOKEN}x`, `Basic ${b64('a:b')}`, `Bearer ${'t'.repeat(5000)}`]);
    if (rng.chance(0.05)) {
      headers['content-type'] = rng.pick(['text/plain', 'application/json; charset=latin1', 'APPLICATION/JSON', '']);
      notes.push(`content-type ${JSON.stringify(headers['content-type'])}`);
    }
    const method = rng.chance(0.95) ? 'POST' : rng.pick(['GET', 'PUT', 'OPTIONS', 'DELETE']);
    let body: Buffer;
    const r = rng.int(20);
    if (r === 0) {
      body = rng.bytes(rng.length(4000));
      notes.push('random bytes body');
    } else if (r === 1) {
      body = Buffer.from(JSON.stringify(rng.pick(corpus[operation])));
      notes.push('valid body');
    } else {
      const m = mutateJson(rng.pick(corpus[operation]), rng);
      body = Buffer.from(m.text);
      notes.push(...m.notes);
    }
    return { method, path, headers, body, notes };
  },
  describe(r) {
    return `${r.method} ${r.path.slice(0, 60)} body ${r.body.length} bytes; ${r.notes.join('; ')}`;
  },
  async check(r) {
    const res = await send(r);
    if (res.status >= 500) throw new Violation('status', `answered HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
    if (res.status > 0 && res.type.startsWith('application/json') && res.body.length) {
      try {
        JSON.parse(res.body.toString('utf8'));
      } catch {
        throw new Violation('answer', `answered HTTP ${res.status} with a body that is not JSON`);
      }
    }
    return res.status < 0 ? 'closed early' : `HTTP ${res.status}`;
  },
};

test.before(async () => {
  const enc = await encryptionCodec(newCodecKey(), false);
  const chain = [new CompressionCodec({ thresholdBytes: 64 }), enc];
  server = createCodecServer({ codec: chain, auth: { tokens: [TOKEN] }, cors: { origins: ['https://ui.example.com'] }, logger: quietLogger });
  port = (await server.listen(0)).port;
  for (const n of [1, 2, 3]) {
    const plain = plainPayloads(undefined, n);
    corpus.encode.push(payloadsToJson(plain));
    let encoded: Payload[] = plain;
    for (const c of chain) encoded = await c.encode(encoded);
    corpus.decode.push(payloadsToJson(encoded));
  }
  // A compression bomb: 256 MiB of zeros in a few hundred KB, past the decompression limit.
  const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
  corpus.decode.push({ payloads: [{ metadata: { encoding: b64('binary/compressed'), compression: b64('gzip') }, data: b64(bomb) }] });
  corpus.decode.push({
    payloads: [
      {
        metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('test-k1'), 'encryption-cipher': b64('xchacha20poly1305-v1') },
        data: b64(Buffer.alloc(40)),
      },
    ],
  });
});

test.after(async () => {
  await server?.close();
});

test('mutated requests are answered without a 5xx; a valid round trip works afterwards', async () => {
  const heapBefore = heapAfterGc();
  const report = await runFuzz(target);
  const { line, failure } = formatReport(target.name, 'dist/test/fuzz/codec-server.test.js', report);
  console.log(line);
  const growth = heapAfterGc() - heapBefore;
  console.log(`fuzz codec-server: heap growth after GC ${(growth / 1048576).toFixed(1)} MiB (limit ${HEAP_GROWTH_LIMIT_BYTES / 1048576} MiB)`);
  const plain = payloadsToJson(plainPayloads(undefined, 2));
  const headers = { 'content-type': 'application/json', 'x-namespace': 'default', authorization: `Bearer ${TOKEN}` };
  const encoded = await send({ method: 'POST', path: '/encode', headers, body: Buffer.from(JSON.stringify(plain)), notes: [] });
  assert.is(encoded.status, 200);
  const decoded = await send({ method: 'POST', path: '/decode', headers, body: encoded.body, notes: [] });
  assert.is(decoded.status, 200);
  assert.equal(JSON.parse(decoded.body.toString()), plain);
  if (failure) assert.unreachable(failure);
  const heap = heapVerdict(target.name, growth, HEAP_GROWTH_LIMIT_BYTES, report.seed, `over ${report.cases} cases`);
  if (heap) assert.unreachable(heap);
});

test.run();
