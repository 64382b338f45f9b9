/** inspectCertificate fields, verifyCertificate problems, and Temporal Cloud's bundle and client rules. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import {
  checkClientCertificateForCloud,
  checkTemporalCloudCaBundle,
  createCertificateAuthority,
  inspectCertificate,
  issueCertificate,
  verifyCertificate,
  type IssuedCertificate,
} from '../../certs/index';

const test = suite('certs: inspect, verify, Temporal Cloud');
let ca: IssuedCertificate;
let otherCa: IssuedCertificate;
let server: IssuedCertificate;
let client: IssuedCertificate;

test.before(async () => {
  ca = await createCertificateAuthority({ commonName: 'Acme CA', organization: 'Acme' });
  otherCa = await createCertificateAuthority({ commonName: 'Other CA', keyType: 'ecdsa-p256' });
  server = await issueCertificate({
    ca,
    profile: 'server',
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    uris: ['spiffe://acme/server'],
  });
  client = await issueCertificate({ ca, profile: 'client', commonName: 'worker-1', organization: 'Acme', organizationalUnit: 'Ops' });
});

const codes = (r: { problems: Array<{ code: string }> }): string[] => r.problems.map((p) => p.code);

test('inspect reports the fields of a certificate', () => {
  const [info] = inspectCertificate(client.certPem).certificates;
  assert.is(info!.subject, 'CN=worker-1, OU=Ops, O=Acme');
  assert.equal(info!.subjectName, { organization: 'Acme', organizationalUnit: 'Ops', commonName: 'worker-1' });
  assert.is(info!.issuer, 'CN=Acme CA, O=Acme');
  assert.is(info!.version, 3);
  assert.is(info!.serialNumber, client.serialNumber);
  assert.is(info!.serialNumber, new crypto.X509Certificate(client.certPem).serialNumber.toUpperCase());
  assert.is(info!.fingerprint256, new crypto.X509Certificate(client.certPem).fingerprint256);
  assert.match(info!.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.is(info!.keyAlgorithm, 'ECDSA');
  assert.is(info!.keyCurve, 'P-384');
  assert.is(info!.isCA, false);
  assert.equal(info!.keyUsage, ['digitalSignature']);
  assert.equal(info!.extendedKeyUsage, ['clientAuth']);
  assert.is(info!.signatureAlgorithm, 'ecdsa-with-SHA384');
  const [caInfo] = inspectCertificate(ca.certPem).certificates;
  assert.is(caInfo!.isCA, true);
  assert.is(caInfo!.selfSigned, true);
  assert.equal(caInfo!.keyUsage, ['digitalSignature', 'keyCertSign', 'cRLSign']);
  const [srv] = inspectCertificate(server.certPem).certificates;
  assert.equal(srv!.subjectAltNames, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], uris: ['spiffe://acme/server'], emails: [] });
});

test('inspect tells whether a bundle is in chain order', () => {
  assert.is(inspectCertificate(client.certPem + ca.certPem).inChainOrder, true);
  assert.is(inspectCertificate(ca.certPem + client.certPem).inChainOrder, false);
  const e = (() => {
    try {
      inspectCertificate('nothing here');
    } catch (err) {
      return err as Error & { code: string };
    }
    return undefined;
  })();
  assert.is(e?.code, 'ERR_CERTS_INVALID_PEM');
});

test('verify passes a good certificate', () => {
  const r = verifyCertificate({
    certPem: server.certPem,
    keyPem: server.keyPem,
    caPems: [otherCa.certPem, ca.certPem],
    purpose: 'server',
    hostname: 'localhost',
  });
  assert.equal(r, { ok: true, problems: [] });
  assert.ok(verifyCertificate({ certPem: server.certPem, hostname: '127.0.0.1' }).ok);
});

test('verify names an expired and a not-yet-valid certificate, with dates', async () => {
  const day = 86_400_000;
  const expired = await issueCertificate({
    ca,
    profile: 'client',
    commonName: 'old',
    notBefore: new Date(Date.now() - 10 * day),
    notAfter: new Date(Date.now() - day),
  });
  const r = verifyCertificate({ certPem: expired.certPem });
  assert.equal(codes(r), ['EXPIRED']);
  assert.match(r.problems[0]!.message, /\(subject CN=old\) expired at \d{4}-/);
  const future = verifyCertificate({ certPem: client.certPem, at: new Date(Date.now() - day) });
  assert.equal(codes(future), ['NOT_YET_VALID']);
  // Within the default 5-minute skew is fine.
  assert.ok(verifyCertificate({ certPem: client.certPem, at: new Date(Date.now() - 60_000) }).ok);
});

test('verify names a wrong key, a wrong CA, a wrong purpose and a wrong host', () => {
  const r = verifyCertificate({ certPem: client.certPem, keyPem: server.keyPem, caPems: [otherCa.certPem], purpose: 'server', hostname: 'example.com' });
  assert.equal(codes(r), ['KEY_MISMATCH', 'UNKNOWN_ISSUER', 'PURPOSE_NOT_ALLOWED', 'HOSTNAME_MISMATCH']);
  assert.not.ok(r.ok);
  assert.match(r.problems[1]!.message, /issued by CN=Acme CA, which is not among/);
  assert.match(r.problems[2]!.message, /lacks serverAuth/);
  assert.match(r.problems[3]!.message, /`hostname` example.com is not among/);
  const joined = r.problems.map((p) => p.message).join('\n');
  assert.not.ok(joined.includes(server.keyPem.split('\n')[1]!), 'no key text');
});

test('a CA bundle of two roots and an intermediate passes Temporal Cloud rules', async () => {
  assert.ok(checkTemporalCloudCaBundle(ca.certPem + otherCa.certPem).ok);
  const intermediate = await issueIntermediate();
  assert.equal(checkTemporalCloudCaBundle(ca.certPem + intermediate).problems, []);
  assert.equal(
    checkClientCertificateForCloud(client.certPem, ca.certPem + otherCa.certPem, { organization: 'ACME', commonName: 'worker-*', organizationalUnit: '*ps' })
      .problems,
    [],
  );
});

async function issueIntermediate(): Promise<string> {
  // An intermediate CA signed by `ca`, built through the same path (CA:TRUE leaf-less).
  const { buildCertificate } = await import('../../certs/x509-builder');
  const { parseCertificate, splitPem } = await import('../../certs/x509-reader');
  const caCert = parseCertificate('ca', splitPem('ca', ca.certPem)[0]!);
  const keys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return buildCertificate({
    subject: { commonName: 'Acme Intermediate' },
    issuerNameDer: caCert.subjectDer,
    subjectPublicKey: keys.publicKey,
    signingKey: crypto.createPrivateKey(ca.keyPem),
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000 * 30),
    ca: true,
    keyUsage: ['keyCertSign', 'cRLSign'],
  }).pem;
}

test('Temporal Cloud bundle rules name a leaf, a duplicate name, an orphan and too many certificates', async () => {
  const leaf = checkTemporalCloudCaBundle(ca.certPem + client.certPem);
  assert.equal(codes(leaf), ['NOT_A_CA']);
  assert.match(leaf.problems[0]!.message, /certificate 2 \(subject CN=worker-1, OU=Ops, O=Acme\) is not a CA/);
  const twin = await createCertificateAuthority({ commonName: 'acme ca', organization: 'ACME', keyType: 'ecdsa-p256' });
  const dup = checkTemporalCloudCaBundle(ca.certPem + twin.certPem);
  assert.equal(codes(dup), ['DUPLICATE_NAME']);
  assert.match(dup.problems[0]!.message, /certificate 2 .* same distinguished name as certificate 1/);
  const orphan = checkTemporalCloudCaBundle(await issueIntermediate());
  assert.equal(codes(orphan), ['NOT_CHAINED']);
  const many = await Promise.all(Array.from({ length: 17 }, (_, i) => createCertificateAuthority({ commonName: `CA ${i}`, keyType: 'ecdsa-p256' })));
  const big = checkTemporalCloudCaBundle(many.map((c) => c.certPem).join(''));
  assert.equal(codes(big), ['TOO_MANY_CERTIFICATES']);
  assert.match(big.problems[0]!.message, /holds 17 certificates; Temporal Cloud accepts at most 16/);
  const huge = checkTemporalCloudCaBundle(ca.certPem + ' '.repeat(33 * 1024));
  assert.equal(codes(huge), ['BUNDLE_TOO_LARGE']);
});

test('Temporal Cloud client checks name a CA used as a client, a foreign issuer and a filter mismatch', () => {
  const r = checkClientCertificateForCloud(client.certPem, otherCa.certPem, { commonName: 'reader-*', subjectAlternativeName: 'x' });
  assert.equal(codes(r), ['UNKNOWN_ISSUER', 'FILTER_MISMATCH', 'FILTER_MISMATCH']);
  assert.match(r.problems[1]!.message, /filter `commonName` "reader-\*" \(it has "worker-1"\)/);
  assert.equal(codes(checkClientCertificateForCloud(ca.certPem, ca.certPem)), ['NOT_A_LEAF']);
  let err: (Error & { code?: string }) | undefined;
  try {
    checkClientCertificateForCloud(client.certPem, ca.certPem, { commonName: 'wo*rk' });
  } catch (e) {
    err = e as Error & { code?: string };
  }
  assert.is(err?.code, 'ERR_CERTS_INVALID_OPTION');
  assert.match(err!.message, /`filters.commonName` may hold one `\*`, at its start or its end/);
});

test.run();
