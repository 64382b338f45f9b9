/**
 * `loadClientConnectConfig`: temporal.toml profiles, TEMPORAL_* variables, overrides, the
 * CLI's flag layer, where each setting came from, the errors for each mistake, one real mTLS
 * connection configured only by variables, and one that follows its certificate files.
 * Every test passes `env` explicitly, so process.env is never read or changed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, loadClientConnectConfig, defaultConfigFilePath, type TlsConfig } from '../../src/index';
import { loadClientConnectConfigWithFlags } from '../../src/connection/envconfig';
import { DevServer } from '../../src/testing';
import { createCertificateAuthority, issueCertificate } from '../../certs';
import type { CertificateWatcher } from '../../certs/certificate-watcher';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { waitFor, withTimeout } from '../helpers/wait';

const test = suite('connection: environment configuration');
let dir: string;

test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-envconfig-'));
});

test.after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function writeToml(text: string): string {
  const file = path.join(dir, `temporal-${++fileCount}.toml`);
  fs.writeFileSync(file, text);
  return file;
}

function configError(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    assert.is((err as Error).name, 'ConfigError');
    return err as Error & { code?: string };
  }
  throw new Error('expected a ConfigError');
}

const PROFILES = `
[profile.default]
address = "file-host:7233"
namespace = "file-ns"

[profile.default.grpc_meta]
x-team = "payments"
Some_Header = "a"

[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "prod-ns"
api_key = "secret-api-key"

[profile.prod.codec]
endpoint = "https://codec.example/prod"
auth = "Bearer codec-token"
`;

test('reads the default profile from the file, normalising grpc_meta names', () => {
  const file = writeToml(PROFILES);
  const cfg = loadClientConnectConfig({ configFile: file, env: {} });
  assert.equal(cfg.connectionOptions, { address: 'file-host:7233', metadata: { 'x-team': 'payments', 'some-header': 'a' } });
  assert.is(cfg.namespace, 'file-ns');
  assert.is(cfg.profile, 'default');
  assert.is(cfg.configFile, file);
  assert.is(cfg.codec, undefined);
});

test('reads only the environment when there is no file', () => {
  const cfg = loadClientConnectConfig({
    env: { XDG_CONFIG_HOME: dir, TEMPORAL_ADDRESS: 'env-host:7000', TEMPORAL_NAMESPACE: 'env-ns', TEMPORAL_CODEC_ENDPOINT: 'http://localhost:8888' },
  });
  assert.equal(cfg.connectionOptions, { address: 'env-host:7000' });
  assert.is(cfg.namespace, 'env-ns');
  assert.is(cfg.configFile, undefined);
  assert.equal(cfg.codec, { endpoint: 'http://localhost:8888' });
});

test('ignores a missing file at the default location and defaults the namespace', () => {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'nowhere') };
  assert.is(defaultConfigFilePath(env, 'linux'), path.join(dir, 'nowhere', 'temporalio', 'temporal.toml'));
  const cfg = loadClientConnectConfig({ env });
  assert.equal(cfg.connectionOptions, {});
  assert.is(cfg.namespace, 'default');
  assert.is(cfg.profile, 'default');
});

test('finds temporal.toml at the default location of each platform', () => {
  assert.is(defaultConfigFilePath({ HOME: '/home/u' }, 'linux'), '/home/u/.config/temporalio/temporal.toml');
  assert.is(defaultConfigFilePath({ HOME: '/Users/u' }, 'darwin'), '/Users/u/Library/Application Support/temporalio/temporal.toml');
  assert.is(defaultConfigFilePath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32'), 'C:\\Users\\u\\AppData\\Roaming\\temporalio\\temporal.toml');
  const file = path.join(dir, 'xdg', 'temporalio', 'temporal.toml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '[profile.default]\naddress = "xdg-host:7233"\n');
  assert.is(loadClientConnectConfig({ env: { XDG_CONFIG_HOME: path.join(dir, 'xdg') } }).connectionOptions.address, 'xdg-host:7233');
});

test('rejects an explicitly named file that does not exist, naming it', () => {
  const missing = path.join(dir, 'missing.toml');
  const err = configError(() => loadClientConnectConfig({ configFile: missing, env: {} }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, '`configFile`');
  assert.match(err.message, missing);
  assert.match(err.message, 'ENOENT');
  const viaEnv = configError(() => loadClientConnectConfig({ env: { TEMPORAL_CONFIG_FILE: missing } }));
  assert.match(viaEnv.message, '`TEMPORAL_CONFIG_FILE`');
});

test('lets the environment override the file', () => {
  const file = writeToml(PROFILES);
  const cfg = loadClientConnectConfig({ env: { TEMPORAL_CONFIG_FILE: file, TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns' } });
  assert.is(cfg.connectionOptions.address, 'env-host:7233');
  assert.is(cfg.namespace, 'env-ns');
  assert.is(cfg.configFile, file);
});

test('lets overrides win over the environment and the file, merging metadata', () => {
  const file = writeToml(PROFILES);
  const cfg = loadClientConnectConfig({
    configFile: file,
    env: { TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns' },
    overrides: { address: 'override:1234', namespace: 'override-ns', metadata: { 'x-team': 'ledger' }, connectTimeout: '3s' },
  });
  assert.equal(cfg.connectionOptions, { address: 'override:1234', metadata: { 'x-team': 'ledger', 'some-header': 'a' }, connectTimeout: '3s' });
  assert.is(cfg.namespace, 'override-ns');
});

test('selects the profile from TEMPORAL_PROFILE, with TLS on because of the API key', () => {
  const file = writeToml(PROFILES);
  const cfg = loadClientConnectConfig({ configFile: file, env: { TEMPORAL_PROFILE: 'prod' } });
  assert.is(cfg.profile, 'prod');
  assert.equal(cfg.connectionOptions, { address: 'prod.tmprl.cloud:7233', apiKey: 'secret-api-key', tls: {} });
  assert.is(cfg.namespace, 'prod-ns');
  assert.equal(cfg.codec, { endpoint: 'https://codec.example/prod', auth: 'Bearer codec-token' });
  // The option beats the variable.
  assert.is(loadClientConnectConfig({ configFile: file, profile: 'default', env: { TEMPORAL_PROFILE: 'prod' } }).namespace, 'file-ns');
});

test('turns TLS on for an API key from the environment alone', () => {
  const cfg = loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_API_KEY: 'k' } });
  assert.equal(cfg.connectionOptions, { apiKey: 'k', tls: {} });
});

test('TEMPORAL_TLS=false disables TLS despite an API key and TLS settings', () => {
  const file = writeToml(PROFILES);
  for (const off of ['false', '0', 'FALSE']) {
    const cfg = loadClientConnectConfig({ configFile: file, profile: 'prod', env: { TEMPORAL_TLS: off, TEMPORAL_TLS_SERVER_NAME: 'x' } });
    assert.is(cfg.connectionOptions.tls, false, off);
  }
  assert.equal(loadClientConnectConfig({ configFile: file, env: { TEMPORAL_TLS: 'true' } }).connectionOptions.tls, {});
  assert.equal(loadClientConnectConfig({ configFile: file, env: { TEMPORAL_TLS: '1' } }).connectionOptions.tls, {});
  const err = configError(() => loadClientConnectConfig({ configFile: file, env: { TEMPORAL_TLS: 'yes' } }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, '`TEMPORAL_TLS`');
});

test('tls.disabled in the file turns TLS off, and an empty [tls] table turns it on', () => {
  const file = writeToml('[profile.default]\napi_key = "k"\n[profile.default.tls]\ndisabled = true\n');
  assert.is(loadClientConnectConfig({ configFile: file, env: {} }).connectionOptions.tls, false);
  const on = writeToml('[profile.default]\n[profile.default.tls]\n');
  assert.equal(loadClientConnectConfig({ configFile: on, env: {} }).connectionOptions.tls, {});
});

test('rejects a named profile that the file does not have, listing those it has', () => {
  const file = writeToml(PROFILES);
  const err = configError(() => loadClientConnectConfig({ configFile: file, profile: 'staging', env: {} }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, '`staging`');
  assert.match(err.message, '`default`, `prod`');
  assert.match(err.message, file);
  const viaEnv = configError(() => loadClientConnectConfig({ configFile: file, env: { TEMPORAL_PROFILE: 'staging' } }));
  assert.match(viaEnv.message, '`TEMPORAL_PROFILE`');
  // A missing `default` profile is fine.
  const other = writeToml('[profile.other]\naddress = "a:1"\n');
  assert.equal(loadClientConnectConfig({ configFile: other, env: {} }).connectionOptions, {});
});

test('rejects a path and data for the same item, in the file and in the environment', () => {
  const file = writeToml(
    '[profile.prod.tls]\nclient_cert_path = "/c.pem"\nclient_cert_data = """\n-----BEGIN CERTIFICATE-----\nSECRETBODY\n-----END CERTIFICATE-----\n"""\n',
  );
  const err = configError(() => loadClientConnectConfig({ configFile: file, profile: 'prod', env: {} }));
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, '`profile.prod.tls.client_cert_path` and `client_cert_data` are both set');
  assert.not.match(err.message, 'SECRETBODY');
  const envErr = configError(() =>
    loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'SECRETBODY' } }),
  );
  assert.is(envErr.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(envErr.message, '`TEMPORAL_TLS_SERVER_CA_CERT_PATH` and `TEMPORAL_TLS_SERVER_CA_CERT_DATA`');
  assert.not.match(envErr.message, 'SECRETBODY');
});

test('rejects a client certificate without its key, naming the setting where it was made', () => {
  const err = configError(() => loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' } }));
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, '`TEMPORAL_TLS_CLIENT_CERT_PATH` and `TEMPORAL_TLS_CLIENT_KEY_PATH` must be given together');
  const file = writeToml('[profile.prod.tls]\nclient_key_data = "SECRETKEY"\n');
  const fromFile = configError(() => loadClientConnectConfig({ configFile: file, profile: 'prod', env: {} }));
  assert.is(fromFile.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(fromFile.message, `In profile "prod" of ${file}, \`tls.client_key_data\` sets the client key but \`tls.client_cert_path\``);
  assert.not.match(fromFile.message, 'SECRETKEY');
});

test('sources name the variable, the profile key with its file, or the override that set each option', () => {
  const file = writeToml(
    '[profile.prod]\naddress = "h:1"\nnamespace = "ns"\napi_key = "SECRETKEY"\n[profile.prod.tls]\nclient_cert_path = "/c.pem"\nclient_key_path = "/k.pem"\n',
  );
  const cfg = loadClientConnectConfig({
    configFile: file,
    profile: 'prod',
    env: { TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CADATA', TEMPORAL_NAMESPACE: 'env-ns' },
    overrides: { address: 'o:2' },
  });
  assert.equal(cfg.sources, {
    address: '`overrides.address`',
    namespace: '`TEMPORAL_NAMESPACE`',
    apiKey: `\`api_key\` in profile "prod" of ${file}`,
    tls: `\`tls\` in profile "prod" of ${file}`,
    'tls.clientCertPair.crt': `\`tls.client_cert_path\` in profile "prod" of ${file}`,
    'tls.clientCertPair.key': `\`tls.client_key_path\` in profile "prod" of ${file}`,
    'tls.serverRootCACertificate': '`TEMPORAL_TLS_SERVER_CA_CERT_DATA`',
  });
  assert.not.match(JSON.stringify(cfg.sources), /SECRETKEY|CADATA/);
  // Plaintext drops the TLS items from the sources with the items themselves.
  const off = loadClientConnectConfig({ configFile: file, profile: 'prod', env: { TEMPORAL_TLS: 'false' } });
  assert.is(off.connectionOptions.tls, false);
  assert.equal(Object.keys(off.sources).sort(), ['address', 'apiKey', 'namespace', 'tls']);
  assert.is(off.sources.tls, '`TEMPORAL_TLS`');
});

const FLAG_NAMES = {
  profile: '--profile',
  configFile: '--config-file',
  address: '--address',
  namespace: '--namespace',
  apiKey: '--api-key',
  tls: '--tls',
  clientCertPath: '--tls-cert-path',
  clientKeyPath: '--tls-key-path',
  serverCaCertPath: '--tls-ca-path',
  serverName: '--tls-server-name',
};

test('command-line flags sit over the environment item by item, and name themselves in errors', () => {
  const file = writeToml(
    '[profile.prod]\naddress = "file:1"\n[profile.prod.tls]\nclient_cert_data = "CERTDATA"\nclient_key_path = "/k.pem"\nserver_ca_cert_path = "/ca.pem"\n',
  );
  const cfg = loadClientConnectConfigWithFlags(
    { env: { TEMPORAL_ADDRESS: 'env:2', TEMPORAL_PROFILE: 'prod', TEMPORAL_CONFIG_FILE: file } },
    { address: 'flag:3', clientCertPath: '/flag.pem' },
    FLAG_NAMES,
  );
  const tls = cfg.connectionOptions.tls as TlsConfig;
  assert.is(cfg.connectionOptions.address, 'flag:3');
  assert.equal(tls.clientCertPair, { crt: '/flag.pem', key: '/k.pem' });
  assert.is(tls.serverRootCACertificate, '/ca.pem');
  assert.is(cfg.sources['tls.clientCertPair.crt'], '`--tls-cert-path`');
  assert.is(cfg.sources.address, '`--address`');
  // --tls=false wins over the profile's TLS; a TLS flag wins over TEMPORAL_TLS=false.
  assert.is(loadClientConnectConfigWithFlags({ configFile: file, profile: 'prod', env: {} }, { tls: false }, FLAG_NAMES).connectionOptions.tls, false);
  const on = loadClientConnectConfigWithFlags({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS: 'false' } }, { serverName: 'x' }, FLAG_NAMES);
  assert.equal(on.connectionOptions.tls, { serverNameOverride: 'x' });
  const missing = configError(() =>
    loadClientConnectConfigWithFlags({ configFile: file, env: { TEMPORAL_PROFILE: 'prod' } }, { profile: 'staging' }, FLAG_NAMES),
  );
  assert.match(missing.message, /^`--profile` names profile `staging`, which is not in ".*", which has `prod`/);
  const half = configError(() => loadClientConnectConfigWithFlags({ env: { XDG_CONFIG_HOME: dir } }, { clientKeyPath: '/k.pem' }, FLAG_NAMES));
  assert.match(half.message, '`--tls-key-path` and `--tls-cert-path` must be given together');
});

test('watchCertificateFiles: PEM data is an error (nothing to watch); no client certificate watches nothing', () => {
  const file = writeToml('[profile.default.tls]\nclient_cert_data = "SECRETCERT"\nclient_key_path = "/k.pem"\n');
  const err = configError(() => loadClientConnectConfig({ configFile: file, env: {}, watchCertificateFiles: true }));
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(
    err.message,
    `\`watchCertificateFiles\` is on, but \`tls.client_cert_data\` in profile "default" of ${file} gives the client certificate as PEM data, so there is no file to watch`,
  );
  assert.not.match(err.message, 'SECRETCERT');
  const envErr = configError(() =>
    loadClientConnectConfig({
      env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem', TEMPORAL_TLS_CLIENT_KEY_DATA: 'SECRETKEY' },
      watchCertificateFiles: { pollIntervalMs: 1000 },
    }),
  );
  assert.match(envErr.message, '`TEMPORAL_TLS_CLIENT_KEY_DATA` gives the client key as PEM data');
  assert.not.match(envErr.message, 'SECRETKEY');
  const none = loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS: 'true' }, watchCertificateFiles: true });
  assert.is(none.certificateWatcher, undefined);
  assert.equal(none.connectionOptions.tls, {});
  const bad = configError(() => loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir }, watchCertificateFiles: { interval: 5 } as never }));
  assert.match(bad.message, '`watchCertificateFiles.interval` is not an option');
});

test('watchCertificateFiles: a connection from a profile follows the certificate files as they are replaced', async () => {
  const work = fs.mkdtempSync(path.join(dir, 'watch-'));
  const ca = await createCertificateAuthority({ commonName: 'Envconfig Watch CA' });
  const serverCert = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const first = await issueCertificate({ ca, profile: 'client', commonName: 'worker-first' });
  const second = await issueCertificate({ ca, profile: 'client', commonName: 'worker-second' });
  const crtPath = path.join(work, 'client.pem');
  const keyPath = path.join(work, 'client.key');
  const caPath = path.join(work, 'ca.pem');
  fs.writeFileSync(crtPath, first.certPem);
  fs.writeFileSync(keyPath, first.keyPem, { mode: 0o600 });
  fs.writeFileSync(caPath, ca.certPem);
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  let watcher: CertificateWatcher | undefined;
  try {
    server = await DevServer.start({ logLevel: 'off', tls: { cert: serverCert.certPem, key: serverCert.keyPem, clientCa: ca.certPem } });
    const file = writeToml(
      `[profile.rotating]\naddress = "localhost:${server.port}"\n[profile.rotating.tls]\n` +
        `client_cert_path = ${JSON.stringify(crtPath)}\nclient_key_path = ${JSON.stringify(keyPath)}\nserver_ca_cert_path = ${JSON.stringify(caPath)}\n`,
    );
    const cfg = loadClientConnectConfig({ configFile: file, profile: 'rotating', env: {}, watchCertificateFiles: { pollIntervalMs: 200 } });
    watcher = cfg.certificateWatcher;
    assert.ok(watcher, 'a watcher is returned');
    assert.is((cfg.connectionOptions.tls as TlsConfig).clientCertPair, watcher);
    connection = await withTimeout(
      15_000,
      Connection.connect({ ...cfg.connectionOptions, connectTimeout: '10s', logger: { info() {}, warn() {}, error() {} } }),
      'mTLS connect',
    );
    assert.is(connection.tlsInfo()!.fingerprint256, first.fingerprint256);

    // Replace both files (each by an atomic rename), as a secret volume or cert-manager would.
    fs.writeFileSync(`${crtPath}.new`, second.certPem);
    fs.writeFileSync(`${keyPath}.new`, second.keyPem, { mode: 0o600 });
    fs.renameSync(`${crtPath}.new`, crtPath);
    fs.renameSync(`${keyPath}.new`, keyPath);
    await waitFor(() => connection!.tlsInfo()!.fingerprint256 === second.fingerprint256, 15_000, 'the connection presenting the new certificate');
    assert.is(connection.tlsInfo()!.subject.includes('worker-second'), true);
    const info = await withTimeout(10_000, connection.workflowService.getSystemInfo({}), 'a call after rotation');
    assert.ok(info.capabilities);
  } finally {
    await connection?.close();
    watcher?.close();
    await server?.close();
  }
});

test('maps TEMPORAL_GRPC_META_* to headers; an empty value removes one', () => {
  const file = writeToml(PROFILES);
  const cfg = loadClientConnectConfig({
    configFile: file,
    env: { TEMPORAL_GRPC_META_X_REQUEST_SOURCE: 'ci', TEMPORAL_GRPC_META_X_TEAM: '', TEMPORAL_GRPC_META_SOME_HEADER: 'b' },
  });
  assert.equal(cfg.connectionOptions.metadata, { 'some-header': 'b', 'x-request-source': 'ci' });
});

test('maps file TLS settings: paths as-is, data as Buffers, server name', () => {
  const file = writeToml(
    '[profile.default]\naddress = "h:1"\n[profile.default.tls]\nclient_cert_path = "/c.pem"\nclient_key_data = "KEYDATA"\nserver_ca_cert_data = "CADATA"\nserver_name = "temporal.internal"\n',
  );
  const tls = loadClientConnectConfig({ configFile: file, env: {} }).connectionOptions.tls as TlsConfig;
  assert.is(tls.clientCertPair!.crt, '/c.pem');
  assert.ok(Buffer.isBuffer(tls.clientCertPair!.key));
  assert.is(tls.clientCertPair!.key.toString(), 'KEYDATA');
  assert.is(tls.serverRootCACertificate!.toString(), 'CADATA');
  assert.is(tls.serverNameOverride, 'temporal.internal');
  // The environment replaces one item wholly (its path replaces the file's data).
  const env = loadClientConnectConfig({ configFile: file, env: { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' } }).connectionOptions.tls as TlsConfig;
  assert.is(env.serverRootCACertificate, '/ca.pem');
});

test("honours the CLI's older TEMPORAL_TLS_CERT / _KEY / _CA names when the new ones are absent", () => {
  const cfg = loadClientConnectConfig({
    env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS_CERT: '/old.pem', TEMPORAL_TLS_KEY_DATA: 'K', TEMPORAL_TLS_CA: '/old-ca.pem' },
  });
  const tls = cfg.connectionOptions.tls as TlsConfig;
  assert.is(tls.clientCertPair!.crt, '/old.pem');
  assert.is(tls.clientCertPair!.key.toString(), 'K');
  assert.is(tls.serverRootCACertificate, '/old-ca.pem');
  const newer = loadClientConnectConfig({ env: { XDG_CONFIG_HOME: dir, TEMPORAL_TLS_CA: '/old-ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/new-ca.pem' } });
  assert.is((newer.connectionOptions.tls as TlsConfig).serverRootCACertificate, '/new-ca.pem');
});

test('rejects malformed TOML, naming the file and line but not the content', () => {
  const file = writeToml('[profile.default]\naddress = "ok:1"\napi_key = "SECRETKEY\n');
  const err = configError(() => loadClientConnectConfig({ configFile: file, env: {} }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, file);
  assert.match(err.message, 'line 3');
  assert.not.match(err.message, 'SECRETKEY');
});

test('rejects unknown keys and values of the wrong type, naming the key', () => {
  const typo = writeToml('[profile.default.tls]\nclient_cert = "/c.pem"\n');
  const err = configError(() => loadClientConnectConfig({ configFile: typo, env: {} }));
  assert.match(err.message, '`profile.default.tls.client_cert`');
  const wrongType = writeToml('[profile.default]\naddress = 7233\n');
  assert.match(configError(() => loadClientConnectConfig({ configFile: wrongType, env: {} })).message, '`profile.default.address` in');
  const hostVerification = writeToml('[profile.default.tls]\ndisable_host_verification = true\n');
  assert.match(configError(() => loadClientConnectConfig({ configFile: hostVerification, env: {} })).message, 'disable_host_verification');
});

test('connects to a dev server with mTLS configured only by TEMPORAL_* variables', async () => {
  let pki: TestPki | undefined;
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  try {
    pki = await makeTestPki();
    server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const { connectionOptions, namespace } = loadClientConnectConfig({
      env: {
        XDG_CONFIG_HOME: dir,
        TEMPORAL_ADDRESS: `localhost:${server.port}`,
        TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyPath,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.certPath,
      },
    });
    assert.is(namespace, 'default');
    connection = await withTimeout(15_000, Connection.connect({ ...connectionOptions, connectTimeout: '10s' }), 'mTLS connect');
    const info = await connection.workflowService.getSystemInfo({});
    assert.ok(info.capabilities);
  } finally {
    await connection?.close();
    await server?.close();
    if (pki) removeTestPki(pki);
  }
});

test.run();
