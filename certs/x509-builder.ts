/**
 * Builds and signs X.509 v3 certificates: one path for every key type. The
 * TBSCertificate is built with `forge.asn1`, signed with node:crypto (which, unlike
 * node-forge, signs with ECDSA), and wrapped into the Certificate SEQUENCE.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as der from './asn1';
import { encodeName, type DistinguishedName } from './distinguished-name';

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/** Subject alternative names. */
export interface SubjectAltNames {
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
}

/** Everything the builder needs; the callers fill in policy. */
export interface CertificateSpec {
  subject: DistinguishedName;
  /** The issuer's Name, DER, copied verbatim from its certificate; omitted for self-signed. */
  issuerNameDer?: Buffer;
  subjectPublicKey: crypto.KeyObject;
  /** The key that signs (the issuer's, or the subject's own for a self-signed certificate). */
  signingKey: crypto.KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  pathLength?: number;
  keyUsage: KeyUsage[];
  extendedKeyUsage?: string[];
  altNames?: SubjectAltNames;
  /** The issuer's subjectKeyIdentifier; omitted for self-signed. */
  authorityKeyId?: Buffer;
}

/** A 128-bit random positive serial number, as unsigned bytes. */
export function randomSerial(): Buffer {
  let bytes = crypto.randomBytes(16);
  while (bytes[0] === 0) bytes = crypto.randomBytes(16);
  return bytes;
}

/** The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(publicKey: crypto.KeyObject): Buffer {
  const spki = der.fromDer(publicKey.export({ type: 'spki', format: 'der' }));
  const bits = der.bytesOf(der.childrenOf(spki)[1]!).subarray(1);
  return crypto.createHash('sha1').update(bits).digest();
}

/** The hash and AlgorithmIdentifier a key signs with: SHA-384 for P-384, SHA-256 otherwise. */
export function signatureAlgorithmFor(signingKey: crypto.KeyObject): { hash: 'sha256' | 'sha384'; algorithm: der.Asn1 } {
  if (signingKey.asymmetricKeyType === 'ec') {
    const p384 = signingKey.asymmetricKeyDetails?.namedCurve === 'secp384r1';
    return { hash: p384 ? 'sha384' : 'sha256', algorithm: der.seq([der.oid(p384 ? OID.ecdsaWithSha384 : OID.ecdsaWithSha256)]) };
  }
  if (signingKey.asymmetricKeyType === 'rsa') return { hash: 'sha256', algorithm: der.seq([der.oid(OID.sha256WithRsa), der.nul()]) };
  throw new Error(`unsupported signing key type ${signingKey.asymmetricKeyType}`);
}

/** An X.509 Extension: OID, optional critical flag, DER value in an OCTET STRING. @internal */
export function extension(oidValue: string, critical: boolean, value: der.Asn1): der.Asn1 {
  const parts = [der.oid(oidValue)];
  if (critical) parts.push(der.bool(true));
  parts.push(der.octets(der.toDer(value)));
  return der.seq(parts);
}

function altNamesAsn1(names: SubjectAltNames): der.Asn1 {
  const out: der.Asn1[] = [];
  for (const dns of names.dnsNames ?? []) out.push(der.contextPrimitive(2, Buffer.from(dns, 'ascii')));
  for (const uri of names.uris ?? []) out.push(der.contextPrimitive(6, Buffer.from(uri, 'ascii')));
  for (const ip of names.ipAddresses ?? []) out.push(der.contextPrimitive(7, ipToBytes(ip)));
  return der.seq(out);
}

/** The 4 or 16 bytes of an IP address. */
export function ipToBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part
          .split(':')
          .flatMap((g) =>
            g.includes('.')
              ? [...ipToBytes(g)].reduce<number[]>((acc, b, i) => (i % 2 ? ((acc[acc.length - 1] = acc[acc.length - 1]! * 256 + b), acc) : [...acc, b]), [])
              : [parseInt(g, 16)],
          );
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Whether `ip` is an IPv4 or IPv6 address the SAN encoder accepts. */
export function isIpAddress(ip: string): boolean {
  return net.isIP(ip) !== 0;
}

/** Builds, signs and DER-encodes a certificate; returns DER and PEM. */
export function buildCertificate(spec: CertificateSpec): { der: Buffer; pem: string } {
  const { hash, algorithm } = signatureAlgorithmFor(spec.signingKey);
  const subjectName = encodeName(spec.subject);
  const issuerName = spec.issuerNameDer ? der.fromDer(spec.issuerNameDer) : encodeName(spec.subject);
  const spki = der.fromDer(spec.subjectPublicKey.export({ type: 'spki', format: 'der' }));

  const basic: der.Asn1[] = [];
  if (spec.ca) basic.push(der.bool(true));
  if (spec.ca && spec.pathLength !== undefined) basic.push(der.smallInt(spec.pathLength));
  const extensions = [
    extension(OID.basicConstraints, true, der.seq(basic)),
    extension(OID.keyUsage, true, der.namedBits(spec.keyUsage.map((u) => KEY_USAGE_BITS.indexOf(u)))),
  ];
  if (spec.extendedKeyUsage?.length) extensions.push(extension(OID.extKeyUsage, false, der.seq(spec.extendedKeyUsage.map(der.oid))));
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(spec.subjectPublicKey))));
  if (spec.authorityKeyId) extensions.push(extension(OID.authorityKeyIdentifier, false, der.seq([der.contextPrimitive(0, spec.authorityKeyId)])));
  const alt = spec.altNames;
  if (alt && (alt.dnsNames?.length || alt.ipAddresses?.length || alt.uris?.length)) {
    // Critical when the subject is empty (RFC 5280 §4.2.1.6).
    extensions.push(extension(OID.subjectAltName, der.childrenOf(subjectName).length === 0, altNamesAsn1(alt)));
  }

  const tbs = der.seq([
    der.explicit(0, der.smallInt(2)),
    der.uintBytes(randomSerial()),
    algorithm,
    issuerName,
    der.seq([der.time(spec.notBefore), der.time(spec.notAfter)]),
    subjectName,
    spki,
    der.explicit(3, der.seq(extensions)),
  ]);
  const tbsDer = der.toDer(tbs);
  // ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value), which is what X.509 wants.
  const signature = crypto.sign(hash, tbsDer, spec.signingKey);
  const certDer = der.toDer(der.seq([tbs, algorithm, der.bitStringBytes(signature)]));
  return { der: certDer, pem: derToPem(certDer) };
}

/** PEM armour for a DER certificate. */
export function derToPem(certDer: Buffer): string {
  const b64 = certDer
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
