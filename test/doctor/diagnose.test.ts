/**
 * `diagnoseConnection` and `Connection.connect`'s messages against the real dev server
 * with mTLS (a client CA), one case per way an mTLS connection goes wrong: each failing
 * case checks both the connect error and the step at which the doctor fails.
 */
import * as net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, diagnoseConnection, type ConnectionOptions, type DiagnoseOptions, type Diagnosis, type DoctorStep } from '../../src/index';
import { DevServer } from '../../src/testing';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { serverCertWithoutServerAuth } from '../helpers/bad-certs';
import { timed } from '../helpers/wait';

const test = suite('doctor: diagnoseConnection against the dev server');
const DAY = 86_400_000;
let pki: TestPki;
let mtls: DevServer;
let plain: DevServer;
let noServerAuth: DevServer;
let expired: TestCert;
let notYetValid: TestCert;

test.before(async () => {
  pki = await makeTestPki();
  expired = issueCertificate(pki.dir, 'expired', {
    cn: 'worker-old',
    kind: 'client',
    issuer: pki.ca,
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });
  notYetValid = issueCertificate(pki.dir, 'future', {
    cn: 'worker-future',
    kind: 'client',
    issuer: pki.ca,
    notBefore: new Date(Date.now() + 2 * DAY),
    notAfter: new Date(Date.now() + 10 * DAY),
  });
  const bad = serverCertWithoutServerAuth(pki.dir, 'server-no-serverauth', pki.ca);
  mtls = await DevServer.start({ logLevel: 'off', namespaces: ['orders'], tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
  plain = await DevServer.start({ logLevel: 'off' });
  noServerAuth = await DevServer.start({ logLevel: 'off', tls: { cert: bad.cert, key: bad.key } });
});

test.after(async () => {
  await mtls?.close();
  await plain?.close();
  await noServerAuth?.close();
  removeTestPki(pki);
});

const pair = (c: TestCert) => ({ crt: c.certPath, key: c.keyPath });
const mtlsOptions = (clientCertPair?: { crt: string; key: string }, extra: object = {}): ConnectionOptions => ({
  address: `localhost:${mtls.port}`,
  tls: { serverRootCACertificate: pki.ca.certPath, ...(clientCertPair ? { clientCertPair } : {}), ...extra },
});

/** Diagnoses and checks that no key material appears anywhere in the result. */
async function diagnose(options: DiagnoseOptions): Promise<Diagnosis> {
  const d = await diagnoseConnection({ timeoutMs: 3000, ...options });
  const text = JSON.stringify(d);
  for (const c of [pki.client, pki.clientFromOtherCa, pki.ca, expired, notYetValid]) {
    for (const line of c.key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
      assert.not.ok(text.includes(line), 'key material in the diagnosis');
  }
  assert.not.match(text, /PRIVATE KEY/);
  assert.equal(
    d.steps.map((s) => s.name),
    ['config', 'dns', 'tcp', 'tls', 'client-certificate', 'grpc', 'namespace', 'api-key'],
  );
  return d;
}

/** The first failed step, checked to be `name`; every step after it that needs it is skipped. */
function failedAt(d: Diagnosis, name: DoctorStep['name']): DoctorStep {
  assert.is(d.ok, false);
  const first = d.steps.find((s) => s.status === 'failed');
  assert.ok(first, 'a step failed');
  assert.is(first!.name, name, `first failure: ${JSON.stringify(first)}`);
  assert.ok(first!.fix, 'a failed step has a fix');
  for (const later of ['grpc', 'namespace'] as const) assert.is(d.steps.find((s) => s.name === later)!.status, 'skipped');
  return first!;
}

async function connectError(options: ConnectionOptions): Promise<Error & { code?: string }> {
  const err = await Connection.connect({ connectTimeout: '5s', ...options }).then(
    async (c) => {
      await c.close();
      return undefined;
    },
    (e: Error & { code?: string }) => e,
  );
  assert.ok(err, 'expected Connection.connect to fail');
  assert.not.match(err!.message, /PRIVATE KEY/);
  return err!;
}

test(
  'happy path: every step passes, with the server chain and version in data',
  timed(15_000, async () => {
    const d = await diagnose({ ...mtlsOptions(pair(pki.client)), namespace: 'orders' });
    assert.is(d.ok, true, JSON.stringify(d.steps, null, 1));
    const status = Object.fromEntries(d.steps.map((s) => [s.name, s.status]));
    // The test PKI's certificates live for a day: the config step warns, and warnings do not fail.
    assert.equal(status, { config: 'warning', dns: 'ok', tcp: 'ok', tls: 'ok', 'client-certificate': 'ok', grpc: 'ok', namespace: 'ok', 'api-key': 'skipped' });
    const tls = d.steps.find((s) => s.name === 'tls')!;
    assert.is(tls.data!.alpn, 'h2');
    assert.match(String(tls.data!.protocol), /^TLSv1\.[23]$/);
    const chain = tls.data!.serverChain as Array<{ subject: string; issuer: string; fingerprint256: string }>;
    assert.match(chain[0]!.subject, /CN=localhost/);
    assert.match(chain[0]!.issuer, /CN=Bastion Test CA/);
    assert.match(chain[0]!.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.match(d.steps.find((s) => s.name === 'client-certificate')!.detail, /accepted your client certificate CN=worker-1/);
    assert.ok(d.steps.find((s) => s.name === 'grpc')!.data!.serverVersion);
    assert.match(d.steps[0]!.detail, /expires on .*within 30 days/);
  }),
);

test(
  'no client certificate: the server asked for one but none was configured',
  timed(15_000, async () => {
    const err = await connectError(mtlsOptions());
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.match(err.message, /requires a client certificate \(mutual TLS\) but none was configured/);
    const step = failedAt(await diagnose(mtlsOptions()), 'client-certificate');
    assert.match(step.detail, /asked for a client certificate but none was configured/);
    assert.match(step.fix!, /--tls-cert-path/);
  }),
);

test(
  'a client certificate from another CA: the server does not trust its issuer',
  timed(15_000, async () => {
    const options = mtlsOptions(pair(pki.clientFromOtherCa));
    const err = await connectError(options);
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.match(
      err.message,
      /refuse a client certificate they do not trust: check that the server trusts CN=Some Other CA, the CA that issued `tls\.clientCertPair\.crt` \(CN=intruder\)/,
    );
    const step = failedAt(await diagnose(options), 'client-certificate');
    assert.match(step.detail, /refused your client certificate CN=intruder: it does not trust CN=Some Other CA/);
  }),
);

test(
  'an expired client certificate: caught locally, and the server refuses it too',
  timed(15_000, async () => {
    const options = mtlsOptions(pair(expired));
    const err = await connectError(options);
    // Connection.connect checks the validity window before dialling.
    assert.is(err.code, 'ERR_TLS_CONFIG');
    assert.match(err.message, /expired on \d{4}-\d\d-\d\dT/);
    const d = await diagnose(options);
    const step = failedAt(d, 'config');
    assert.match(step.detail, /your client certificate CN=worker-old expired on \d{4}-\d\d-\d\dT/i);
    assert.match(d.steps.find((s) => s.name === 'client-certificate')!.detail, /your client certificate expired on/);
  }),
);

test(
  'a client certificate that is not valid yet',
  timed(15_000, async () => {
    const options = mtlsOptions(pair(notYetValid));
    const err = await connectError(options);
    assert.is(err.code, 'ERR_TLS_CONFIG');
    assert.match(err.message, /is not valid before/);
    const step = failedAt(await diagnose(options), 'config');
    assert.match(step.detail, /CN=worker-future is not valid until \d{4}-/);
  }),
);

test(
  'a key that does not belong to the certificate',
  timed(15_000, async () => {
    const options = mtlsOptions({ crt: pki.client.certPath, key: pki.clientFromOtherCa.keyPath });
    const err = await connectError(options);
    assert.is(err.code, 'ERR_TLS_CONFIG');
    assert.match(err.message, /does not match the certificate's public key \(subject CN=worker-1\)/);
    const d = await diagnose(options);
    const step = failedAt(d, 'config');
    assert.match(step.detail, /does not belong to the client certificate CN=worker-1/);
    assert.match(d.steps.find((s) => s.name === 'client-certificate')!.detail, /could not be presented/);
  }),
);

test(
  'a CA certificate given as the client certificate',
  timed(15_000, async () => {
    const withClientKey = mtlsOptions({ crt: pki.ca.certPath, key: pki.client.keyPath });
    const err = await connectError(withClientKey);
    assert.is(err.code, 'ERR_TLS_CONFIG');
    assert.match(err.message, /is a CA certificate \(CA:TRUE, subject CN=Bastion Test CA\)/);
    const step = failedAt(await diagnose(withClientKey), 'config');
    assert.match(step.detail, /the file given as the client certificate .* is a CA certificate \(CA:TRUE\)/i);
    // With the CA's own key a server that trusts the CA would accept it: Bastion refuses it anyway.
    const withOwnKey = await connectError(mtlsOptions(pair(pki.ca)));
    assert.is(withOwnKey.code, 'ERR_TLS_CONFIG');
    assert.match(withOwnKey.message, /CA:TRUE/);
    const withCaKey = await diagnose(mtlsOptions(pair(pki.ca)));
    assert.match(failedAt(withCaKey, 'config').detail, /is a CA certificate \(CA:TRUE\): CN=Bastion Test CA/);
  }),
);

test(
  'a server name the certificate does not list',
  timed(15_000, async () => {
    const options = mtlsOptions(pair(pki.client), { serverNameOverride: 'temporal.example' });
    const err = await connectError(options);
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.match(err.message, /not valid for `tls\.serverNameOverride` \(temporal\.example\)/);
    const step = failedAt(await diagnose(options), 'tls');
    assert.match(step.detail, /valid for DNS:localhost, IP:127\.0\.0\.1, not for temporal\.example/);
    assert.match(step.fix!, /--tls-server-name/);
  }),
);

test(
  'a server certificate without serverAuth',
  timed(15_000, async () => {
    const options: ConnectionOptions = { address: `127.0.0.1:${noServerAuth.port}`, tls: { serverRootCACertificate: pki.ca.cert } };
    const err = await connectError(options);
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.match(err.message, /does not allow serverAuth/);
    const d = await diagnose(options);
    assert.is(d.steps[1]!.status, 'skipped'); // dns: an IP literal
    const step = failedAt(d, 'tls');
    assert.match(step.detail, /does not allow serverAuth \(its extended key usage is clientAuth\)/);
  }),
);

test(
  'a closed port: tcp fails and every later step is skipped',
  timed(15_000, async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await connectError({ address: `127.0.0.1:${port}` });
    assert.is(err.code, 'ERR_CONNECT_FAILED');
    assert.match(err.message, /ECONNREFUSED/);
    const d = await diagnose({ address: `127.0.0.1:${port}` });
    const step = failedAt(d, 'tcp');
    assert.match(step.detail, /Nothing is listening on 127\.0\.0\.1:\d+: the connection was refused/);
    for (const s of d.steps.slice(3)) assert.is(s.status, 'skipped');
  }),
);

test(
  'a namespace the server does not have',
  timed(15_000, async () => {
    const d = await diagnose({ ...mtlsOptions(pair(pki.client)), namespace: 'no-such-ns' });
    assert.is(d.ok, false);
    const step = d.steps.find((s) => s.status === 'failed')!;
    assert.is(step.name, 'namespace');
    assert.match(step.detail, /Namespace no-such-ns does not exist on this server/);
    assert.is(d.steps.find((s) => s.name === 'grpc')!.status, 'ok');
  }),
);

test(
  'TLS against a plaintext server, and plaintext against a TLS server',
  timed(15_000, async () => {
    const tlsToPlain = failedAt(await diagnose({ address: plain.address, tls: { serverRootCACertificate: pki.ca.cert } }), 'tls');
    assert.match(tlsToPlain.detail, /does not speak TLS/);
    const plainToTls = failedAt(await diagnose({ address: mtls.address, tls: false }), 'tls');
    assert.match(plainToTls.detail, /the server expects TLS/);
    assert.match(plainToTls.fix!, /add --tls/);
  }),
);

test(
  'plaintext happy path, and an API key the server accepts',
  timed(15_000, async () => {
    const d = await diagnose({ address: plain.address });
    assert.is(d.ok, true, JSON.stringify(d.steps, null, 1));
    assert.match(d.steps.find((s) => s.name === 'tls')!.detail, /TLS is off; the server answers plaintext HTTP\/2/);
    const withKey = await diagnose({ address: plain.address, tls: false, apiKey: 'test-key-not-secret' });
    assert.is(withKey.ok, true);
    const apiKey = withKey.steps.find((s) => s.name === 'api-key')!;
    assert.is(apiKey.status, 'ok');
    assert.not.match(JSON.stringify(withKey), /test-key-not-secret/);
  }),
);

test(
  'a programming error throws; a bad address is a failed config step',
  timed(15_000, async () => {
    await diagnoseConnection(null as never).then(
      () => assert.unreachable('should throw'),
      (e: { code?: string }) => assert.is(e.code, 'ERR_INVALID_OPTION'),
    );
    const d = await diagnose({ address: 'no port here:x' });
    assert.is(failedAt(d, 'config').name, 'config');
  }),
);

test.run();
