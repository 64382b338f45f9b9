/**
 * A throwaway PKI for tests, generated at test time into a temp folder: keys from
 * node:crypto (fast), certificates built and signed with node-forge. Nothing here is
 * ever committed.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import forge from 'node-forge';

export interface TestCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface TestPki {
  dir: string;
  ca: TestCert;
  otherCa: TestCert;
  server: TestCert;
  client: TestCert;
  clientFromOtherCa: TestCert;
}

function rsaKey(): { privatePem: string; forgePrivate: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privatePem,
    forgePrivate: forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey,
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
  };
}

interface Issued {
  pem: string;
  cert: forge.pki.Certificate;
  key: ReturnType<typeof rsaKey>;
}

function issue(cn: string, kind: 'ca' | 'server' | 'client', issuer?: Issued): Issued {
  const key = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.forgePublic;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: cn }, { name: 'organizationName', value: 'Bastion tests' }];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  const extensions: object[] = [];
  if (kind === 'ca') {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push(kind === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true });
    if (kind === 'server') extensions.push({ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.key.forgePrivate : key.forgePrivate, forge.md.sha256.create());
  return { pem: forge.pki.certificateToPem(cert), cert, key };
}

function save(dir: string, name: string, issued: Issued): TestCert {
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  fs.writeFileSync(certPath, issued.pem);
  fs.writeFileSync(keyPath, issued.key.privatePem, { mode: 0o600 });
  return { cert: issued.pem, key: issued.key.privatePem, certPath, keyPath };
}

/** A CA with a server (localhost, 127.0.0.1) and a client certificate, plus an unrelated CA and its client. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-pki-'));
  const ca = issue('Bastion Test CA', 'ca');
  const otherCa = issue('Some Other CA', 'ca');
  return {
    dir,
    ca: save(dir, 'ca', ca),
    otherCa: save(dir, 'other-ca', otherCa),
    server: save(dir, 'server', issue('localhost', 'server', ca)),
    client: save(dir, 'client', issue('worker-1', 'client', ca)),
    clientFromOtherCa: save(dir, 'client-other', issue('intruder', 'client', otherCa)),
  };
}
