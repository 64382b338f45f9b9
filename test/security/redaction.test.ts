/**
 * Every object that holds a secret renders it redacted: util.inspect at depth 0, 2 and
 * unlimited with showHidden, String() and JSON.stringify of the object (and of an object
 * that holds it) never show the API key, a private key (PEM text, body lines, bytes), an
 * encryption key, a codec auth token or a PKCS#12 password.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { compileConnectionOptions, Connection, loadClientConnectConfig } from '../../src/connection';
import { compileTls } from '../../src/connection/tls-credentials';
import { Client } from '../../src/client';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import { ServerTlsProvider } from '../../src/server/tls-provider';
import { createCodecServer, EncryptionCodec, KeyRing } from '../../codecs/index';
import { createCertificateAuthority, createCsr, exportPkcs12, importPkcs12, issueCertificate, watchCertificateFiles } from '../../certs/index';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { SecretScanner, type KnownSecret } from '../helpers/secret-scan';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('security: objects holding secrets render them redacted');

const API_KEY = 'bastion-redaction-api-key-7f3a9c1e5b2d4680';
const TOKEN = 'codec-auth-token-91b2c3d4e5f60718293a';
const PASSWORD = 'p12-password-5e6f7a8b9c0d1e2f';
const KEY = KeyRing.generateKey();
const OLD_KEY = KeyRing.generateKey();

let pki: TestPki;
let secrets: KnownSecret[];
let publicTexts: string[];
let tmp: string;

test.before(async () => {
  pki = await makeTestPki();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-redaction-'));
  secrets = [
    { name: 'API key', value: API_KEY },
    { name: 'codec auth token', value: TOKEN },
    { name: 'PKCS#12 password', value: PASSWORD },
    { name: 'encryption key', value: KEY },
    { name: 'old encryption key', value: OLD_KEY },
    { name: 'client private key', value: pki.client.key },
    { name: 'server private key', value: pki.server.key },
    { name: 'CA private key', value: pki.ca.key },
  ];
  publicTexts = [pki.ca.cert, pki.server.cert, pki.client.cert];
});

test.after(() => {
  removeTestPki(pki);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Scans every rendering of each value, and of a plain object holding all of them. */
function assertRedacted(values: Record<string, unknown>, extra: KnownSecret[] = [], extraPublic: string[] = []): void {
  const scan = new SecretScanner([...secrets, ...extra], [...publicTexts, ...extraPublic]);
  for (const [name, value] of Object.entries(values)) scan.collectInspect(name, value);
  scan.collectInspect('holder', { holder: { values } });
  assert.ok(scan.collected >= 6 * (Object.keys(values).length + 1));
  scan.assertClean();
}

test('Connection with an API key and mTLS, its options, and a Client and a Worker over it', async () => {
  const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert }, apiKeys: [API_KEY] });
  const tls = { serverRootCACertificate: pki.ca.cert, clientCertPair: { crt: pki.client.cert, key: pki.client.key } };
  const connection = await Connection.connect({
    address: server.address,
    tls,
    apiKey: API_KEY,
    metadata: { 'x-team': 'a' },
    logger: quietLogger,
    expiryWarningDays: [],
  });
  try {
    const codec = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k2', keys: { k1: OLD_KEY, k2: KEY } }) });
    const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    const worker = await Worker.create({
      connection,
      taskQueue: 'redaction',
      activities: { noop: async () => undefined },
      dataConverter: { payloadCodecs: [codec] },
      logger: quietLogger,
      shutdownSignals: [],
    });
    assertRedacted({ connection, options: connection.options, tlsInfo: connection.tlsInfo(), client, worker, server });
    const view = inspect(connection);
    assert.match(view, /^Connection \{/);
    assert.match(view, /apiKey: '\[redacted\]'/);
    assert.match(view, /client certificate presented: CN=worker-1/);
    assert.equal(JSON.parse(JSON.stringify(connection)).apiKey, '[redacted]');
    // After a rotation the options are a new object: still redacted.
    await connection.setTlsConfig(tls);
    assertRedacted({ connection, options: connection.options });
    assert.is(connection.options.apiKey, API_KEY, 'the key is still there for the calls');
  } finally {
    await connection.close();
    await server.close();
  }
});

test('compiled options and compiled TLS settings: the API key and client key redacted, a function apiKey too', () => {
  const compiled = compileConnectionOptions({ address: 'h:1', apiKey: API_KEY, tls: { clientCertPair: { crt: pki.client.cert, key: pki.client.key } } });
  const withFunction = compileConnectionOptions({ address: 'h:1', apiKey: () => API_KEY });
  const tls = compileTls({ serverRootCACertificate: pki.ca.certPath, clientCertPair: { crt: pki.client.certPath, key: pki.client.keyPath } }, false)!;
  assertRedacted({ compiled, withFunction, tls, pair: tls.clientCertPair });
  assert.ok(tls.clientCertPair!.key.toString().includes('PRIVATE KEY'), 'the key is still readable by the connection');
  assert.match(inspect(tls.clientCertPair, { showHidden: true }), /key: '\[redacted\]'/);
});

test('KeyRing (options, file, environment, provider) and EncryptionCodec show key ids only', async () => {
  const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
  const file = path.join(tmp, 'keys.json');
  fs.writeFileSync(file, JSON.stringify({ active: 'k2', keys: { k1: b64(OLD_KEY), k2: b64(KEY) } }), { mode: 0o600 });
  const rings = {
    inMemory: new KeyRing({ active: 'k2', keys: { k1: OLD_KEY, k2: KEY } }),
    fromFile: KeyRing.fromFile(file),
    fromEnv: KeyRing.fromEnv('KEYS', { KEYS: JSON.stringify({ active: 'k2', keys: { k2: b64(KEY) } }) }),
    provider: KeyRing.fromProvider({ getKey: async () => KEY, activeKeyId: async () => 'k2' }),
  };
  await rings.provider.activeKey();
  const codec = await EncryptionCodec.create({ keyRing: rings.inMemory, bindToContext: true });
  assertRedacted({ ...rings, codec });
  assert.match(inspect(rings.inMemory), /k1, k2/);
});

test('codec server with auth tokens and TLS: neither token nor key shows', async () => {
  const codec = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k2', keys: { k2: KEY } }) });
  const server = createCodecServer({ codec, auth: { tokens: [TOKEN] }, tls: { cert: pki.server.cert, key: pki.server.key }, logger: quietLogger });
  try {
    await server.listen(0);
    assertRedacted({ server });
  } finally {
    await server.close();
  }
});

test("environment configuration: the profile's API key, key data and codec auth are redacted, paths shown", () => {
  const file = path.join(tmp, 'temporal.toml');
  fs.writeFileSync(
    file,
    [
      '[profile.prod]',
      'address = "prod.example:7233"',
      `api_key = "${API_KEY}"`,
      '[profile.prod.tls]',
      `client_cert_path = "${pki.client.certPath}"`,
      `client_key_data = """${pki.client.key}"""`,
      '[profile.prod.codec]',
      'endpoint = "https://codec.example"',
      `auth = "Bearer ${TOKEN}"`,
      '',
    ].join('\n'),
  );
  const config = loadClientConnectConfig({ profile: 'prod', configFile: file, env: {} });
  assert.is(config.connectionOptions.apiKey, API_KEY);
  assertRedacted({ config, options: config.connectionOptions, codec: config.codec, tls: config.connectionOptions.tls });
  assert.ok(inspect(config, { depth: Infinity }).includes(pki.client.certPath), 'paths are not secret and stay visible');
  const empty = path.join(tmp, 'empty.toml');
  fs.writeFileSync(empty, '');
  const watched = loadClientConnectConfig({
    env: { TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyPath },
    configFile: empty,
    watchCertificateFiles: true,
  });
  try {
    assertRedacted({ watched });
  } finally {
    watched.certificateWatcher?.close();
  }
});

test('dev server and its TLS provider: never the server key', async () => {
  const provider = new ServerTlsProvider({ cert: Buffer.from(pki.server.cert), key: Buffer.from(pki.server.key), clientCa: Buffer.from(pki.ca.cert) });
  const server = await DevServer.start({
    logLevel: 'off',
    tls: { cert: pki.server.certPath, key: pki.server.keyPath },
    apiKeys: [{ key: API_KEY, namespaces: ['default'] }],
  });
  try {
    assertRedacted({ provider, server });
    assert.match(inspect(server), /^DevServer \{/);
  } finally {
    await server.close();
  }
});

test('certificate watcher and the pair it hands out', () => {
  const watcher = watchCertificateFiles({ crt: pki.client.certPath, key: pki.client.keyPath, ca: pki.ca.certPath });
  try {
    assertRedacted({ watcher, pair: watcher.current() });
    assert.ok(watcher.current().key.toString().includes('PRIVATE KEY'));
  } finally {
    watcher.close();
  }
});

test('certs results that carry a key (CA, issued, CSR, imported PKCS#12) show keyPem as [redacted]', async () => {
  const ca = await createCertificateAuthority({ commonName: 'Redaction CA', organization: 'Bastion tests' });
  const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'worker-9', organization: 'Bastion tests' });
  const csr = await createCsr({ commonName: 'worker-10', organization: 'Bastion tests' });
  const p12 = exportPkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPems: [ca.certPem], password: PASSWORD });
  const imported = importPkcs12(p12, PASSWORD);
  const keys = [ca, leaf, csr].map((r, i) => ({ name: `generated key ${i}`, value: r.keyPem }));
  assertRedacted({ ca, leaf, csr, imported }, keys, [ca.certPem, leaf.certPem]);
  assert.is(JSON.parse(JSON.stringify(leaf)).keyPem, '[redacted]');
  assert.ok(leaf.keyPem.includes('PRIVATE KEY'), 'the key is still returned');
});

test('key material given where a file path belongs is never echoed (connection, dev server, codec server, key ring)', async () => {
  const damaged = pki.client.key.replace(/-----/g, '----');
  const keyJson = JSON.stringify({ active: 'k2', keys: { k2: Buffer.from(KEY).toString('base64') } });
  const codec = await EncryptionCodec.create({ keyRing: new KeyRing({ active: 'k2', keys: { k2: KEY } }) });
  const errors: Array<[string, () => unknown]> = [
    ['connection key', () => compileTls({ clientCertPair: { crt: pki.client.cert, key: damaged } }, false)],
    ['connection CA', () => compileTls({ serverRootCACertificate: damaged }, false)],
    ['dev server key', () => DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: damaged } })],
    ['codec server key', () => createCodecServer({ codec, tls: { cert: pki.server.cert, key: damaged } })],
    ['key ring file', () => KeyRing.fromFile(keyJson)],
    ['key ring file (several lines)', () => KeyRing.fromFile(JSON.stringify(JSON.parse(keyJson), null, 2))],
  ];
  const scan = new SecretScanner(secrets, publicTexts);
  for (const [name, run] of errors) {
    let caught: unknown;
    try {
      await run();
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof Error, `${name} is refused`);
    scan.collectError(name, caught);
  }
  scan.assertClean();
});

test.run();
