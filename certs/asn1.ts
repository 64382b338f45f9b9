/**
 * Small DER helpers over `forge.asn1`: building the pieces of a TBSCertificate, and
 * reading them back. node-forge's own certificate code only knows RSA, so the toolkit
 * builds and reads X.509 structures itself and signs with node:crypto.
 */
import forge from 'node-forge';

const A = forge.asn1;
const U = A.Class.UNIVERSAL;
const T = A.Type;

export type Asn1 = forge.asn1.Asn1;

/** Parses DER, keeping BIT STRING contents as bytes so re-encoding is byte-exact. */
export function fromDer(der: Buffer): Asn1 {
  const opts = { strict: true, parseAllBytes: true, decodeBitStrings: false };
  return (A.fromDer as unknown as (b: string, o: typeof opts) => Asn1)(der.toString('binary'), opts);
}

export function toDer(node: Asn1): Buffer {
  return Buffer.from(A.toDer(node).getBytes(), 'binary');
}

export const seq = (items: Asn1[]): Asn1 => A.create(U, T.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => A.create(U, T.SET, true, items);
export const oid = (dotted: string): Asn1 => A.create(U, T.OID, false, A.oidToDer(dotted).getBytes());
export const bool = (value: boolean): Asn1 => A.create(U, T.BOOLEAN, false, value ? '\xff' : '\x00');
export const nul = (): Asn1 => A.create(U, T.NULL, false, '');
export const octets = (bytes: Buffer): Asn1 => A.create(U, T.OCTETSTRING, false, bytes.toString('binary'));
export const utf8 = (text: string): Asn1 => A.create(U, T.UTF8, false, Buffer.from(text, 'utf8').toString('binary'));
export const ia5 = (text: string, tag: number = T.IA5STRING): Asn1 => A.create(tag === T.IA5STRING ? U : A.Class.CONTEXT_SPECIFIC, tag, false, text);
export const contextPrimitive = (tag: number, bytes: Buffer): Asn1 => A.create(A.Class.CONTEXT_SPECIFIC, tag, false, bytes.toString('binary'));
export const explicit = (tag: number, inner: Asn1): Asn1 => A.create(A.Class.CONTEXT_SPECIFIC, tag, true, [inner]);

/** A DER INTEGER from unsigned big-endian bytes (adds the sign byte when needed). */
export function uintBytes(bytes: Buffer): Asn1 {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
  if (b[0]! >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return A.create(U, T.INTEGER, false, b.toString('binary'));
}

export function smallInt(n: number): Asn1 {
  const hex = n.toString(16);
  return uintBytes(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

/** A BIT STRING holding whole bytes (no unused bits). */
export function bitStringBytes(bytes: Buffer): Asn1 {
  return A.create(U, T.BITSTRING, false, '\x00' + bytes.toString('binary'));
}

/** A named-bit BIT STRING (bit 0 is the most significant bit of the first byte), DER-trimmed. */
export function namedBits(bits: number[]): Asn1 {
  const max = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(max / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  while (unused < 7 && (last & (1 << unused)) === 0) unused++;
  return A.create(U, T.BITSTRING, false, String.fromCharCode(unused) + bytes.toString('binary'));
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export function time(date: Date): Asn1 {
  const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return d.getUTCFullYear() < 2050 ? A.create(U, T.UTCTIME, false, A.dateToUtcTime(d)) : A.create(U, T.GENERALIZEDTIME, false, A.dateToGeneralizedTime(d));
}

/** Raw bytes of a primitive node as a Buffer. */
export function bytesOf(node: Asn1): Buffer {
  return Buffer.from(node.value as string, 'binary');
}

export function childrenOf(node: Asn1): Asn1[] {
  return Array.isArray(node.value) ? node.value : [];
}

export function readOid(node: Asn1): string {
  return A.derToOid(node.value as string);
}

export function readTime(node: Asn1): Date {
  return node.type === T.UTCTIME ? A.utcTimeToDate(node.value as string) : A.generalizedTimeToDate(node.value as string);
}

export function readString(node: Asn1): string {
  const raw = bytesOf(node);
  if (node.type === T.BMPSTRING) return raw.swap16().toString('utf16le');
  return node.type === T.UTF8 ? raw.toString('utf8') : raw.toString('latin1');
}

export const TYPE = T;
export const CLASS = A.Class;
