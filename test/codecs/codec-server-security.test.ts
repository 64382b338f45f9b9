/**
 * What the codec server tells a caller, and whom it serves: error answers name fields,
 * never payload bytes, metadata values or key ids; the base64 and Content-Type forms it
 * accepts and refuses; and `listen` beyond loopback without TLS and auth is refused unless
 * `allowInsecureNonLoopback`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createCertificateAuthority, issueCertificate } from '../../certs/index';
import { createCodecServer, isLoopbackHost, type CodecServer, type CodecServerOptions } from '../../codecs/codec-server';
import { CompressionCodec } from '../../codecs/compression-codec';
import { EncryptionCodec } from '../../codecs/encryption-codec';
import { base64Problem, payloadToJson } from '../../codecs/http-payloads';
import { KeyRing } from '../../codecs/key-ring';
import { encodeBase64 } from '../../src/common/base64';
import { encodeUtf8, type Payload } from '../../src/common/payload';
import { timed } from '../helpers/wait';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('codecs: codec server answers and defaults');

const started: CodecServer[] = [];
async function start(options: CodecServerOptions, host?: string): Promise<string> {
  const server = createCodecServer({ logger: quietLogger, ...options });
  started.push(server);
  return (await server.listen(0, host)).url;
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

async function errorOf(res: Response): Promise<{ status: number; text: string; error: string }> {
  const text = await res.text();
  return { status: res.status, text, error: (JSON.parse(text) as { error: string }).error };
}

const ring = (active: string) => new KeyRing({ active, keys: { [active]: randomBytes(32) } });
const plain = (text: string): Payload => ({ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8(JSON.stringify(text)) });

test(
  'an unsupported compression inside an encrypted payload is 400 naming the field, not the decrypted value',
  timed(10_000, async () => {
    const encryption = await EncryptionCodec.create({ keyRing: ring('k1') });
    const url = await start({ codec: [new CompressionCodec(), encryption] });
    const secretValue = 'zstd;customer=ACME-4111-1111-1111-1111;region=eu';
    const inner: Payload = { metadata: { encoding: encodeUtf8('binary/compressed'), compression: encodeUtf8(secretValue) }, data: encodeUtf8('whatever') };
    const [wire] = await encryption.encode([inner]);
    const { status, text, error } = await errorOf(await post(`${url}/decode`, { payloads: [payloadToJson(wire!)] }));
    assert.is(status, 400);
    assert.match(error, /ERR_CODEC_UNSUPPORTED\): `payloads\[0\]` has a `compression` this server's codec does not read/);
    for (const piece of ['zstd', 'ACME', '4111', 'region']) assert.not.ok(text.includes(piece), `the answer repeats ${piece}`);
  }),
);

test(
  'an unknown key id is 400 without the id or the ids the server holds',
  timed(10_000, async () => {
    const writer = await EncryptionCodec.create({ keyRing: ring('retired-2023-q4') });
    const url = await start({
      codec: await EncryptionCodec.create({
        keyRing: new KeyRing({ active: 'current-k9', keys: { 'current-k9': randomBytes(32), 'older-k8': randomBytes(32) } }),
      }),
    });
    const [wire] = await writer.encode([plain('hello')]);
    const { status, text, error } = await errorOf(await post(`${url}/decode`, { payloads: [payloadToJson(wire!)] }));
    assert.is(status, 400);
    assert.match(error, /ERR_CODEC_KEY_UNKNOWN\): `payloads\[0\]` names, in `encryption-key-id`, a key this codec server does not hold/);
    for (const id of ['retired-2023-q4', 'current-k9', 'older-k8']) assert.not.ok(text.includes(id), `the answer names ${id}`);
  }),
);

test(
  'other codec failures name the payload and field only: tampering, an unknown cipher, missing metadata',
  timed(10_000, async () => {
    const keyRing = new KeyRing({ active: 'kid-visible-7', keys: { 'kid-visible-7': randomBytes(32) } });
    const encryption = await EncryptionCodec.create({ keyRing });
    const url = await start({ codec: [new CompressionCodec(), encryption] });
    const [wire] = await encryption.encode([plain('card 4111-1111-1111-1111')]);
    const data = wire!.data!.slice();
    data[30] = data[30]! ^ 1;
    const tampered = await errorOf(await post(`${url}/decode`, { payloads: [payloadToJson(plain('x')), payloadToJson({ ...wire!, data })] }));
    assert.is(tampered.status, 400);
    assert.match(tampered.error, /ERR_CODEC_AUTH_FAILED\): `payloads\[1\]` failed authentication/);
    const cipher = await errorOf(
      await post(`${url}/decode`, {
        payloads: [payloadToJson({ ...wire!, metadata: { ...wire!.metadata, 'encryption-cipher': encodeUtf8('aes-gcm-from-another-tool') } })],
      }),
    );
    assert.match(cipher.error, /ERR_CODEC_UNSUPPORTED\): `payloads\[0\]` has a `encryption-cipher`/);
    const noId = { ...wire!.metadata };
    delete noId['encryption-key-id'];
    const missing = await errorOf(await post(`${url}/decode`, { payloads: [payloadToJson({ ...wire!, metadata: noId })] }));
    assert.match(missing.error, /ERR_CODEC_MALFORMED\): `payloads\[0\]` is malformed \(its `encryption-key-id` is missing or not valid\)/);
    for (const answer of [tampered, cipher, missing]) {
      for (const piece of ['kid-visible-7', 'aes-gcm', '4111', 'binary/encrypted'])
        assert.not.ok(answer.text.includes(piece), `${answer.error} repeats ${piece}`);
    }
  }),
);

test(
  'a bad metadata entry is named by its key when plain and short, by its position otherwise',
  timed(10_000, async () => {
    const url = await start({ codec: [new CompressionCodec()] });
    const longKey = `customer-${'x'.repeat(80)}-ACME`;
    const res = await errorOf(await post(`${url}/decode`, { payloads: [{ metadata: { encoding: encodeBase64(encodeUtf8('json/plain')), [longKey]: '%%' } }] }));
    assert.is(res.status, 400);
    assert.match(res.error, /`payloads\[0\]\.metadata\.<key 2>` is not base64/);
    assert.not.ok(res.text.includes('ACME'));
    const short = await errorOf(await post(`${url}/decode`, { payloads: [{ metadata: { encoding: 'YQ=b' } }] }));
    assert.match(short.error, /`payloads\[0\]\.metadata\.encoding` is not base64: `=` may only end the text/);
  }),
);

test(
  'base64: standard or URL-safe, padded or not, is accepted; mixed alphabets, white space, stray or wrong padding and impossible lengths are refused',
  timed(10_000, async () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x41]); // standard "+/+/QQ==", URL-safe "-_-_QQ=="
    const accepted = ['+/+/QQ==', '+/+/QQ', '-_-_QQ==', '-_-_QQ'];
    const refused: Array<[string, RegExp]> = [
      ['+/-_QQ==', /mixes the standard/],
      ['+/+/ QQ==', /white space/],
      ['+/+/\nQQ==', /white space/],
      ['+/=+/QQ', /`=` may only end the text/],
      ['+/+/QQ=', /padding does not fit/],
      ['+/+/Q===', /`=` may only end the text/],
      ['+/+/Q', /length \(5 characters without padding\)/],
      ['+/+/QQ*=', /outside the base64 alphabets/],
    ];
    for (const text of accepted) assert.is(base64Problem(text), undefined, text);
    for (const [text, re] of refused) assert.match(base64Problem(text) ?? 'accepted', re, text);
    const url = await start({ codec: [new CompressionCodec()] });
    for (const data of accepted) {
      const res = await post(`${url}/decode`, { payloads: [{ metadata: { encoding: encodeBase64(encodeUtf8('binary/plain')) }, data }] });
      assert.is(res.status, 200, data);
      assert.equal(
        await res.json(),
        { payloads: [payloadToJson({ metadata: { encoding: encodeUtf8('binary/plain') }, data: bytes })] },
        `${data} decodes to the same bytes, answered padded standard base64`,
      );
    }
    for (const [data] of refused) {
      const res = await errorOf(await post(`${url}/decode`, { payloads: [{ data }] }));
      assert.is(res.status, 400, JSON.stringify(data));
      assert.match(res.error, /`payloads\[0\]\.data` is not base64/);
    }
  }),
);

test(
  'Content-Type: application/json in any case, with a utf-8 charset, is accepted; none, another type or charset is 415',
  timed(10_000, async () => {
    const url = await start({ codec: [new CompressionCodec()] });
    const body = JSON.stringify({ payloads: [] });
    for (const type of ['application/json', 'application/JSON; charset=utf-8', 'Application/Json;charset="UTF-8"', 'application/json; charset=utf8; foo=bar']) {
      const res = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': type, 'X-Namespace': 'default' }, body });
      assert.is(res.status, 200, type);
    }
    for (const type of [
      'text/plain',
      'application/json; charset=latin1',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'application/merge-patch+json',
    ]) {
      const res = await errorOf(await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': type, 'X-Namespace': 'default' }, body }));
      assert.is(res.status, 415, type);
      assert.match(res.error, /send `Content-Type: application\/json`/);
    }
    // A Uint8Array body makes fetch send no Content-Type at all.
    const none = await fetch(`${url}/decode`, { method: 'POST', headers: { 'X-Namespace': 'default' }, body: encodeUtf8(body) });
    assert.is(none.status, 415, 'no Content-Type');
  }),
);

test(
  'listen beyond loopback without TLS or without auth is refused, naming allowInsecureNonLoopback and --allow-insecure-bind',
  timed(20_000, async () => {
    const codec = new CompressionCodec();
    const ca = await createCertificateAuthority({ commonName: 'Codec Bind CA', keyType: 'ecdsa-p256' });
    const leaf = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', ipAddresses: ['127.0.0.1'] });
    const tls = { cert: leaf.certPem, key: leaf.keyPem };
    const auth = { tokens: ['bind-token-0123456789'] };
    const cases: Array<[Partial<CodecServerOptions>, RegExp]> = [
      [{}, /without TLS \(`tls`, `--tls-cert`\/`--tls-key`\) and authentication/],
      [{ tls }, /without authentication \(`auth`/],
      [{ auth }, /without TLS \(`tls`/],
    ];
    for (const [options, re] of cases) {
      const server = createCodecServer({ codec, ...options });
      started.push(server);
      try {
        await server.listen(0, '0.0.0.0');
        assert.unreachable(`listened with ${Object.keys(options).join(', ') || 'neither'}`);
      } catch (err) {
        assert.is((err as { code?: string }).code, 'ERR_CODEC_SERVER_INSECURE_BIND');
        assert.is((err as Error).name, 'CodecError');
        assert.match((err as Error).message, re);
        assert.match((err as Error).message, /`allowInsecureNonLoopback: true` \(`--allow-insecure-bind`\)/);
      }
      // Refused before binding: the same server still listens on loopback.
      assert.match((await server.listen(0)).url, /^http/);
    }
    // With both, or with the explicit option, it listens there.
    const secure = await start({ codec, tls, auth }, '0.0.0.0');
    assert.match(secure, /^https:\/\/0\.0\.0\.0:\d+$/);
    const insecure = await start({ codec, allowInsecureNonLoopback: true }, '0.0.0.0');
    assert.is((await fetch(`http://127.0.0.1:${new URL(insecure).port}/health`)).status, 200);
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'codec.example.com', 'localhost.example.com'])
      assert.not.ok(isLoopbackHost(host), host);
  }),
);

test.run();
