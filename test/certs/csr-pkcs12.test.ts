/**
 * CSRs and PKCS#12: requests round-trip for RSA and ECDSA with SANs and are read by
 * OpenSSL; a tampered request is refused; a signed request verifies and carries a real
 * mTLS handshake; PKCS#12 files round-trip and interoperate with the system `openssl`
 * both ways, for both key types; a wrong password fails with a code and no secret.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  createCertificateAuthority,
  createCsr,
  exportPkcs12,
  importPkcs12,
  inspectCsr,
  issueCertificate,
  signCsr,
  verifyCertificate,
  type IssuedCertificate,
  type KeyType,
} from '../../certs/index';
import { withTimeout } from '../helpers/wait';
import { rejection } from '../helpers/errors';

const test = suite('certs: CSR and PKCS#12');
const OPENSSL = '/usr/bin/openssl';
const KEY_ARMOR = `-----BEGIN ${'PRIVATE'} KEY-----`;
const KEY_TYPES: KeyType[] = ['ecdsa-p256', 'rsa-2048'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-csr-p12-'));
const cas = new Map<KeyType, IssuedCertificate>();

async function caFor(keyType: KeyType): Promise<IssuedCertificate> {
  let ca = cas.get(keyType);
  if (!ca) cas.set(keyType, (ca = await createCertificateAuthority({ commonName: `Test CA ${keyType}`, organization: 'Acme', keyType })));
  return ca;
}

function openssl(args: string[]): string {
  return execFileSync(OPENSSL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A TLS server requiring client certificates from `ca`; resolves what the server read. */
async function mtlsRoundTrip(ca: IssuedCertificate, server: IssuedCertificate, client: { certPem: string; keyPem: string }): Promise<string> {
  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.end(`hello ${(socket.getPeerCertificate().subject as { CN?: string }).CN}`);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    return await withTimeout(
      10_000,
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, cert: client.certPem, key: client.keyPem });
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      }),
      'mTLS handshake',
    );
  } finally {
    srv.close();
  }
}

for (const keyType of KEY_TYPES) {
  test(`${keyType}: a CSR carries its subject and SANs, verifies, and OpenSSL reads it`, () =>
    withTimeout(20_000, async () => {
      const { csrPem, keyPem } = await createCsr({
        commonName: 'worker-1',
        organization: 'Acme',
        organizationalUnit: 'Ops',
        dnsNames: ['worker-1.acme.internal'],
        ipAddresses: ['10.0.0.7', '::1'],
        uris: ['spiffe://acme/worker-1'],
        keyType,
      });
      assert.ok(csrPem.startsWith('-----BEGIN CERTIFICATE REQUEST-----'));
      assert.ok(keyPem.startsWith(KEY_ARMOR));
      const info = inspectCsr(csrPem);
      assert.is(info.subject, 'CN=worker-1, OU=Ops, O=Acme');
      assert.equal(info.subjectAltNames, { dnsNames: ['worker-1.acme.internal'], ipAddresses: ['10.0.0.7', '::1'], uris: ['spiffe://acme/worker-1'] });
      assert.is(info.keyAlgorithm, keyType.startsWith('rsa') ? 'RSA' : 'ECDSA');
      assert.ok(info.signatureValid);
      const file = path.join(dir, `${keyType}.csr`);
      fs.writeFileSync(file, csrPem);
      const text = openssl(['req', '-in', file, '-noout', '-verify', '-text']);
      assert.match(text, /DNS:worker-1\.acme\.internal/);
      assert.match(text, /IP Address:10\.0\.0\.7/);
      assert.match(text, /URI:spiffe:\/\/acme\/worker-1/);
    }));

  test(`${keyType}: signCsr issues a client certificate that verifies and completes mTLS`, () =>
    withTimeout(20_000, async () => {
      const ca = await caFor(keyType);
      const { csrPem, keyPem } = await createCsr({ commonName: 'worker-2', organization: 'Acme', dnsNames: ['worker-2.acme'], keyType });
      const signed = await signCsr({ ca, csrPem, profile: 'client', validityDays: 30 });
      assert.not.ok('keyPem' in signed, 'the requester keeps the key');
      assert.is(signed.keyType, keyType);
      assert.equal(verifyCertificate({ certPem: signed.certPem, keyPem, caPems: [ca.certPem], purpose: 'client' }), { ok: true, problems: [] });
      assert.is(verifyCertificate({ certPem: signed.certPem, purpose: 'server' }).problems[0]?.code, 'PURPOSE_NOT_ALLOWED');
      const x = new crypto.X509Certificate(signed.certPem);
      assert.is(x.subject, 'O=Acme\nCN=worker-2');
      assert.is(x.checkHost('worker-2.acme'), 'worker-2.acme');
      const server = await issueCertificate({ ca, profile: 'server', commonName: 'localhost', dnsNames: ['localhost'] });
      assert.is(await mtlsRoundTrip(ca, server, { certPem: signed.certPem, keyPem }), 'hello worker-2');
    }));

  test(`${keyType}: PKCS#12 round trip, and OpenSSL reads what Bastion writes and the reverse`, () =>
    withTimeout(30_000, async () => {
      const ca = await caFor(keyType);
      const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'worker-3' });
      const password = `pw-${crypto.randomBytes(6).toString('hex')}`;
      const p12 = exportPkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPems: [ca.certPem], password, friendlyName: 'worker-3' });
      const back = importPkcs12(p12, password);
      assert.is(back.certPem, leaf.certPem);
      assert.is(back.keyPem, leaf.keyPem);
      assert.equal(back.chainPems, [ca.certPem]);

      const ours = path.join(dir, `ours-${keyType}.p12`);
      fs.writeFileSync(ours, p12);
      const dumped = openssl(['pkcs12', '-in', ours, '-nodes', '-passin', `pass:${password}`]);
      assert.ok(dumped.includes(leaf.certPem.trim()), 'openssl finds the certificate');
      assert.ok(dumped.includes(ca.certPem.trim()), 'openssl finds the chain');
      const keyBlock = dumped.slice(dumped.indexOf(KEY_ARMOR));
      assert.ok(crypto.createPrivateKey(keyBlock).export({ type: 'pkcs8', format: 'pem' }).toString() === leaf.keyPem, 'openssl decrypts the same key');

      const certFile = path.join(dir, `leaf-${keyType}.pem`);
      const keyFile = path.join(dir, `leaf-${keyType}.key`);
      const caFile = path.join(dir, `ca-${keyType}.pem`);
      fs.writeFileSync(certFile, leaf.certPem);
      fs.writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
      fs.writeFileSync(caFile, ca.certPem);
      for (const [name, extra] of [
        ['default', []],
        ['legacy-3des', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
      ] as const) {
        const theirs = path.join(dir, `theirs-${keyType}-${name}.p12`);
        openssl(['pkcs12', '-export', '-in', certFile, '-inkey', keyFile, '-certfile', caFile, '-out', theirs, '-passout', `pass:${password}`, ...extra]);
        const imported = importPkcs12(fs.readFileSync(theirs), password);
        assert.is(imported.certPem, leaf.certPem, `${name}: certificate`);
        assert.is(imported.keyPem, leaf.keyPem, `${name}: key`);
        assert.equal(imported.chainPems, [ca.certPem], `${name}: chain`);
      }
    }));
}

test('a tampered CSR is refused with ERR_CERTS_CSR_SIGNATURE', () =>
  withTimeout(20_000, async () => {
    const ca = await caFor('ecdsa-p256');
    const { csrPem } = await createCsr({ commonName: 'worker-1', keyType: 'ecdsa-p256' });
    // Change one character of the subject inside the signed part: "worker-1" becomes "worker-9".
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('worker-1'));
    der[at + 7] = '9'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.is(inspectCsr(tampered).subject, 'CN=worker-9');
    assert.is(inspectCsr(tampered).signatureValid, false);
    const e = await rejection(signCsr({ ca, csrPem: tampered, profile: 'client' }));
    assert.is(e.code, 'ERR_CERTS_CSR_SIGNATURE');
    assert.match(e.message, /`csrPem` \(subject CN=worker-9\) is not signed by its own key/);
    const garbage = await rejection(signCsr({ ca, csrPem: 'not a request', profile: 'client' }));
    assert.is(garbage.code, 'ERR_CERTS_INVALID_PEM');
  }));

test('createCsr reuses a given key and rejects keyType with keyPem', () =>
  withTimeout(20_000, async () => {
    const { keyPem } = await createCsr({ commonName: 'a', keyType: 'ecdsa-p256' });
    const again = await createCsr({ commonName: 'b', keyPem });
    assert.is(again.keyPem, keyPem);
    const both = await rejection(createCsr({ commonName: 'c', keyPem, keyType: 'rsa-2048' }));
    assert.is(both.code, 'ERR_CERTS_INVALID_OPTION');
    assert.match(both.message, /`keyType` and `keyPem`/);
    assert.not.ok(both.message.includes(keyPem.slice(40, 80)));
    const badSan = await rejection(createCsr({ commonName: 'c', ipAddresses: ['300.0.0.1'] }));
    assert.match(badSan.message, /`ipAddresses`/);
  }));

test('a wrong password gives ERR_CERTS_BAD_PASSWORD without the password; junk gives ERR_CERTS_INVALID_PKCS12', () =>
  withTimeout(20_000, async () => {
    const ca = await caFor('ecdsa-p256');
    const leaf = await issueCertificate({ ca, profile: 'client', commonName: 'w' });
    const p12 = exportPkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, password: 'right-horse-battery' });
    const e = await rejection(() => importPkcs12(p12, 'wrong-horse-battery'));
    assert.is(e.code, 'ERR_CERTS_BAD_PASSWORD');
    assert.not.ok(e.message.includes('horse'), 'no password in the message');
    assert.is((e as { name?: string }).name, 'CertsError');
    const junk = await rejection(() => importPkcs12(Buffer.from('definitely not pkcs12'), 'x'));
    assert.is(junk.code, 'ERR_CERTS_INVALID_PKCS12');
    const empty = await rejection(() => exportPkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, password: '' }));
    assert.is(empty.code, 'ERR_CERTS_INVALID_OPTION');
    const other = await issueCertificate({ ca, profile: 'client', commonName: 'other' });
    const mismatch = await rejection(() => exportPkcs12({ certPem: leaf.certPem, keyPem: other.keyPem, password: 'p' }));
    assert.is(mismatch.code, 'ERR_CERTS_KEY_MISMATCH');
    // The file itself never holds the key in the clear.
    const clearKey = crypto.createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'der' });
    assert.is(p12.indexOf(clearKey.subarray(-32)), -1);
  }));

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
