/**
 * The codec server over real HTTP and HTTPS on 127.0.0.1: round trips, the Web UI's exact
 * request shapes and CORS preflight, 400 (never 500) for bad input, 401/403 auth, 413,
 * options refused at create, and the health endpoint.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../../certs/index';
import { EncryptionCodec } from '../../codecs/encryption-codec';
import { KeyRing } from '../../codecs/key-ring';
import { randomBytes } from 'node:crypto';
import { createCodecServer, type CodecServer, type CodecServerOptions } from '../../codecs/codec-server';
import { payloadToJson, payloadFromJson } from '../../codecs/http-payloads';
import type { PayloadCodec } from '../../codecs/payload-codec';
import { decodeBase64, encodeBase64 } from '../../src/common/base64';
import { decodeUtf8, encodeUtf8, type Payload } from '../../src/common/payload';
import { timed } from '../helpers/wait';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('codecs: codec server');

const WRAPPED = 'binary/test-wrapped';
const SECRET = 'card 4111-1111-1111-1111';
const UI_ORIGIN = 'https://temporal-ui.example.com';

/** A test codec: the whole payload, JSON-serialized and XOR-ed, under its own encoding. */
class WrapCodec implements PayloadCodec {
  contexts: unknown[] = [];
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ({ metadata: { encoding: encodeUtf8(WRAPPED) }, data: encodeUtf8(JSON.stringify(payloadToJson(p))).map((b) => b ^ 0x5a) }));
  }
  async decode(payloads: Payload[], context?: unknown): Promise<Payload[]> {
    this.contexts.push(context);
    return payloads.map((p) => {
      if (decodeUtf8(p.metadata?.encoding ?? new Uint8Array()) !== WRAPPED) return p;
      const text = decodeUtf8(p.data!.map((b) => b ^ 0x5a));
      try {
        return payloadFromJson(JSON.parse(text), 'wrapped');
      } catch {
        // A careless codec: its message quotes what it could not read.
        throw new Error(`cannot unwrap ${text}`);
      }
    });
  }
}

function jsonPayload(value: unknown): Record<string, unknown> {
  return { metadata: { encoding: encodeBase64(encodeUtf8('json/plain')) }, data: encodeBase64(encodeUtf8(JSON.stringify(value))) };
}

const started: CodecServer[] = [];

async function start(options: Partial<CodecServerOptions> = {}): Promise<{ server: CodecServer; url: string; codec: WrapCodec }> {
  const codec = new WrapCodec();
  const server = createCodecServer({ codec, logger: quietLogger, ...options });
  started.push(server);
  const { url } = await server.listen(0);
  return { server, url, codec };
}

test.after.each(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test(
  'encodes and decodes a round trip; the encoded form hides the value',
  timed(10_000, async () => {
    const { url } = await start();
    const plain = { payloads: [jsonPayload({ card: SECRET }), jsonPayload(42)] };
    const enc = await post(`${url}/encode`, plain, { 'X-Namespace': 'default' });
    assert.is(enc.status, 200);
    assert.match(enc.headers.get('content-type') ?? '', /application\/json/);
    const encoded = (await enc.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.is(encoded.payloads.length, 2);
    assert.is(decodeUtf8(decodeBase64(encoded.payloads[0]!.metadata.encoding!)), WRAPPED);
    assert.not.ok(decodeUtf8(decodeBase64(encoded.payloads[0]!.data)).includes('4111'));
    const dec = await post(`${url}/decode`, encoded, { 'X-Namespace': 'default' });
    assert.is(dec.status, 200);
    assert.equal(await dec.json(), plain);
    const empty = await post(`${url}/decode`, {}, { 'X-Namespace': 'default' });
    assert.equal(await empty.json(), { payloads: [] });
  }),
);

test(
  'answers the Web UI: preflight, then /decode?preserveStorageRefs=true with X-Namespace, token and credentials',
  timed(10_000, async () => {
    const { url, codec } = await start({ cors: { origins: [UI_ORIGIN], credentials: true }, auth: { tokens: ['tok-ui-1234567890'] } });
    const encoded = await codec.encode([payloadFromJson(jsonPayload('hello'), 'p')]);
    const pre = await fetch(`${url}/decode?preserveStorageRefs=true`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,authorization-extras,content-type,x-namespace',
      },
    });
    assert.ok(pre.status === 204 || pre.status === 200, `preflight status ${pre.status}`);
    assert.is(pre.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.is(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    const allowed = (pre.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'x-namespace', 'authorization', 'authorization-extras']) assert.ok(allowed.includes(h), h);
    assert.match(pre.headers.get('vary') ?? '', /Origin/);
    assert.ok(Number(pre.headers.get('access-control-max-age')) > 0);
    const body = JSON.stringify({ payloads: encoded.map(payloadToJson) });
    const headers = { Origin: UI_ORIGIN, 'X-Namespace': 'orders', Authorization: 'Bearer tok-ui-1234567890', 'Authorization-Extras': 'id-token-xyz' };
    const res = await post(`${url}/decode?preserveStorageRefs=true`, body, headers);
    assert.is(res.status, 200);
    assert.is(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.is(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(await res.json(), { payloads: [jsonPayload('hello')] });
    assert.equal(codec.contexts.at(-1), { namespace: 'orders' }, 'the codec is told the namespace');
    // The older form: the namespace in the path, under a prefix.
    const old = await post(`${url}/codec/orders/decode`, body, { Origin: UI_ORIGIN, Authorization: 'Bearer tok-ui-1234567890' });
    assert.is(old.status, 200);
    assert.equal(await old.json(), { payloads: [jsonPayload('hello')] });
  }),
);

test(
  'routes by namespace: the path segment or X-Namespace picks the codec; others are 404',
  timed(10_000, async () => {
    const orders = new WrapCodec();
    const server = createCodecServer({ codecsByNamespace: { orders } });
    started.push(server);
    const { url } = await server.listen(0);
    const body = { payloads: (await orders.encode([payloadFromJson(jsonPayload(1), 'p')])).map(payloadToJson) };
    assert.is((await post(`${url}/orders/decode`, body)).status, 200);
    assert.is((await post(`${url}/decode`, body, { 'X-Namespace': 'orders' })).status, 200);
    const other = await post(`${url}/billing/decode`, body);
    assert.is(other.status, 404);
    assert.match(((await other.json()) as { error: string }).error, /namespace "billing"/);
    const none = await post(`${url}/decode`, body);
    assert.is(none.status, 400);
    assert.match(((await none.json()) as { error: string }).error, /X-Namespace/);
  }),
);

test(
  'bad JSON, a bad shape and bad base64 get 400 with a JSON error, never 500',
  timed(10_000, async () => {
    const { url } = await start();
    const cases: Array<[string, RegExp]> = [
      ['{"payloads": [', /not valid JSON/],
      ['[1,2]', /JSON object/],
      ['{"payloads": {"a": 1}}', /`payloads` must be an array/],
      ['{"payloads": [{"metadata": {"encoding": 7}}]}', /`payloads\[0\]\.metadata\.encoding` must be a base64 string/],
      ['{"payloads": [{"data": "%%%"}]}', /`payloads\[0\]\.data` is not base64/],
    ];
    for (const [body, re] of cases) {
      const res = await post(`${url}/decode`, body, { 'X-Namespace': 'default' });
      assert.is(res.status, 400, body);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(((await res.json()) as { error: string }).error, re);
    }
    const wrongType = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    assert.is(wrongType.status, 415);
    const get = await fetch(`${url}/decode`);
    assert.is(get.status, 405);
    assert.is(get.headers.get('allow'), 'POST, OPTIONS');
    assert.is((await fetch(`${url}/nothing-here`)).status, 404);
  }),
);

test(
  'a codec failure (tampered ciphertext) is 400 and leaks neither plaintext nor key',
  timed(10_000, async () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta)),
      info: () => {},
      warn: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta)),
      error: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta)),
    };
    const { url, codec } = await start({ logger });
    const [p] = await codec.encode([payloadFromJson(jsonPayload({ card: SECRET }), 'p')]);
    const data = p!.data!.slice();
    data[0] = data[0]! ^ 0xff; // no longer JSON once unwrapped
    const res = await post(`${url}/decode`, { payloads: [payloadToJson({ ...p!, data })] }, { 'X-Namespace': 'default' });
    assert.is(res.status, 400);
    const text = await res.text();
    assert.match(JSON.parse(text).error, /could not decode/);
    assert.not.ok(text.includes('4111'), 'no plaintext in the answer');
    assert.not.ok(lines.join('\n').includes('4111'), 'no plaintext in the log');
    assert.ok(
      lines.some((l) => l.startsWith('codec failed')),
      'the failure is logged',
    );
  }),
);

test(
  'with the real EncryptionCodec: decodes, and tampered ciphertext is 400 without plaintext or key',
  timed(10_000, async () => {
    const key = randomBytes(32);
    const encryption = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k1', keys: { k1: key } }) });
    const server = createCodecServer({ codec: encryption });
    started.push(server);
    const { url } = await server.listen(0);
    const [p] = await encryption.encode([payloadFromJson(jsonPayload({ card: SECRET }), 'p')]);
    const good = await post(`${url}/decode`, { payloads: [payloadToJson(p!)] }, { 'X-Namespace': 'default' });
    assert.is(good.status, 200);
    assert.equal(await good.json(), { payloads: [jsonPayload({ card: SECRET })] });
    const data = p!.data!.slice();
    data[data.length - 1] = data[data.length - 1]! ^ 1;
    const bad = await post(`${url}/decode`, { payloads: [payloadToJson({ ...p!, data })] }, { 'X-Namespace': 'default' });
    assert.is(bad.status, 400);
    const text = await bad.text();
    assert.match(JSON.parse(text).error, /could not decode/);
    assert.not.ok(text.includes('4111'));
    assert.not.ok(text.includes(key.toString('base64')));
  }),
);

test(
  'auth: no token or a wrong one is 401 with WWW-Authenticate; verify denying a namespace is 403',
  timed(10_000, async () => {
    const { url } = await start({ auth: { tokens: ['alpha-token-0001', 'beta-token-0002'] }, cors: { origins: [UI_ORIGIN] } });
    const body = { payloads: [jsonPayload(1)] };
    const none = await post(`${url}/decode`, body, { 'X-Namespace': 'default', Origin: UI_ORIGIN });
    assert.is(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.is(none.headers.get('access-control-allow-origin'), UI_ORIGIN, 'the UI can read the 401');
    const wrong = await post(`${url}/decode`, body, { 'X-Namespace': 'default', Authorization: 'Bearer alpha-token-0002' });
    assert.is(wrong.status, 401);
    assert.not.ok((await wrong.text()).includes('alpha-token'), 'the answer does not echo tokens');
    assert.is((await post(`${url}/decode`, body, { 'X-Namespace': 'default', Authorization: 'Bearer beta-token-0002' })).status, 200);
    assert.is((await post(`${url}/decode`, body, { 'X-Namespace': 'default', Authorization: 'bearer alpha-token-0001' })).status, 200);

    const seen: Array<[string, string, string | undefined]> = [];
    const verified = await start({
      auth: {
        verify: (token, namespace, request) => {
          seen.push([token, namespace, request.headers['authorization-extras'] as string | undefined]);
          if (token === 'garbage') throw new Error('bad signature');
          return namespace === 'orders';
        },
      },
    });
    const ok = await post(`${verified.url}/decode`, body, { 'X-Namespace': 'orders', Authorization: 'Bearer user-jwt', 'Authorization-Extras': 'id-jwt' });
    assert.is(ok.status, 200);
    assert.equal(seen[0], ['user-jwt', 'orders', 'id-jwt']);
    const denied = await post(`${verified.url}/decode`, body, { 'X-Namespace': 'payroll', Authorization: 'Bearer user-jwt' });
    assert.is(denied.status, 403);
    assert.match(((await denied.json()) as { error: string }).error, /namespace "payroll"/);
    const invalid = await post(`${verified.url}/decode`, body, { 'X-Namespace': 'orders', Authorization: 'Bearer garbage' });
    assert.is(invalid.status, 401);
    // Health needs no token.
    const health = await fetch(`${url}/health`);
    assert.is(health.status, 200);
    assert.equal(await health.json(), { status: 'ok' });
    assert.is((await fetch(`${url}/healthz`)).status, 200);
  }),
);

test(
  'a body over maxBodyBytes is 413, declared or streamed',
  timed(10_000, async () => {
    const { url } = await start({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ payloads: [jsonPayload('x'.repeat(4000))] });
    const res = await post(`${url}/decode`, big, { 'X-Namespace': 'default' });
    assert.is(res.status, 413);
    const answer = (await res.json()) as { error: string; code: string; limits: Record<string, number> };
    assert.match(answer.error, /`maxBodyBytes` \(1024 bytes\)/);
    assert.is(answer.code, 'ERR_CODEC_TOO_LARGE');
    assert.is(answer.limits.maxBodyBytes, 1024);
    // Chunked, with no Content-Length: the limit is found while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(500));
      req.end();
    });
    assert.is(status, 413);
  }),
);

test(
  'an origin not in the list gets no CORS headers',
  timed(10_000, async () => {
    const { url } = await start({ cors: { origins: [UI_ORIGIN] } });
    const pre = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'POST' } });
    assert.is(pre.headers.get('access-control-allow-origin'), null);
    assert.is(pre.headers.get('access-control-allow-methods'), null);
    const res = await post(`${url}/decode`, { payloads: [] }, { Origin: 'https://evil.example.com', 'X-Namespace': 'default' });
    assert.is(res.headers.get('access-control-allow-origin'), null);
    assert.is(res.headers.get('access-control-allow-credentials'), null);
  }),
);

test('refuses "*" with credentials, and other bad options, at create', () => {
  const codec = new WrapCodec();
  const cases: Array<[CodecServerOptions, string, RegExp]> = [
    [{ codec, cors: { origins: ['*'], credentials: true } }, 'ERR_CONFLICTING_OPTIONS', /`cors.origins` contains "\*" and `cors.credentials` is true/],
    [{ codec, cors: { origins: ['https://ui.example.com/path'] } }, 'ERR_INVALID_OPTION', /`cors.origins\[0\]`/],
    [{ codec, auth: { tokens: [] } }, 'ERR_INVALID_OPTION', /`auth.tokens`/],
    [{} as CodecServerOptions, 'ERR_INVALID_OPTION', /`codec` is required/],
    [{ codec, maxBodyBytes: 0 }, 'ERR_INVALID_OPTION', /`maxBodyBytes`/],
    [{ codec, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }, 'ERR_INVALID_OPTION', /`tls.cert` names the file/],
  ];
  for (const [options, code, re] of cases) {
    try {
      createCodecServer(options);
      assert.unreachable(`accepted ${JSON.stringify(options.cors ?? options)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, code);
      assert.match((err as Error).message, re);
      assert.is((err as Error).name, 'ConfigError');
    }
  }
  // '*' alone is fine, and answers with the request's origin.
  createCodecServer({ codec, cors: { origins: ['*'] } });
});

test(
  'serves HTTPS with a certificate from a CA made at test time; close is idempotent',
  timed(20_000, async () => {
    const ca = await createCertificateAuthority({ commonName: 'Codec Test CA', keyType: 'ecdsa-p256' });
    const leaf = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-codec-'));
    try {
      fs.writeFileSync(path.join(dir, 'server.pem'), leaf.certPem);
      fs.writeFileSync(path.join(dir, 'server.key'), leaf.keyPem, { mode: 0o600 });
      const { server, url, codec } = await start({
        tls: { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') },
        auth: { tokens: ['tls-token-123456'] },
      });
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const encoded = (await codec.encode([payloadFromJson(jsonPayload('over tls'), 'p')])).map(payloadToJson);
      const body = JSON.stringify({ payloads: encoded });
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(
          `${url}/decode`,
          {
            method: 'POST',
            ca: ca.certPem,
            headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Authorization: 'Bearer tls-token-123456' },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.is(answer.status, 200);
      assert.equal(JSON.parse(answer.text), { payloads: [jsonPayload('over tls')] });
      await Promise.all([server.close(), server.close()]);
      await server.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // A key that does not belong to the certificate is refused at create, without PEM text in the message.
    const other = await issueCertificate({ ca, profile: 'server', commonName: 'other' });
    try {
      createCodecServer({ codec: new WrapCodec(), tls: { cert: leaf.certPem, key: other.keyPem } });
      assert.unreachable('accepted a mismatched key');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
      assert.not.ok((err as Error).message.includes('BEGIN'));
    }
  }),
);

test(
  'listen on a taken port fails with ERR_CODEC_SERVER_LISTEN; listen twice is an illegal state',
  timed(10_000, async () => {
    const { server, url } = await start();
    const port = Number(new URL(url).port);
    const second = createCodecServer({ codec: new WrapCodec() });
    try {
      await second.listen(port);
      assert.unreachable('listened on a taken port');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_CODEC_SERVER_LISTEN');
      assert.match((err as Error).message, /EADDRINUSE/);
    }
    await second.close();
    try {
      await server.listen(0);
      assert.unreachable('listened twice');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_ILLEGAL_STATE');
    }
  }),
);

test.run();
