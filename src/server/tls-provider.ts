/**
 * The dev server's TLS material behind grpc-js's certificate-provider interface, so the
 * server certificate and the client-CA bundle can be replaced while it runs: grpc-js
 * calls `setSecureContext` on its HTTP/2 server, new handshakes use the new material,
 * and connections already open carry on.
 */
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../common/errors';
import { INSPECT_CUSTOM, redactedInspect } from '../common/redact';

type CaListener = (update: { caCertificate: Buffer } | null) => void;
type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;

/** Compiled TLS material of the dev server. */
export interface ServerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Checks that the material can serve: certificates parse, the key belongs to the first
 * certificate, and that certificate is inside its validity window.
 * @throws {ConfigError} `ERR_TLS_CONFIG` naming the option and the problem (never PEM text)
 */
export function checkServerTlsMaterial(m: ServerTlsMaterial): void {
  const certs = m.cert.toString('utf8').match(CERT_BLOCK) ?? [];
  let leaf: crypto.X509Certificate;
  try {
    leaf = new crypto.X509Certificate(certs[0] ?? '');
  } catch {
    throw new ConfigError('ERR_TLS_CONFIG', '`tls.cert` does not hold a valid PEM certificate. Pass the server certificate (chain), leaf first.');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(m.key);
  } catch {
    throw new ConfigError('ERR_TLS_CONFIG', '`tls.key` could not be parsed as an unencrypted PEM private key.');
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError(
      'ERR_TLS_CONFIG',
      `\`tls.key\` does not belong to \`tls.cert\` (subject ${leaf.subject.replace(/\n/g, ', ')}). Pass the key issued with the certificate.`,
    );
  }
  if (Date.parse(leaf.validTo) < Date.now()) {
    throw new ConfigError(
      'ERR_TLS_CONFIG',
      `\`tls.cert\` expired on ${new Date(leaf.validTo).toISOString()} (subject ${leaf.subject.replace(/\n/g, ', ')}). Issue a new server certificate.`,
    );
  }
  if (m.clientCa) {
    const cas = m.clientCa.toString('utf8').match(CERT_BLOCK) ?? [];
    if (cas.length === 0) throw new ConfigError('ERR_TLS_CONFIG', '`tls.clientCa` holds no PEM certificate.');
    cas.forEach((pem, i) => {
      try {
        new crypto.X509Certificate(pem);
      } catch {
        throw new ConfigError('ERR_TLS_CONFIG', `\`tls.clientCa\` certificate ${i + 1} of ${cas.length} is not a valid X.509 certificate.`);
      }
    });
  }
}

/** One object that is both the identity and the CA provider of the server's credentials. */
export class ServerTlsProvider implements grpc.experimental.CertificateProvider {
  #material: ServerTlsMaterial;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(material: ServerTlsMaterial) {
    this.#material = material;
  }

  /** grpc-js server credentials that follow this provider. */
  credentials(): grpc.ServerCredentials {
    // grpc-js passes its two provider arguments on in swapped order; one object serving
    // both roles makes the order irrelevant. Without a client CA, no certificate is requested.
    return this.#material.clientCa
      ? grpc.experimental.createCertificateProviderServerCredentials(this, this, true)
      : grpc.experimental.createCertificateProviderServerCredentials(this, null, false);
  }

  /** `ServerTlsProvider { mutual, cert: [N bytes], key: '[redacted]' }`: never the key. */
  [INSPECT_CUSTOM](depth: number, options: unknown, inspect: unknown): string {
    return redactedInspect(
      'ServerTlsProvider',
      { mutual: this.mutual, cert: `[certificate, ${this.#material.cert.length} bytes]`, key: '[redacted]' },
      depth,
      options,
      inspect,
    );
  }

  toJSON(): object {
    return { mutual: this.mutual, key: '[redacted]' };
  }

  /** Whether client certificates are required. */
  get mutual(): boolean {
    return this.#material.clientCa !== undefined;
  }

  /** Replaces the material; handshakes from now on use it. */
  update(material: ServerTlsMaterial): void {
    this.#material = material;
    for (const l of [...this.identityListeners]) l({ certificate: material.cert, privateKey: material.key });
    if (material.clientCa) for (const l of [...this.caListeners]) l({ caCertificate: material.clientCa });
  }

  // grpc-js subscribes before it adds its own watcher, so the first update must come on
  // the next tick or it reaches nobody and every handshake is dropped.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener) && this.#material.clientCa) listener({ caCertificate: this.#material.clientCa });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.#material.cert, privateKey: this.#material.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
