/**
 * Distinguished names: building the subject of a new certificate, and reading a Name
 * back as an object and as an RFC 4514-style string (`CN=worker-1, O=Acme`).
 */
import * as der from './asn1';

/** The attributes of a distinguished name the toolkit writes and reads by name. */
export interface DistinguishedName {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
  /** Any other attribute, by dotted OID. */
  other?: Record<string, string>;
}

const ATTRIBUTES: ReadonlyArray<{ key: keyof Omit<DistinguishedName, 'other'>; short: string; oid: string }> = [
  { key: 'country', short: 'C', oid: '2.5.4.6' },
  { key: 'state', short: 'ST', oid: '2.5.4.8' },
  { key: 'locality', short: 'L', oid: '2.5.4.7' },
  { key: 'organization', short: 'O', oid: '2.5.4.10' },
  { key: 'organizationalUnit', short: 'OU', oid: '2.5.4.11' },
  { key: 'commonName', short: 'CN', oid: '2.5.4.3' },
];

/** One attribute of a Name, in encoding order. */
export interface NameAttribute {
  oid: string;
  /** `CN`, `O`, … or the dotted OID for attributes without a short name. */
  shortName: string;
  value: string;
}

/** Encodes a Name in the order C, ST, L, O, OU, CN (one attribute per RDN). */
export function encodeName(name: DistinguishedName): der.Asn1 {
  const rdns: der.Asn1[] = [];
  for (const { key, oid } of ATTRIBUTES) {
    const value = name[key];
    if (value === undefined || value === '') continue;
    // countryName is a PrintableString (RFC 5280 appendix A); everything else UTF8String.
    const encoded = key === 'country' ? der.ia5(value, der.TYPE.PRINTABLESTRING) : der.utf8(value);
    if (key === 'country') encoded.tagClass = der.CLASS.UNIVERSAL;
    rdns.push(der.set([der.seq([der.oid(oid), encoded])]));
  }
  for (const [oid, value] of Object.entries(name.other ?? {})) rdns.push(der.set([der.seq([der.oid(oid), der.utf8(value)])]));
  return der.seq(rdns);
}

/** Reads the attributes of a Name node, in encoding order. */
export function readName(node: der.Asn1): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of der.childrenOf(node)) {
    for (const atv of der.childrenOf(rdn)) {
      const [oidNode, valueNode] = der.childrenOf(atv);
      if (!oidNode || !valueNode) continue;
      const oid = der.readOid(oidNode);
      const known = ATTRIBUTES.find((a) => a.oid === oid);
      out.push({ oid, shortName: known?.short ?? (oid === '1.2.840.113549.1.9.1' ? 'emailAddress' : oid), value: der.readString(valueNode) });
    }
  }
  return out;
}

/** The attributes as a {@link DistinguishedName} object (the last value wins for repeated attributes). */
export function nameToObject(attributes: NameAttribute[]): DistinguishedName {
  const out: DistinguishedName = {};
  for (const attr of attributes) {
    const known = ATTRIBUTES.find((a) => a.oid === attr.oid);
    if (known) out[known.key] = attr.value;
    else (out.other ??= {})[attr.oid] = attr.value;
  }
  return out;
}

/** RFC 4514 order (most specific first): `CN=worker-1, OU=Ops, O=Acme`. */
export function nameToString(attributes: NameAttribute[]): string {
  return [...attributes]
    .reverse()
    .map((a) => `${a.shortName}=${a.value.replace(/([,+"\\<>;])/g, '\\$1')}`)
    .join(', ');
}
