/**
 * Structure-aware mutation of DER (X.509, PKCS#8, PKCS#10, PKCS#12) and PEM: a small TLV
 * walker finds every element, and mutations change a tag, a length (shorter, longer,
 * long-form, indefinite), the content, or wrap the whole in deep nesting; PEM mutations
 * damage the armour and the base64. Each names itself for the failure summary.
 */
import type { Prng } from './prng';

interface Tlv {
  /** Offset of the tag byte. */
  at: number;
  /** Offset of the first length byte. */
  lenAt: number;
  /** Offset of the content. */
  contentAt: number;
  end: number;
  constructed: boolean;
}

/** Every TLV reachable from the top (stops quietly at the first malformed one). */
export function walkDer(buf: Buffer, from = 0, to = buf.length, out: Tlv[] = [], depth = 0): Tlv[] {
  let p = from;
  while (p < to && out.length < 4000 && depth < 64) {
    const at = p;
    const tagByte = buf[p++]!;
    if ((tagByte & 0x1f) === 0x1f) while (p < to && buf[p++]! & 0x80);
    if (p >= to) return out;
    const lenAt = p;
    let len = buf[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || p + n > to) return out;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    }
    const contentAt = p;
    const end = contentAt + len;
    if (end > to) return out;
    const constructed = (tagByte & 0x20) !== 0;
    out.push({ at, lenAt, contentAt, end, constructed });
    if (constructed) walkDer(buf, contentAt, end, out, depth + 1);
    else if (tagByte === 0x04 || tagByte === 0x03) {
      // OCTET STRING and BIT STRING often wrap DER (extensions, keys, PKCS#12 bags).
      const inner = tagByte === 0x03 ? contentAt + 1 : contentAt;
      if (end - inner > 2 && buf[inner] === 0x30) walkDer(buf, inner, end, out, depth + 1);
    }
    p = end;
  }
  return out;
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** `inner` wrapped in `depth` SEQUENCEs with correct lengths. */
export function deepSequence(inner: Buffer, depth: number): Buffer {
  const headers: Buffer[] = [];
  let len = inner.length;
  for (let i = 0; i < depth; i++) {
    const h = Buffer.concat([Buffer.from([0x30]), lengthBytes(len)]);
    headers.push(h);
    len += h.length;
  }
  return Buffer.concat([...headers.reverse(), inner]);
}

/** One structure-aware mutation of DER `der`. */
export function mutateDer(der: Buffer, rng: Prng, notes: string[]): Buffer {
  const tlvs = walkDer(der);
  if (tlvs.length === 0 || rng.chance(0.03)) {
    notes.push('der: random bytes');
    return rng.bytes(rng.length(600));
  }
  const t = rng.pick(tlvs);
  const content = t.end - t.contentAt;
  const head = der.subarray(0, t.at);
  const tail = der.subarray(t.end);
  switch (rng.int(10)) {
    case 0: {
      const copy = Buffer.from(der);
      copy[t.at] = rng.pick([0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x30, 0x31, 0xa0, 0xa3, 0x80, 0x1f, 0xff]);
      notes.push(`der: tag at ${t.at} changed`);
      return copy;
    }
    case 1: {
      // length changed, content kept: the element now claims more or less than it holds
      const newLen = rng.pick([0, content - 1, content + 1, content + 1000, 0x7fffffff, 0xffffffff].filter((n) => n >= 0));
      notes.push(`der: length at ${t.lenAt} ${content} -> ${newLen}`);
      return Buffer.concat([der.subarray(0, t.lenAt), lengthBytes(newLen), der.subarray(t.contentAt)]);
    }
    case 2:
      notes.push(`der: indefinite length at ${t.lenAt}`);
      return Buffer.concat([der.subarray(0, t.lenAt), Buffer.from([0x80]), der.subarray(t.contentAt)]);
    case 3: {
      notes.push(`der: non-minimal long-form length at ${t.lenAt}`);
      return Buffer.concat([
        der.subarray(0, t.lenAt),
        Buffer.from([0x84, content >>> 24, (content >>> 16) & 0xff, (content >>> 8) & 0xff, content & 0xff]),
        der.subarray(t.contentAt),
      ]);
    }
    case 4: {
      // content replaced by random bytes of another length; lengths of parents are now wrong too
      const body = rng.bytes(rng.length(content + 8));
      notes.push(`der: content of element at ${t.at} replaced (${content} -> ${body.length} bytes)`);
      return Buffer.concat([head, der.subarray(t.at, t.contentAt), body, tail]);
    }
    case 5: {
      const copy = Buffer.from(der);
      for (let i = rng.range(1, 3); i > 0 && content > 0; i--) copy[t.contentAt + rng.int(content)] ^= 1 << rng.int(8);
      notes.push(`der: bits flipped inside element at ${t.at}`);
      return copy;
    }
    case 6:
      notes.push(`der: element at ${t.at} duplicated`);
      return Buffer.concat([head, der.subarray(t.at, t.end), der.subarray(t.at, t.end), tail]);
    case 7:
      notes.push(`der: element at ${t.at} removed`);
      return Buffer.concat([head, tail]);
    case 8: {
      const depth = rng.pick([100, 2000, 50_000]);
      notes.push(`der: wrapped in ${depth} SEQUENCEs`);
      return rng.chance(0.5) ? deepSequence(der, depth) : Buffer.concat([head, deepSequence(der.subarray(t.at, t.end), depth), tail]);
    }
    default: {
      const at = rng.int(der.length + 1);
      notes.push(`der: truncated at ${at}/${der.length}`);
      return der.subarray(0, at);
    }
  }
}

export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** The DER of the first PEM block of `pem`, and its label. */
export function fromPem(pem: string): { label: string; der: Buffer } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) throw new Error('fixture is not PEM');
  return { label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') };
}

/** PEM damage: armour, base64, blocks and line endings. */
export function mutatePemText(pem: string, rng: Prng, notes: string[]): string {
  switch (rng.int(8)) {
    case 0:
      notes.push('pem: END label differs');
      return pem.replace(/-----END [A-Z ]+-----/, '-----END PRIVATE KEY-----');
    case 1:
      notes.push('pem: no END line');
      return pem.replace(/-----END [A-Z ]+-----\n?/, '');
    case 2:
      notes.push('pem: non-base64 characters');
      return pem.replace(/\n([A-Za-z0-9+/]{10})/, `\n$1${rng.pick(['!', '*', '\u00e9', '\0', '-----'])}`);
    case 3:
      notes.push('pem: CRLF and indentation');
      return pem.replace(/\n/g, '\r\n  ');
    case 4:
      notes.push('pem: block repeated');
      return pem.repeat(rng.pick([2, 50, 3000]));
    case 5:
      notes.push('pem: empty body');
      return pem.replace(/-----\n[\s\S]*\n-----END/, '-----\n-----END');
    case 6:
      notes.push('pem: headers inside the block');
      return pem.replace(/-----\n/, '-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n');
    default: {
      const at = rng.int(pem.length + 1);
      notes.push(`pem: truncated at ${at}`);
      return pem.slice(0, at);
    }
  }
}
