/**
 * Making certificates: a CA, client and server certificates for each key type; they
 * verify with node:crypto and carry a real mTLS handshake; bad options fail with codes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate, inspectCertificate, type IssuedCertificate, type KeyType } from '../../certs/index';
import { rejection } from '../helpers/errors';

const test = suite('certs: issue');

function withTimeout<T>(p: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

for (const keyType of ['ecdsa-p384', 'ecdsa-p256', 'rsa-2048'] as KeyType[]) {
  test(`${keyType}: CA, client and server certificates verify with node:crypto`, async () => {
    const ca = await createCertificateAuthority({ commonName: `CA ${keyType}`, organization: 'Acme', keyType });
    const server = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const client = await issueCertificate({ ca, profile: 'client', commonName: 'worker-1' });
    const caX = new crypto.X509Certificate(ca.certPem);
    assert.ok(caX.ca);
    assert.ok(caX.verify(caX.publicKey), 'self-signed');
    for (const leaf of [server, client]) {
      const x = new crypto.X509Certificate(leaf.certPem);
      assert.ok(x.verify(caX.publicKey));
      assert.ok(x.checkIssued(caX));
      assert.not.ok(x.ca);
      assert.is(leaf.keyType, keyType, 'defaults to the CA key type');
      assert.ok(leaf.keyPem.startsWith(`-----BEGIN ${'PRIVATE'} KEY-----`), 'PKCS#8');
      assert.equal(leaf.warnings, []);
    }
    const serverX = new crypto.X509Certificate(server.certPem);
    assert.is(serverX.checkHost('localhost'), 'localhost');
    assert.is(serverX.checkIP('127.0.0.1'), '127.0.0.1');
    assert.is(serverX.checkHost('example.com'), undefined);
    // tcld-like default: the leaf expires one day before the CA.
    assert.is(ca.notAfter.getTime() - client.notAfter.getTime(), 86_400_000);
    await assertMutualTls(ca, server, client);
  });
}

async function assertMutualTls(ca: IssuedCertificate, server: IssuedCertificate, client: IssuedCertificate): Promise<void> {
  const other = await createCertificateAuthority({ commonName: 'Other CA', keyType: 'ecdsa-p256' });
  const intruder = await issueCertificate({ ca: other, profile: 'client', commonName: 'intruder' });
  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) =>
    socket.end('hello'),
  );
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  const connect = (c: IssuedCertificate): Promise<string> =>
    withTimeout(
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, cert: c.certPem, key: c.keyPem });
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      }),
    );
  try {
    assert.is(await connect(client), 'hello');
    const serverRefusal = withTimeout(new Promise<Error>((resolve) => srv.once('tlsClientError', resolve)));
    const refused = await connect(intruder).then(
      (d) => d,
      (e: Error) => e,
    );
    assert.is.not(refused, 'hello', 'a client certificate from another CA is refused');
    // Under TLS 1.3 the client may finish its side before the server's alert arrives; the server's view is definitive.
    assert.ok((await serverRefusal) instanceof Error);
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}

test('an RSA-4096 CA issues an ECDSA client when asked', async () => {
  const ca = await createCertificateAuthority({ commonName: 'Big CA', keyType: 'rsa-4096', pathLength: 0 });
  const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'w', keyType: 'ecdsa-p256' });
  const [info] = inspectCertificate(leaf.certPem).certificates;
  assert.is(info!.keyCurve, 'P-256');
  assert.is(info!.signatureAlgorithm, 'sha256WithRSAEncryption');
  assert.is(inspectCertificate(ca.certPem).certificates[0]!.pathLength, 0);
});

test('validityDays past the CA is clamped to one day before it, with a warning', async () => {
  const ca = await createCertificateAuthority({ commonName: 'Short CA', validityDays: 10 });
  const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'w', validityDays: 30 });
  assert.is(ca.notAfter.getTime() - leaf.notAfter.getTime(), 86_400_000);
  assert.is(leaf.warnings.length, 1);
  assert.match(leaf.warnings[0]!, /`validityDays` 30 would outlive the CA/);
});

test('rejects validityDays above 365 with ERR_CERTS_INVALID_OPTION', async () => {
  const e = await rejection(createCertificateAuthority({ commonName: 'CA', validityDays: 400 }));
  assert.is(e.code, 'ERR_CERTS_INVALID_OPTION');
  assert.match(e.message, /`validityDays` is 400, above the maximum of 365/);
});

test('rejects an unknown keyType, a bad IP and a missing commonName', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', keyType: 'ecdsa-p256' });
  const bad = await rejection(createCertificateAuthority({ commonName: 'CA', keyType: 'dsa' as KeyType }));
  assert.is(bad.code, 'ERR_CERTS_INVALID_OPTION');
  assert.match(bad.message, /`keyType` must be one of/);
  const ip = await rejection(issueCertificate({ ca, profile: 'server', commonName: 's', ipAddresses: ['300.1.1.1'] }));
  assert.match(ip.message, /`ipAddresses` must be an array of IPv4 or IPv6 addresses/);
  const cn = await rejection(issueCertificate({ ca, profile: 'client', commonName: '' }));
  assert.match(cn.message, /`commonName` must be a non-empty string/);
});

test('rejects a CA key that does not match the CA certificate, without key text in the message', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', keyType: 'ecdsa-p256' });
  const other = await createCertificateAuthority({ commonName: 'Other', keyType: 'ecdsa-p256' });
  const e = await rejection(issueCertificate({ ca: { certPem: ca.certPem, keyPem: other.keyPem }, profile: 'client', commonName: 'w' }));
  assert.is(e.code, 'ERR_CERTS_KEY_MISMATCH');
  assert.match(e.message, /`ca.keyPem` does not match the public key of `ca.certPem` \(subject CN=CA\)/);
  const body = other.keyPem.split('\n')[1]!;
  assert.not.ok(e.message.includes(body));
  const unreadable = await rejection(issueCertificate({ ca: { certPem: ca.certPem, keyPem: 'garbage' }, profile: 'client', commonName: 'w' }));
  assert.is(unreadable.code, 'ERR_CERTS_INVALID_PEM');
  const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'w' });
  const notCa = await rejection(issueCertificate({ ca: leaf, profile: 'client', commonName: 'x' }));
  assert.match(notCa.message, /is not a CA certificate/);
});

test.run();
