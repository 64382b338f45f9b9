/**
 * `connectNative` with the real Core against the dev server over mTLS: options validated
 * with the same codes and sentences as `Connection.connect`, a refused handshake reported
 * with the doctor's named diagnosis (and the `bastion doctor --profile` to run), and
 * `setTlsConfig`, `setApiKey` and `close` of the manager.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { inspect } from 'node:util';
import { Connection } from '../../src/connection/connection';
import { diagnoseConnection } from '../../src/doctor';
import { loadClientConnectConfig } from '../../src/connection/envconfig';
import { BastionError } from '../../src/common/errors';
import { DevServer } from '../../src/testing';
import { connectNative, type DiagnosedError, type NativeConnectionManager, type NativeRefusalEvent } from '../../native';
import { installQuietRuntime } from '../helpers/official-env';
import { issueCertificate, makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { quietLogger } from '../helpers/bastion-env';
import { timed, withTimeout } from '../helpers/wait';
import { Registry } from 'prom-client';
import { inspectCertificate } from '../../certs';

const test = suite('native: connectNative');
let pki: TestPki;
let server: DevServer;

test.before(async () => {
  installQuietRuntime();
  pki = await makeTestPki();
  server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
});

test.after(async () => {
  await server?.close();
  if (pki) removeTestPki(pki);
});

const serverTls = () => ({ serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost' });

async function rejection(p: Promise<unknown>): Promise<DiagnosedError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, BastionError);
    return err as DiagnosedError;
  }
  throw new Error('expected a rejection');
}

test(
  'bad TLS material fails with the same code and sentence as Connection.connect',
  timed(20_000, async () => {
    const expired = issueCertificate(pki.dir, 'n-expired', {
      cn: 'n-expired',
      kind: 'client',
      issuer: pki.ca,
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const pairs = [
      { crt: expired.certPath, key: expired.keyPath },
      { crt: pki.client.cert, key: pki.clientFromOtherCa.key },
      { crt: pki.ca.certPath, key: pki.ca.keyPath },
    ];
    for (const clientCertPair of pairs) {
      const options = { address: server.address, tls: { ...serverTls(), clientCertPair }, logger: quietLogger };
      const ours = await rejection(connectNative(options));
      const bastion = await rejection(Connection.connect(options));
      assert.is(ours.code, 'ERR_TLS_CONFIG');
      assert.is(ours.code, bastion.code);
      assert.is(ours.message, bastion.message);
    }
  }),
);

test(
  'options Core does not take are refused with a hint',
  timed(10_000, async () => {
    const retry = await rejection(connectNative({ address: server.address, retry: { maxAttempts: 2 } } as never));
    assert.is(retry.code, 'ERR_INVALID_OPTION');
    assert.match(retry.message, '`retry` is not an option of `connectNative`. Core retries');
    const apiKey = await rejection(connectNative({ address: server.address, apiKey: (() => 'k') as never }));
    assert.is(apiKey.code, 'ERR_INVALID_OPTION');
    assert.match(apiKey.message, '`setApiKey(key)`');
  }),
);

test(
  'a client certificate the server does not trust: ERR_CONNECT_FAILED with the diagnosis `bastion doctor` gives for the same profile',
  timed(40_000, async () => {
    const file = path.join(pki.dir, 'temporal.toml');
    fs.writeFileSync(
      file,
      `[profile.prod]
address = "${server.address}"
[profile.prod.tls]
client_cert_path = "${pki.clientFromOtherCa.certPath}"
client_key_path = "${pki.clientFromOtherCa.keyPath}"
server_ca_cert_path = "${pki.ca.certPath}"
server_name = "localhost"
`,
    );
    const err = await rejection(connectNative({ configFile: file, profile: 'prod', connectTimeout: '5s', logger: quietLogger }));
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.ok(err.diagnosis, 'the diagnosis is attached');
    assert.is(err.diagnosis!.ok, false);
    const failed = err.diagnosis!.steps.find((s) => s.status === 'failed')!;
    assert.match(err.message, `bastion doctor: the \`${failed.name}\` step failed`);
    if (failed.fix) assert.match(err.message, failed.fix);
    assert.match(err.message, 'Run `bastion doctor --profile prod`');
    assert.not.match(err.message, 'PRIVATE KEY');
    const { connectionOptions, namespace } = loadClientConnectConfig({ configFile: file, profile: 'prod' });
    const doctor = await diagnoseConnection({ ...connectionOptions, namespace });
    assert.is(doctor.steps.find((s) => s.status === 'failed')?.name, failed.name, 'the same step fails in bastion doctor');
  }),
);

test(
  'setTlsConfig refuses a bad pair (with its code) and a pair the server refuses (with the diagnosis), then takes a good one; setApiKey; close is idempotent',
  timed(40_000, async () => {
    const registry = new Registry();
    const native: NativeConnectionManager = await connectNative({
      address: server.address,
      tls: { ...serverTls(), clientCertPair: { crt: pki.client.certPath, key: pki.client.keyPath } },
      connectTimeout: '5s',
      logger: quietLogger,
      metrics: { registry },
    });
    try {
      const first = native.connection;
      const refused: NativeRefusalEvent[] = [];
      native.on('refused', (e) => refused.push(e));
      const mismatch = await rejection(native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: pki.client.cert, key: pki.clientFromOtherCa.key } }));
      assert.is(mismatch.code, 'ERR_TLS_ROTATION_REFUSED');
      assert.equal(
        refused.at(-1)!.problems.map((p) => p.code),
        ['KEY_MISMATCH'],
      );
      const untrusted = await rejection(
        native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key } }),
      );
      assert.is(untrusted.code, 'ERR_TLS_ROTATION_REFUSED');
      assert.is(refused.at(-1)!.problems[0]!.code, 'CONNECT_FAILED');
      assert.ok(untrusted.diagnosis && !untrusted.diagnosis.ok, 'the diagnosis of the refused material');
      const wrongIssuer = await rejection(
        native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key } }, { clientCa: pki.ca.cert }),
      );
      assert.equal(
        refused.at(-1)!.problems.map((p) => p.code),
        ['UNKNOWN_ISSUER'],
      );
      assert.is(wrongIssuer.code, 'ERR_TLS_ROTATION_REFUSED');
      assert.is(native.connection, first, 'the old connection stays');
      assert.is(native.rotationCount, 0);

      const next = issueCertificate(pki.dir, 'n-next', { cn: 'n-next', kind: 'client', issuer: pki.ca });
      const rotated = once(native, 'rotation');
      const event = await native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: next.cert, key: next.key } }, { clientCa: pki.ca.cert });
      await rotated;
      assert.is(event.rotationCount, 1);
      assert.is(event.source, 'setTlsConfig');
      assert.is.not(native.connection, first);
      assert.match(native.tlsInfo()!.subject, 'n-next');
      // The connectivity metrics, as Bastion's own Connection records them.
      const series = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
      const notAfter = (await series('x509_cert_not_after')).filter((v) => v.labels.subject_CN === 'n-next').map((v) => v.value);
      assert.equal(notAfter, [Math.floor(inspectCertificate(next.cert).certificates[0]!.notAfter.getTime() / 1000)]);
      const rotations = await series('bastion_tls_rotations');
      assert.equal(
        rotations.filter((v) => v.labels.outcome === 'applied').map((v) => v.value),
        [1],
      );
      assert.equal(
        rotations.filter((v) => v.labels.reason === 'key_mismatch').map((v) => v.value),
        [1],
      );
      await native.connection.workflowService.getSystemInfo({});
      await native.setApiKey('a-new-key');
      await native.connection.workflowService.getSystemInfo({});
      assert.not.match(JSON.stringify(native), 'a-new-key');
      assert.not.match(inspect(native, { showHidden: true, depth: 5 }), 'a-new-key');
      assert.match(inspect(native), "apiKey: '[redacted]'");
    } finally {
      const closing = native.close();
      assert.is(native.close(), closing, 'close() returns one promise');
      await native[Symbol.asyncDispose]();
    }
    assert.is(native.state, 'closed');
    const closed = await rejection(native.setTlsConfig(serverTls()));
    assert.is(closed.code, 'ERR_CONNECTION_CLOSED');
  }),
);

test(
  'concurrent rotations run one at a time and the last one wins',
  timed(30_000, async () => {
    const native = await connectNative({
      address: server.address,
      tls: { ...serverTls(), clientCertPair: { crt: pki.client.certPath, key: pki.client.keyPath } },
      logger: quietLogger,
    });
    try {
      const a = issueCertificate(pki.dir, 'n-a', { cn: 'n-a', kind: 'client', issuer: pki.ca });
      const b = issueCertificate(pki.dir, 'n-b', { cn: 'n-b', kind: 'client', issuer: pki.ca });
      const [ea, eb] = await Promise.all([
        native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: a.cert, key: a.key } }),
        native.setTlsConfig({ ...serverTls(), clientCertPair: { crt: b.cert, key: b.key } }),
      ]);
      assert.equal([ea.rotationCount, eb.rotationCount], [1, 2]);
      assert.match(native.tlsInfo()!.subject, 'n-b');
    } finally {
      await native.close();
    }
  }),
);

test(
  'watchCertificateFiles: true follows the files the profile names',
  timed(30_000, async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, 'profile-watch-'));
    const crt = path.join(dir, 'client.pem');
    const key = path.join(dir, 'client.key');
    fs.writeFileSync(crt, pki.client.cert);
    fs.writeFileSync(key, pki.client.key);
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(
      file,
      `[profile.k8s]
address = "${server.address}"
namespace = "default"
[profile.k8s.tls]
client_cert_path = "${crt}"
client_key_path = "${key}"
server_ca_cert_path = "${pki.ca.certPath}"
server_name = "localhost"
`,
    );
    const native = await connectNative({ configFile: file, profile: 'k8s', watchCertificateFiles: true, logger: quietLogger });
    try {
      assert.is(native.namespace, 'default');
      const next = issueCertificate(pki.dir, 'n-profile', { cn: 'n-profile', kind: 'client', issuer: pki.ca });
      const rotated = once(native, 'rotation');
      // The key first, then the certificate: the half-written pair never goes live.
      fs.writeFileSync(key, next.key);
      fs.writeFileSync(crt, next.cert);
      await withTimeout(15_000, rotated, 'the rotation');
      assert.is(native.rotationCount, 1);
      assert.match(native.tlsInfo()!.subject, 'n-profile');
    } finally {
      await native.close();
    }
  }),
);

test(
  'expiry warnings for the client certificate in force, and an abort signal for connectNative',
  timed(20_000, async () => {
    const soon = issueCertificate(pki.dir, 'n-soon', { cn: 'n-soon', kind: 'client', issuer: pki.ca, notAfter: new Date(Date.now() + 2 * 86_400_000) });
    const warnings: string[] = [];
    const logger = { ...quietLogger, warn: (message: string) => warnings.push(message) };
    const native = await connectNative({
      address: server.address,
      tls: { ...serverTls(), clientCertPair: { crt: soon.cert, key: soon.key } },
      expiryWarningDays: [7],
      logger,
    });
    await native.close();
    assert.ok(
      warnings.some((w) => w.includes('CN=n-soon') && w.includes('expires in 1 day')),
      warnings.join('\n'),
    );
    const controller = new AbortController();
    const reason = new Error('gave up');
    controller.abort(reason);
    try {
      await connectNative({ address: server.address, tls: serverTls() }, { signal: controller.signal });
      assert.unreachable('expected the abort');
    } catch (err) {
      assert.is(err, reason);
    }
  }),
);

test.run();
