/**
 * Reads certificates: splits PEM bundles and decodes the fields node:crypto's
 * `X509Certificate` does not expose (version, key usage bits, path length, signature
 * algorithm, SANs as lists).
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { CertsError } from '../src/common/errors';
import * as der from './asn1';
import { readName, type NameAttribute } from './distinguished-name';
import { KEY_USAGE_BITS, OID, type KeyUsage } from './x509-builder';

/** A decoded certificate. */
export interface ParsedCertificate {
  der: Buffer;
  x509: crypto.X509Certificate;
  /** 1, 2 or 3. */
  version: number;
  serialHex: string;
  signatureAlgorithmOid: string;
  issuer: NameAttribute[];
  issuerDer: Buffer;
  subject: NameAttribute[];
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints; `undefined` when the extension is absent. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsage[];
  extendedKeyUsage?: string[];
  altNames: { dnsNames: string[]; ipAddresses: string[]; uris: string[]; emails: string[] };
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Splits PEM text into certificate DERs, in order.
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` naming `input` when there is no certificate.
 */
export function splitPem(input: string, pem: string | Buffer): Buffer[] {
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  const out = [...text.matchAll(PEM_CERT)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (out.length === 0) {
    throw new CertsError('ERR_CERTS_INVALID_PEM', `\`${input}\` holds no certificate; pass PEM text with at least one \`-----BEGIN CERTIFICATE-----\` block.`);
  }
  return out;
}

function decodeAltNames(value: der.Asn1): ParsedCertificate['altNames'] {
  const out: ParsedCertificate['altNames'] = { dnsNames: [], ipAddresses: [], uris: [], emails: [] };
  for (const gn of der.childrenOf(value)) {
    if (gn.tagClass !== der.CLASS.CONTEXT_SPECIFIC) continue;
    const raw = der.bytesOf(gn);
    if (gn.type === 1) out.emails.push(raw.toString('ascii'));
    else if (gn.type === 2) out.dnsNames.push(raw.toString('ascii'));
    else if (gn.type === 6) out.uris.push(raw.toString('ascii'));
    else if (gn.type === 7) out.ipAddresses.push(ipFromBytes(raw));
  }
  return out;
}

/** An IP address SAN's bytes as text (IPv6 in canonical compressed form). @internal */
export function ipFromBytes(raw: Buffer): string {
  if (raw.length === 4) return [...raw].join('.');
  const groups: string[] = [];
  for (let i = 0; i < raw.length; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  const full = groups.join(':');
  // Canonical compressed form, via the URL parser.
  return net.isIPv6(full) ? new URL(`http://[${full}]/`).hostname.slice(1, -1) : full;
}

function decodeKeyUsage(value: der.Asn1): KeyUsage[] {
  const raw = der.bytesOf(value);
  const out: KeyUsage[] = [];
  KEY_USAGE_BITS.forEach((name, bit) => {
    const byte = raw[1 + (bit >> 3)];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) out.push(name);
  });
  return out;
}

/**
 * Decodes one certificate.
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` naming `input` when it is not a certificate.
 */
export function parseCertificate(input: string, certDer: Buffer): ParsedCertificate {
  try {
    const x509 = new crypto.X509Certificate(certDer);
    // A certificate whose key node:crypto cannot decode is no more usable than one it cannot parse.
    void x509.publicKey;
    return readFields(certDer, x509, der.fromDer(certDer));
  } catch (err) {
    if (err instanceof CertsError) throw err;
    // The cause is dropped: parser messages may quote bytes of the input.
    throw new CertsError(
      'ERR_CERTS_INVALID_PEM',
      `\`${input}\` is not a readable X.509 certificate; pass PEM text starting with \`-----BEGIN CERTIFICATE-----\`.`,
    );
  }
}

/** The fields of a certificate that node:crypto has parsed; throws whatever the DER reader throws on damage. */
function readFields(certDer: Buffer, x509: crypto.X509Certificate, root: der.Asn1): ParsedCertificate {
  const [tbs, sigAlg] = der.childrenOf(root);
  const fields = der.childrenOf(tbs!);
  let i = 0;
  let version = 1;
  if (fields[0]!.tagClass === der.CLASS.CONTEXT_SPECIFIC && fields[0]!.type === 0) {
    version = der.bytesOf(der.childrenOf(fields[0]!)[0]!).readUInt8(0) + 1;
    i = 1;
  }
  const serial = der.bytesOf(fields[i]!);
  const issuerNode = fields[i + 2]!;
  const [nb, na] = der.childrenOf(fields[i + 3]!);
  const subjectNode = fields[i + 4]!;
  const parsed: ParsedCertificate = {
    der: certDer,
    x509,
    version,
    serialHex: (serial[0] === 0 && serial.length > 1 ? serial.subarray(1) : serial).toString('hex').toUpperCase(),
    signatureAlgorithmOid: der.readOid(der.childrenOf(sigAlg!)[0]!),
    issuer: readName(issuerNode),
    issuerDer: der.toDer(issuerNode),
    subject: readName(subjectNode),
    subjectDer: der.toDer(subjectNode),
    notBefore: der.readTime(nb!),
    notAfter: der.readTime(na!),
    altNames: { dnsNames: [], ipAddresses: [], uris: [], emails: [] },
  };
  const extWrapper = fields.slice(i + 6).find((f) => f.tagClass === der.CLASS.CONTEXT_SPECIFIC && f.type === 3);
  for (const ext of extWrapper ? der.childrenOf(der.childrenOf(extWrapper)[0]!) : []) {
    const parts = der.childrenOf(ext);
    const extOid = der.readOid(parts[0]!);
    const value = der.fromDer(der.bytesOf(parts[parts.length - 1]!));
    if (extOid === OID.basicConstraints) {
      const items = der.childrenOf(value);
      const ca = items[0]?.type === der.TYPE.BOOLEAN ? der.bytesOf(items[0]!)[0] !== 0 : false;
      const lenNode = items.find((n) => n.type === der.TYPE.INTEGER);
      parsed.basicConstraints = { ca, ...(lenNode ? { pathLength: parseInt(der.bytesOf(lenNode).toString('hex'), 16) } : {}) };
    } else if (extOid === OID.keyUsage) parsed.keyUsage = decodeKeyUsage(value);
    else if (extOid === OID.extKeyUsage) parsed.extendedKeyUsage = der.childrenOf(value).map(der.readOid);
    else if (extOid === OID.subjectAltName) parsed.altNames = decodeAltNames(value);
    else if (extOid === OID.subjectKeyIdentifier) parsed.subjectKeyId = der.bytesOf(value);
    else if (extOid === OID.authorityKeyIdentifier) {
      const id = der.childrenOf(value).find((n) => n.tagClass === der.CLASS.CONTEXT_SPECIFIC && n.type === 0);
      if (id) parsed.authorityKeyId = der.bytesOf(id);
    }
  }
  return parsed;
}

/** Human names of signature algorithm OIDs. */
export const SIGNATURE_ALGORITHMS: Record<string, string> = {
  [OID.ecdsaWithSha256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSha384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSha512]: 'ecdsa-with-SHA512',
  [OID.sha256WithRsa]: 'sha256WithRSAEncryption',
  [OID.sha384WithRsa]: 'sha384WithRSAEncryption',
  [OID.sha512WithRsa]: 'sha512WithRSAEncryption',
  [OID.sha1WithRsa]: 'sha1WithRSAEncryption',
  [OID.ecdsaWithSha1]: 'ecdsa-with-SHA1',
  [OID.rsassaPss]: 'RSASSA-PSS',
  '1.3.101.112': 'Ed25519',
};

/** Human names of extended key usage OIDs. */
export const EXTENDED_KEY_USAGES: Record<string, string> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};
