/**
 * A throwaway PKI for tests, generated at test time into a temp folder: RSA keys from
 * node:crypto (fast, and cached per process by role), certificates built and signed with
 * node-forge. Nothing here is ever committed.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import forge from 'node-forge';

/** A certificate and its key, as PEM text and as files. */
export interface TestCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface TestPki {
  dir: string;
  /** Issued `server` and `client`. */
  ca: TestCert;
  /** An unrelated CA; issued `clientFromOtherCa`. */
  otherCa: TestCert;
  /** CN=localhost; SAN DNS:localhost, IP:127.0.0.1; EKU serverAuth. */
  server: TestCert;
  /** CN=worker-1; EKU clientAuth. */
  client: TestCert;
  /** CN=intruder; EKU clientAuth; issued by `otherCa`. */
  clientFromOtherCa: TestCert;
}

export type CertKind = 'ca' | 'server' | 'client';

interface RsaKey {
  privatePem: string;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

const keyCache = new Map<string, RsaKey>();

/** An RSA-2048 key for a role; the same role gets the same key within a process. */
function rsaKey(role: string): RsaKey {
  let key = keyCache.get(role);
  if (!key) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    key = {
      privatePem,
      forgePrivate: forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey,
      forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
    };
    keyCache.set(role, key);
  }
  return key;
}

interface Issuer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

interface Issued {
  pem: string;
  /** This certificate and its key, for signing others. */
  asIssuer: Issuer;
  keyPem: string;
}

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  /** Subject common name. */
  cn: string;
  kind: CertKind;
  /** Signs with this CA; self-signed when absent. */
  issuer?: TestCert;
  /** Cache key for the RSA key; defaults to `cn`. */
  keyRole?: string;
  /** @default one minute ago */
  notBefore?: Date;
  /** @default in 24 hours */
  notAfter?: Date;
  /** Server certificates' SANs. @default DNS localhost and IP 127.0.0.1 */
  san?: { dns?: string[]; ip?: string[] };
}

function issue(options: IssueOptions & { issuerForge?: Issuer }): Issued {
  const key = rsaKey(options.keyRole ?? options.cn);
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.forgePublic;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 24 * 3600_000);
  const subject = [
    { name: 'commonName', value: options.cn },
    { name: 'organizationName', value: 'Bastion tests' },
  ];
  cert.setSubject(subject);
  const issuer = options.issuerForge;
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  const extensions: object[] = [];
  if (options.kind === 'ca') {
    extensions.push(
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    );
  } else {
    extensions.push({ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push(options.kind === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true });
    if (options.kind === 'server') {
      const san = options.san ?? { dns: ['localhost'], ip: ['127.0.0.1'] };
      extensions.push({
        name: 'subjectAltName',
        altNames: [...(san.dns ?? []).map((value) => ({ type: 2, value })), ...(san.ip ?? []).map((ip) => ({ type: 7, ip }))],
      });
    }
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.key : key.forgePrivate, forge.md.sha256.create());
  return { pem: forge.pki.certificateToPem(cert), asIssuer: { cert, key: key.forgePrivate }, keyPem: key.privatePem };
}

function save(dir: string, name: string, issued: Issued): TestCert {
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  fs.writeFileSync(certPath, issued.pem);
  fs.writeFileSync(keyPath, issued.keyPem, { mode: 0o600 });
  return { cert: issued.pem, key: issued.keyPem, certPath, keyPath };
}

function forgeIssuer(cert: TestCert): Issuer {
  return { cert: forge.pki.certificateFromPem(cert.cert), key: forge.pki.privateKeyFromPem(cert.key) as forge.pki.rsa.PrivateKey };
}

/**
 * Issues one more certificate (e.g. an expired one) into `dir`, signed by `options.issuer`.
 *
 * @param name file name stem: `<name>.pem` and `<name>.key`
 */
export function issueCertificate(dir: string, name: string, options: IssueOptions): TestCert {
  return save(dir, name, issue({ ...options, issuerForge: options.issuer ? forgeIssuer(options.issuer) : undefined }));
}

/** A CA with a server (localhost, 127.0.0.1) and a client certificate, plus an unrelated CA and its client. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-pki-'));
  const ca = issue({ cn: 'Bastion Test CA', kind: 'ca' });
  const otherCa = issue({ cn: 'Some Other CA', kind: 'ca' });
  return {
    dir,
    ca: save(dir, 'ca', ca),
    otherCa: save(dir, 'other-ca', otherCa),
    server: save(dir, 'server', issue({ cn: 'localhost', kind: 'server', issuerForge: ca.asIssuer })),
    client: save(dir, 'client', issue({ cn: 'worker-1', kind: 'client', issuerForge: ca.asIssuer })),
    clientFromOtherCa: save(dir, 'client-other', issue({ cn: 'intruder', kind: 'client', issuerForge: otherCa.asIssuer })),
  };
}

/** Deletes the PKI's temp folder. */
export function removeTestPki(pki: TestPki): void {
  fs.rmSync(pki.dir, { recursive: true, force: true });
}
