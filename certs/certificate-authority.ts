/**
 * Making certificates: a CA (`createCertificateAuthority`) and client or server leaf
 * certificates it signs (`issueCertificate`), with `tcld gen`-like defaults.
 */
import * as crypto from 'node:crypto';
import { BastionError, CertsError } from '../src/common/errors';
import { withKeyPemView } from '../src/common/redact';
import { DEFAULT_CA_KEY_TYPE, assertKeyType, generateKeyPair, keyTypeOf, parsePrivateKey, privateKeyToPem, samePublicKey, type KeyType } from './keys';
import { buildCertificate, isIpAddress, OID, type KeyUsage } from './x509-builder';
import { parseCertificate, splitPem } from './x509-reader';

const DAY_MS = 86_400_000;

/**
 * Validity of a new CA, in days.
 * @default 365
 */
export const DEFAULT_CA_VALIDITY_DAYS = 365;
/** The longest validity the toolkit issues, in days (Temporal Cloud's `tcld` allows 365). */
export const MAX_VALIDITY_DAYS = 365;

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  /** @default 'ecdsa-p384' */
  keyType?: KeyType;
  /** 1 to 365. @default 365 */
  validityDays?: number;
  /** basicConstraints pathLenConstraint; unlimited when omitted. */
  pathLength?: number;
}

/** A certificate with its key. */
export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM. Keep it secret; write it with mode 0600. */
  keyPem: string;
  keyType: KeyType;
  /** Uppercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, colon hex. */
  fingerprint256: string;
  /** What was adjusted (for example a validity clamped to the CA's); empty when nothing was. */
  warnings: string[];
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions extends LeafSubject {
  /** The issuing CA: its certificate and private key, PEM. */
  ca: { certPem: string; keyPem: string };
  /** `client` → EKU clientAuth; `server` → EKU serverAuth. */
  profile: 'client' | 'server';
  /** Days from now; at most 365 and never past one day before the CA expires. @default until one day before the CA expires (as `tcld gen leaf`) */
  validityDays?: number;
  /** @default the CA's key type */
  keyType?: KeyType;
}

/** Test-only overrides of the validity window (to make expired or not-yet-valid certificates). */
export interface ValidityOverride {
  notBefore?: Date;
  notAfter?: Date;
}

function invalid(message: string): BastionError {
  return new CertsError('ERR_CERTS_INVALID_OPTION', message);
}

/** Checks a name attribute option (at most 64 characters). @internal */
export function checkName(option: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 64) {
    throw invalid(`\`${option}\` must be a non-empty string of at most 64 characters${required ? ' (it is required)' : ''}.`);
  }
}

function checkValidityDays(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid('`validityDays` must be a whole number of days from 1 to 365.');
  if (value > MAX_VALIDITY_DAYS) {
    throw invalid(
      `\`validityDays\` is ${value}, above the maximum of ${MAX_VALIDITY_DAYS}; Temporal Cloud's tooling issues certificates for at most a year. Issue a shorter certificate and rotate it.`,
    );
  }
}

function fingerprint(x509: crypto.X509Certificate): string {
  return x509.fingerprint256;
}

/**
 * Creates a self-signed CA: X.509 v3, basicConstraints CA:TRUE (critical), keyUsage
 * keyCertSign + cRLSign + digitalSignature (critical), a subjectKeyIdentifier and a
 * 128-bit random serial.
 *
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: 'Acme Temporal CA' });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` for a missing `commonName`, an unknown `keyType`, or `validityDays` outside 1–365.
 */
export async function createCertificateAuthority(options: CertificateAuthorityOptions & ValidityOverride): Promise<IssuedCertificate> {
  checkName('commonName', options.commonName, true);
  checkName('organization', options.organization, false);
  checkName('organizationalUnit', options.organizationalUnit, false);
  const keyType = options.keyType ?? DEFAULT_CA_KEY_TYPE;
  assertKeyType('keyType', keyType);
  checkValidityDays(options.validityDays);
  if (options.pathLength !== undefined && (!Number.isInteger(options.pathLength) || options.pathLength < 0 || options.pathLength > 255)) {
    throw invalid('`pathLength` must be a whole number from 0 to 255, or omitted for no limit.');
  }
  const keys = await generateKeyPair(keyType);
  const notBefore = options.notBefore ?? new Date();
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS) * DAY_MS);
  const { pem } = buildCertificate({
    subject: { commonName: options.commonName, organization: options.organization, organizationalUnit: options.organizationalUnit },
    subjectPublicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notBefore,
    notAfter,
    ca: true,
    pathLength: options.pathLength,
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  });
  return result(pem, keys.privateKey, keyType, []);
}

function result(certPem: string, key: crypto.KeyObject, keyType: KeyType, warnings: string[]): IssuedCertificate {
  return withKeyPemView('IssuedCertificate', { ...describeIssued(certPem, warnings), keyPem: privateKeyToPem(key), keyType });
}

/** The fields of an {@link IssuedCertificate} that describe the certificate (not its key). */
function describeIssued(certPem: string, warnings: string[]): Omit<IssuedCertificate, 'keyPem' | 'keyType'> {
  const parsed = parseCertificate('certPem', splitPem('certPem', certPem)[0]!);
  return {
    certPem,
    serialNumber: parsed.serialHex,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    fingerprint256: fingerprint(parsed.x509),
    warnings,
  };
}

/** Checks a list option item by item. @internal */
export function checkList(option: string, value: unknown, valid: (item: string) => boolean, form: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !valid(item))) {
    throw invalid(`\`${option}\` must be an array of ${form}.`);
  }
  return value as string[];
}

/** A DNS name a SAN may hold (one leading `*.` allowed). @internal */
export const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The subject and SANs a leaf certificate carries, checked. */
export interface LeafSubject {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
}

/**
 * Checks a leaf's subject and SAN options; returns the SAN lists (empty when omitted).
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` naming the bad option.
 * @internal shared by `issueCertificate`, `signCsr` and `createCsr`
 */
export function checkLeafSubject(subject: LeafSubject, prefix = ''): { dnsNames: string[]; ipAddresses: string[]; uris: string[] } {
  checkName(`${prefix}commonName`, subject.commonName, true);
  checkName(`${prefix}organization`, subject.organization, false);
  checkName(`${prefix}organizationalUnit`, subject.organizationalUnit, false);
  return {
    dnsNames: checkList(
      `${prefix}dnsNames`,
      subject.dnsNames,
      (d) => DNS_NAME.test(d) && d.length <= 253,
      "DNS names (such as 'localhost' or '*.example.com')",
    ),
    ipAddresses: checkList(`${prefix}ipAddresses`, subject.ipAddresses, isIpAddress, "IPv4 or IPv6 addresses (such as '127.0.0.1')"),
    uris: checkList(`${prefix}uris`, subject.uris, (u) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(u), "absolute URIs (such as 'spiffe://acme/worker')"),
  };
}

/** What {@link signLeaf} needs besides the subject's public key. */
export type LeafRequest = Omit<IssueCertificateOptions, 'keyType'> & ValidityOverride;

/**
 * The one issuing path for leaf certificates (`issueCertificate` and `signCsr`): checks
 * the options and the CA, applies the profile and validity rules, then asks
 * `subjectKey` for the public key to certify (given the CA's key, so a new key can
 * default to its type) and signs.
 * @internal
 */
export async function signLeaf(
  options: LeafRequest,
  subjectKey: (caKey: crypto.KeyObject) => Promise<crypto.KeyObject>,
): Promise<{ certPem: string; warnings: string[] }> {
  if (!options.ca || typeof options.ca.certPem !== 'string' || typeof options.ca.keyPem !== 'string') {
    throw invalid('`ca` must be `{ certPem, keyPem }` with the CA certificate and its private key as PEM text.');
  }
  if (options.profile !== 'client' && options.profile !== 'server') throw invalid("`profile` must be 'client' or 'server'.");
  const { dnsNames, ipAddresses, uris } = checkLeafSubject(options);
  checkValidityDays(options.validityDays);

  const caCert = parseCertificate('ca.certPem', splitPem('ca.certPem', options.ca.certPem)[0]!);
  const caKey = parsePrivateKey('ca.keyPem', options.ca.keyPem);
  if (!caCert.basicConstraints?.ca) {
    throw invalid(
      `\`ca.certPem\` (subject ${caCert.x509.subject.replace(/\n/g, ', ')}) is not a CA certificate (basicConstraints CA:TRUE is missing); pass the CA's certificate.`,
    );
  }
  if (!samePublicKey(caKey, caCert.x509.publicKey)) {
    throw new CertsError(
      'ERR_CERTS_KEY_MISMATCH',
      `\`ca.keyPem\` does not match the public key of \`ca.certPem\` (subject ${caCert.x509.subject.replace(/\n/g, ', ')}). Pass the key that was created with this CA.`,
    );
  }

  const warnings: string[] = [];
  const now = new Date();
  const latest = new Date(caCert.notAfter.getTime() - DAY_MS);
  const notBefore = options.notBefore ?? now;
  let notAfter: Date;
  if (options.notAfter) notAfter = options.notAfter;
  else if (options.validityDays === undefined) notAfter = latest;
  else {
    notAfter = new Date(notBefore.getTime() + options.validityDays * DAY_MS);
    if (notAfter > latest) {
      warnings.push(
        `\`validityDays\` ${options.validityDays} would outlive the CA (notAfter ${caCert.notAfter.toISOString()}); the certificate expires one day before the CA instead, at ${latest.toISOString()}.`,
      );
      notAfter = latest;
    }
  }
  if (notAfter <= notBefore && !options.notAfter) {
    throw invalid(
      `\`ca.certPem\` expires at ${caCert.notAfter.toISOString()}, too soon to issue a certificate (a leaf must expire at least one day before its CA); rotate the CA first.`,
    );
  }
  if (options.profile === 'server' && dnsNames.length === 0 && ipAddresses.length === 0) {
    warnings.push('a server certificate without `dnsNames` or `ipAddresses` cannot pass hostname verification; add the names clients connect to.');
  }

  const publicKey = await subjectKey(caKey);
  const keyUsage: KeyUsage[] = publicKey.asymmetricKeyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const { pem } = buildCertificate({
    subject: { commonName: options.commonName, organization: options.organization, organizationalUnit: options.organizationalUnit },
    issuerNameDer: caCert.subjectDer,
    subjectPublicKey: publicKey,
    signingKey: caKey,
    notBefore,
    notAfter,
    ca: false,
    keyUsage,
    extendedKeyUsage: [options.profile === 'client' ? OID.clientAuth : OID.serverAuth],
    altNames: { dnsNames, ipAddresses, uris },
    authorityKeyId: caCert.subjectKeyId,
  });
  return { certPem: pem, warnings };
}

/**
 * A certificate signed from a request: {@link IssuedCertificate} without the key (the
 * requester keeps it). `keyType` is undefined for keys the toolkit does not make (P-521, odd RSA sizes).
 */
export type SignedCertificate = Omit<IssuedCertificate, 'keyPem' | 'keyType'> & { keyType?: KeyType };

/**
 * Describes a certificate made by {@link signLeaf} for a key the caller does not hold.
 * @internal
 */
export function signedResult(certPem: string, publicKey: crypto.KeyObject, warnings: string[]): SignedCertificate {
  const keyType = keyTypeOf(publicKey);
  return { ...describeIssued(certPem, warnings), ...(keyType ? { keyType } : {}) };
}

/**
 * Issues a client or server certificate signed by `ca`: basicConstraints CA:FALSE,
 * keyUsage digitalSignature (+ keyEncipherment for RSA), EKU clientAuth or serverAuth,
 * SANs, authorityKeyIdentifier. The validity never runs past one day before the CA's
 * `notAfter`; when `validityDays` asks for more, it is shortened and `warnings` says so.
 *
 * ```ts
 * const worker = await issueCertificate({ ca, profile: 'client', commonName: 'worker-1' });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` for a bad option or a `ca.certPem` that is not a CA;
 *   `ERR_CERTS_INVALID_PEM` for an unreadable `ca.certPem`/`ca.keyPem`; `ERR_CERTS_KEY_MISMATCH`
 *   when `ca.keyPem` is not the key of `ca.certPem`.
 */
export async function issueCertificate(options: IssueCertificateOptions & ValidityOverride): Promise<IssuedCertificate> {
  let keyType: KeyType = DEFAULT_CA_KEY_TYPE;
  let privateKey: crypto.KeyObject | undefined;
  const { certPem, warnings } = await signLeaf(options, async (caKey) => {
    keyType = options.keyType ?? keyTypeOf(caKey) ?? DEFAULT_CA_KEY_TYPE;
    assertKeyType('keyType', keyType);
    const keys = await generateKeyPair(keyType);
    privateKey = keys.privateKey;
    return keys.publicKey;
  });
  return result(certPem, privateKey!, keyType, warnings);
}
