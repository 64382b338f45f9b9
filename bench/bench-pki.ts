/**
 * Certificates for the mTLS benchmarks, made at run time with Bastion's own `certs/`:
 * a CA, a server certificate for 127.0.0.1/localhost and a client certificate, written
 * as PEM files into a fresh temp folder (keys with mode 0600). Nothing is committed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../certs/index';

/** The files {@link makeBenchPki} writes, by role. */
export interface BenchPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Writes `ca.pem`, `server.pem`, `server.key`, `client.pem`, `client.key` (ECDSA P-256) into a new temp folder. */
export async function makeBenchPki(keyType: 'ecdsa-p256' | 'rsa-2048' = 'ecdsa-p256'): Promise<BenchPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bench-pki-'));
  const ca = await createCertificateAuthority({ commonName: 'Bastion bench CA', keyType, validityDays: 2 });
  const caPair = { certPem: ca.certPem, keyPem: ca.keyPem };
  const server = await issueCertificate({
    ca: caPair,
    profile: 'server',
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 2,
  });
  const client = await issueCertificate({ ca: caPair, profile: 'client', commonName: 'bench-worker', validityDays: 2 });
  const write = (name: string, text: string, secret = false) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, secret ? { mode: 0o600 } : undefined);
    return p;
  };
  return {
    dir,
    caCert: write('ca.pem', ca.certPem),
    serverCert: write('server.pem', server.certPem),
    serverKey: write('server.key', server.keyPem, true),
    clientCert: write('client.pem', client.certPem),
    clientKey: write('client.key', client.keyPem, true),
  };
}
