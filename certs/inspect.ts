/** `inspectCertificate`: what is in a certificate or a PEM bundle, field by field. */
import { describeKey } from './keys';
import { nameToObject, nameToString, type DistinguishedName } from './distinguished-name';
import { EXTENDED_KEY_USAGES, SIGNATURE_ALGORITHMS, parseCertificate, splitPem, type ParsedCertificate } from './x509-reader';
import type { KeyUsage } from './x509-builder';

/** One certificate, decoded. */
export interface CertificateInfo {
  /** RFC 4514 order: `CN=worker-1, O=Acme`. */
  subject: string;
  subjectName: DistinguishedName;
  issuer: string;
  issuerName: DistinguishedName;
  /** 1, 2 or 3. */
  version: number;
  /** Uppercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, colon hex. */
  fingerprint256: string;
  /** `RSA` or `ECDSA` (or another algorithm name). */
  keyAlgorithm: string;
  /** RSA modulus bits or EC curve size. */
  keyBits?: number;
  /** `P-256`, `P-384` for EC keys. */
  keyCurve?: string;
  isCA: boolean;
  pathLength?: number;
  keyUsage: KeyUsage[];
  /** `serverAuth`, `clientAuth`, … (dotted OID for unknown usages). */
  extendedKeyUsage: string[];
  subjectAltNames: { dnsNames: string[]; ipAddresses: string[]; uris: string[]; emails: string[] };
  /** `ecdsa-with-SHA384`, `sha256WithRSAEncryption`, … (dotted OID when unknown). */
  signatureAlgorithm: string;
  selfSigned: boolean;
}

/** What {@link inspectCertificate} returns. */
export interface InspectResult {
  certificates: CertificateInfo[];
  /** For a bundle: each certificate is issued by the next (a leaf-first chain). True for one certificate. */
  inChainOrder: boolean;
}

/** Describes a parsed certificate. */
export function describeCertificate(c: ParsedCertificate): CertificateInfo {
  const key = describeKey(c.x509.publicKey);
  return {
    subject: nameToString(c.subject),
    subjectName: nameToObject(c.subject),
    issuer: nameToString(c.issuer),
    issuerName: nameToObject(c.issuer),
    version: c.version,
    serialNumber: c.serialHex,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    fingerprint256: c.x509.fingerprint256,
    keyAlgorithm: key.algorithm,
    ...(key.bits !== undefined ? { keyBits: key.bits } : {}),
    ...(key.curve !== undefined ? { keyCurve: key.curve } : {}),
    isCA: c.basicConstraints?.ca ?? false,
    ...(c.basicConstraints?.pathLength !== undefined ? { pathLength: c.basicConstraints.pathLength } : {}),
    keyUsage: c.keyUsage ?? [],
    extendedKeyUsage: (c.extendedKeyUsage ?? []).map((o) => EXTENDED_KEY_USAGES[o] ?? o),
    subjectAltNames: c.altNames,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[c.signatureAlgorithmOid] ?? c.signatureAlgorithmOid,
    selfSigned: issuedBy(c, c),
  };
}

/** Whether `cert` names `issuer` as its issuer and carries `issuer`'s signature. */
export function issuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!cert.issuerDer.equals(issuer.subjectDer)) return false;
  try {
    return cert.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * Decodes every certificate in `pem` (one certificate or a bundle), in order.
 *
 * ```ts
 * const { certificates } = inspectCertificate(fs.readFileSync('client.pem', 'utf8'));
 * console.log(certificates[0].subject, certificates[0].notAfter);
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` when `pem` holds no readable certificate.
 */
export function inspectCertificate(pem: string | Buffer): InspectResult {
  const parsed = splitPem('pem', pem).map((d, i) => parseCertificate(`pem (certificate ${i + 1})`, d));
  const inChainOrder = parsed.every((c, i) => i === parsed.length - 1 || issuedBy(c, parsed[i + 1]!));
  return { certificates: parsed.map(describeCertificate), inChainOrder };
}
