/**
 * The operator commands read Temporal's environment configuration: a `temporal.toml` with a
 * plaintext and an mTLS profile (certificate files made at test time) pointing at two real
 * dev servers, selected by `--profile` or `TEMPORAL_PROFILE`, with flags over variables over
 * the profile, and errors that name the profile, the file and the setting.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, type ConnectionOptions } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { BIN, freePort, spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';
import { runCli } from '../helpers/cli-capture';

const test = suite('bastion operator commands: temporal.toml profiles');

const ENV_NAMES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
];
const savedEnv: Record<string, string | undefined> = {};
let pki: TestPki;
let plainServer: DevServer;
let mtlsServer: DevServer;
let dir: string;
let configFile: string;
let deadPort: number;

const run = runCli;

/** Starts one workflow, so a listing shows which server answered. */
async function startWorkflow(options: ConnectionOptions, workflowId: string): Promise<void> {
  const conn = await Connection.connect(options);
  try {
    await conn.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      workflowType: { name: 'ProfileWorkflow' },
      taskQueue: { name: 'profiles' },
      requestId: `r-${workflowId}`,
    });
  } finally {
    await conn.close();
  }
}

const toml = (value: string) => JSON.stringify(value);

test.before(async () => {
  for (const name of ENV_NAMES) {
    savedEnv[name] = process.env[name];
    delete process.env[name];
  }
  pki = await makeTestPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-cli-envconfig-'));
  plainServer = await DevServer.start({ logLevel: 'off' });
  mtlsServer = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.certPath, key: pki.server.keyPath, clientCa: pki.ca.certPath } });
  deadPort = await freePort();
  await startWorkflow({ address: plainServer.address }, 'on-plain-server');
  const tls = {
    serverRootCACertificate: pki.ca.certPath,
    serverNameOverride: 'localhost',
    clientCertPair: { crt: pki.client.certPath, key: pki.client.keyPath },
  };
  await startWorkflow({ address: mtlsServer.address, tls, expiryWarningDays: [] }, 'on-mtls-server');
  configFile = path.join(dir, 'temporal.toml');
  fs.writeFileSync(
    configFile,
    [
      '[profile.plain]',
      `address = ${toml(plainServer.address)}`,
      'namespace = "default"',
      '',
      '[profile.mtls]',
      `address = ${toml(`localhost:${mtlsServer.port}`)}`,
      '[profile.mtls.tls]',
      `client_cert_path = ${toml(pki.client.certPath)}`,
      `client_key_path = ${toml(pki.client.keyPath)}`,
      `server_ca_cert_path = ${toml(pki.ca.certPath)}`,
      '',
      '[profile.broken]',
      `address = ${toml(`localhost:${mtlsServer.port}`)}`,
      '[profile.broken.tls]',
      `client_cert_path = ${toml(path.join(dir, 'no-such-client.pem'))}`,
      `client_key_path = ${toml(pki.client.keyPath)}`,
      `server_ca_cert_path = ${toml(pki.ca.certPath)}`,
      '',
    ].join('\n'),
  );
});

test.after(async () => {
  await plainServer?.close();
  await mtlsServer?.close();
  if (pki) removeTestPki(pki);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

test(
  '--profile mtls lists the executions of the mTLS server, through mutual TLS',
  timed(15_000, async () => {
    const r = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'mtls']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^on-mtls-server\s/m);
    assert.not.match(r.stdout, /on-plain-server/);
    // The server refuses a call without the profile's client certificate.
    const noCert = await run(['workflow', 'list', '--address', `localhost:${mtlsServer.port}`, '--tls-ca-path', pki.ca.certPath]);
    assert.is(noCert.code, 1);
    const plain = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'plain', '-o', 'json']);
    assert.is(plain.code, 0, plain.stderr);
    assert.equal(
      JSON.parse(plain.stdout).map((e: { execution: { workflowId: string } }) => e.execution.workflowId),
      ['on-plain-server'],
    );
  }),
);

test(
  'TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE select the profile too; --profile wins over TEMPORAL_PROFILE',
  timed(15_000, async () => {
    try {
      process.env.TEMPORAL_CONFIG_FILE = configFile;
      process.env.TEMPORAL_PROFILE = 'mtls';
      const r = await run(['task-queue', 'describe', '-t', 'profiles', '-o', 'json']);
      assert.is(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout), { taskQueue: 'profiles', namespace: 'default', pollers: [] });
      const list = await run(['workflow', 'list']);
      assert.match(list.stdout, /^on-mtls-server\s/m);
      const flagWins = await run(['workflow', 'list', '--profile', 'plain']);
      assert.is(flagWins.code, 0, flagWins.stderr);
      assert.match(flagWins.stdout, /^on-plain-server\s/m);
    } finally {
      delete process.env.TEMPORAL_CONFIG_FILE;
      delete process.env.TEMPORAL_PROFILE;
    }
  }),
);

test(
  "--address beats TEMPORAL_ADDRESS, which beats the profile's address; the profile's TLS settings stay",
  timed(15_000, async () => {
    const flag = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'plain', '--address', `127.0.0.1:${deadPort}`]);
    assert.is(flag.code, 1);
    assert.match(flag.stderr, new RegExp(`^bastion: Could not connect to 127\\.0\\.0\\.1:${deadPort} \\(plaintext\\)`));
    try {
      process.env.TEMPORAL_ADDRESS = `127.0.0.1:${deadPort}`;
      const env = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'plain']);
      assert.is(env.code, 1);
      assert.match(env.stderr, `Could not connect to 127.0.0.1:${deadPort}`);
      // The mTLS profile's certificate, key and CA with another address for the same server (its IP SAN).
      const mtls = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'mtls', '--address', `127.0.0.1:${mtlsServer.port}`]);
      assert.is(mtls.code, 0, mtls.stderr);
      assert.match(mtls.stdout, /^on-mtls-server\s/m);
    } finally {
      delete process.env.TEMPORAL_ADDRESS;
    }
  }),
);

test(
  'a profile the file lacks: exit 1, naming the flag or variable, the profile and the file',
  timed(10_000, async () => {
    const r = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'staging']);
    assert.is(r.code, 1);
    assert.is(r.stdout, '');
    assert.match(
      r.stderr,
      `bastion: \`--profile\` names profile \`staging\`, which is not in ${JSON.stringify(configFile)}, which has \`plain\`, \`mtls\`, \`broken\`.`,
    );
    try {
      process.env.TEMPORAL_PROFILE = 'staging';
      const env = await run(['workflow', 'list', '--config-file', configFile]);
      assert.is(env.code, 1);
      assert.match(env.stderr, /^bastion: `TEMPORAL_PROFILE` names profile `staging`/);
    } finally {
      delete process.env.TEMPORAL_PROFILE;
    }
    const missingFile = path.join(dir, 'missing.toml');
    const noFile = await run(['workflow', 'list', '--config-file', missingFile]);
    assert.is(noFile.code, 1);
    assert.match(noFile.stderr, `bastion: \`--config-file\` names ${JSON.stringify(missingFile)}, which could not be read (ENOENT)`);
    const empty = await run(['workflow', 'list', '--profile', '']);
    assert.is(empty.code, 2);
    assert.match(empty.stderr, 'Flag `--profile` needs a non-empty value.');
  }),
);

test(
  'a path and PEM data for the same item is an error that names both keys and holds no PEM',
  timed(10_000, async () => {
    const file = path.join(dir, 'both.toml');
    fs.writeFileSync(
      file,
      `[profile.both.tls]\nclient_cert_path = ${toml(pki.client.certPath)}\nclient_cert_data = ${toml(pki.client.cert)}\nclient_key_path = ${toml(pki.client.keyPath)}\n`,
    );
    const r = await run(['workflow', 'list', '--config-file', file, '--profile', 'both']);
    assert.is(r.code, 1);
    assert.match(r.stderr, '`profile.both.tls.client_cert_path` and `client_cert_data` are both set');
    assert.not.match(r.stderr, 'BEGIN');
    try {
      process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH = pki.ca.certPath;
      process.env.TEMPORAL_TLS_SERVER_CA_CERT_DATA = pki.ca.cert;
      const env = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'mtls']);
      assert.is(env.code, 1);
      assert.match(env.stderr, '`TEMPORAL_TLS_SERVER_CA_CERT_PATH` and `TEMPORAL_TLS_SERVER_CA_CERT_DATA` are both set in the environment');
      assert.not.match(env.stderr, 'BEGIN');
    } finally {
      delete process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
      delete process.env.TEMPORAL_TLS_SERVER_CA_CERT_DATA;
    }
  }),
);

test(
  'an unreadable certificate file named in a profile: the message names the key, the profile and the file',
  timed(10_000, async () => {
    const r = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'broken']);
    assert.is(r.code, 1);
    assert.match(r.stderr, `bastion: \`tls.client_cert_path\` in profile "broken" of ${configFile} is not PEM text, so it was taken as a file path`);
    assert.match(r.stderr, 'no-such-client.pem');
    // A flag replaces the profile's item, and names itself.
    const fixed = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'broken', '--tls-cert-path', pki.client.certPath]);
    assert.is(fixed.code, 0, fixed.stderr);
    const half = await run(['workflow', 'list', '--config-file', configFile, '--profile', 'plain', '--tls-cert-path', pki.client.certPath]);
    assert.is(half.code, 1);
    assert.match(half.stderr, '`--tls-cert-path` and `--tls-key-path` must be given together');
  }),
);

test(
  'bastion doctor --profile mtls passes every step (bin/bastion.js)',
  timed(20_000, async () => {
    const p = spawnNode(
      [BIN, 'doctor', '--timeout', '3s', '--config-file', configFile, '--profile', 'mtls'],
      Object.fromEntries(ENV_NAMES.map((n) => [n, ''])),
    );
    const { code } = await p.exited;
    const output = p.output();
    assert.is(code, 0, output);
    for (const step of ['dns', 'tcp', 'tls', 'client-certificate', 'grpc', 'namespace']) assert.match(output, new RegExp(`^✓ ${step} `, 'm'));
    assert.match(output, /All checks passed\./);
    assert.not.match(output, /PRIVATE KEY/);
  }),
);

test(
  'help lists --profile and --config-file with their variables',
  timed(5_000, async () => {
    const r = await run(['workflow', 'list', '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, /--profile NAME\s+profile of temporal\.toml to use \(env TEMPORAL_PROFILE/);
    assert.match(r.stdout, /--config-file FILE\s+the temporal\.toml to read \(env TEMPORAL_CONFIG_FILE/);
  }),
);

test.run();
