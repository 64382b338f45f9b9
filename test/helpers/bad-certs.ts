/**
 * Certificates that break one rule each, for the doctor's tests, built with the toolkit's
 * X.509 builder and signed by a test PKI's CA. Generated at test time; never committed.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCertificate, OID } from '../../certs/x509-builder';
import { parseCertificate, splitPem } from '../../certs/x509-reader';
import type { TestCert } from './certs';

/**
 * A server certificate for localhost and 127.0.0.1 whose extended key usage is only
 * clientAuth (no serverAuth), signed by `ca`; written to `<dir>/<name>.pem|.key`.
 */
export function serverCertWithoutServerAuth(dir: string, name: string, ca: TestCert): TestCert {
  const caCert = parseCertificate('ca', splitPem('ca', ca.cert)[0]!);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const { pem } = buildCertificate({
    subject: { commonName: 'localhost', organization: 'Bastion tests' },
    issuerNameDer: caCert.subjectDer,
    subjectPublicKey: publicKey,
    signingKey: crypto.createPrivateKey(ca.key),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    ca: false,
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [OID.clientAuth],
    altNames: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    authorityKeyId: caCert.subjectKeyId,
  });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  fs.writeFileSync(certPath, pem);
  fs.writeFileSync(keyPath, keyPem, { mode: 0o600 });
  return { cert: pem, key: keyPem, certPath, keyPath };
}
