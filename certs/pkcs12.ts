/**
 * PKCS#12 (.p12/.pfx, RFC 7292) for RSA and ECDSA keys. node-forge's pkcs12 module only
 * handles RSA keys, so the PFX is assembled with `forge.asn1`: the key is a
 * pkcs8ShroudedKeyBag (node:crypto's encrypted PKCS#8, PBES2 + AES-256-CBC), the
 * certificates are certBags encrypted with PBES2 + AES-256-CBC, and the whole is
 * protected by an HMAC-SHA256 MAC keyed with the PKCS#12 key derivation — the layout
 * OpenSSL 3 writes by default.
 */
import * as crypto from 'node:crypto';
import forge from 'node-forge';
import { BastionError, CertsError } from '../src/common/errors';
import { withKeyPemView } from '../src/common/redact';
import * as der from './asn1';
import { parsePrivateKey, privateKeyToPem, samePublicKey } from './keys';
import { derToPem } from './x509-builder';
import { splitPem } from './x509-reader';

/**
 * PBKDF2 and MAC iterations of an exported file (OpenSSL 3's default).
 * @default 2048
 */
export const PKCS12_ITERATIONS = 2048;

const P = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** Options of {@link exportPkcs12}. */
export interface ExportPkcs12Options {
  /** The certificate (first in the PEM); further certificates in it join the chain. */
  certPem: string;
  /** Its private key, PEM (RSA or ECDSA). */
  keyPem: string;
  /** CA certificates to include, leaf-first (each PEM may hold several). */
  chainPems?: string[];
  /** Protects the key, the certificates and the MAC. Non-empty. */
  password: string;
  /** Shown by keychains and `openssl pkcs12 -info`. */
  friendlyName?: string;
}

/** What {@link importPkcs12} returns. */
export interface ImportedPkcs12 {
  certPem: string;
  /** PKCS#8 PEM, unencrypted. Keep it secret; write it with mode 0600. */
  keyPem: string;
  /** The other certificates in the file, in file order. */
  chainPems: string[];
}

const A = forge.asn1;
// forge writes a BMPString's value as UTF-16 code units itself.
const bmp = (text: string): der.Asn1 => A.create(der.CLASS.UNIVERSAL, der.TYPE.BMPSTRING, false, text);

/** The password as PKCS#12's KDF wants it: UTF-16BE with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
}

/** RFC 7292 appendix B.2: derives `n` bytes for purpose `id` (1 key, 2 IV, 3 MAC). */
export function pkcs12Kdf(hash: string, password: string, salt: Buffer, iterations: number, id: 1 | 2 | 3, n: number): Buffer {
  const u = crypto.createHash(hash).digest().length;
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const fill = (src: Buffer): Buffer => {
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const pass = bmpPassword(password);
  const I = Buffer.concat([salt.length ? fill(salt) : Buffer.alloc(0), fill(pass)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < n; produced += u) {
    let a = crypto.createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) a = crypto.createHash(hash).update(a).digest();
    out.push(a);
    const B = fill(a);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

function badPassword(input: string): BastionError {
  return new CertsError(
    'ERR_CERTS_BAD_PASSWORD',
    `The password does not open \`${input}\` (wrong password, or a damaged file); pass the password the file was exported with.`,
  );
}

function pbes2Encrypt(plain: Buffer, password: string): { algorithm: der.Asn1; encrypted: Buffer } {
  const salt = crypto.randomBytes(8);
  const iv = crypto.randomBytes(16);
  const key = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, PKCS12_ITERATIONS, 32, 'sha256');
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = der.seq([
    der.oid(P.pbes2),
    der.seq([
      der.seq([der.oid(P.pbkdf2), der.seq([der.octets(salt), der.smallInt(PKCS12_ITERATIONS), der.seq([der.oid(P.hmacWithSha256), der.nul()])])]),
      der.seq([der.oid(P.aes256Cbc), der.octets(iv)]),
    ]),
  ]);
  return { algorithm, encrypted };
}

function intOf(node: der.Asn1): number {
  return parseInt(der.bytesOf(node).toString('hex') || '0', 16);
}

/**
 * Most key-derivation iterations a file may ask for: far above what tools write (OpenSSL
 * 2048, Java 10,000, OWASP's 600,000 for PBKDF2), and a bound on the work (seconds, on the
 * event loop) that a damaged or hostile file can cause.
 */
export const MAX_PKCS12_ITERATIONS = 1_000_000;

/** The iteration count in `node`, refused when absent, zero or above {@link MAX_PKCS12_ITERATIONS}. */
function iterationsOf(input: string, node: der.Asn1 | undefined): number {
  const n = node ? intOf(node) : 0;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PKCS12_ITERATIONS) {
    throw new CertsError(
      'ERR_CERTS_INVALID_PKCS12',
      `\`${input}\` asks for ${n > MAX_PKCS12_ITERATIONS ? `more than ${MAX_PKCS12_ITERATIONS.toLocaleString('en-US')}` : 'an invalid number of'} key-derivation iterations; it is damaged, or was not written by a usual tool. Re-export it with \`openssl pkcs12 -export\` or \`bastion certs p12 export\`.`,
    );
  }
  return n;
}

/** The iteration count node of a PBES2 or PKCS#12-PBE AlgorithmIdentifier, if it has one. */
function pbeIterationsNode(algorithm: der.Asn1): der.Asn1 | undefined {
  const [oidNode, params] = der.childrenOf(algorithm);
  const algOid = der.readOid(oidNode!);
  if (algOid === P.pbes2) {
    const [kdf] = der.childrenOf(params!);
    const [, kdfParams] = der.childrenOf(kdf!);
    return der.childrenOf(kdfParams!)[1];
  }
  if (algOid === P.pbeSha1TripleDes) return der.childrenOf(params!)[1];
  return undefined;
}

/** Decrypts PBES2 (PBKDF2 + AES/3DES) or pbeWithSHAAnd3-KeyTripleDES-CBC content. */
function decryptContent(input: string, algorithm: der.Asn1, encrypted: Buffer, password: string): Buffer {
  const [oidNode, params] = der.childrenOf(algorithm);
  const algOid = der.readOid(oidNode!);
  let cipherName: string;
  let key: Buffer;
  let iv: Buffer;
  if (algOid === P.pbes2) {
    const [kdf, enc] = der.childrenOf(params!);
    const [kdfOid, kdfParams] = der.childrenOf(kdf!);
    const [encOid, ivNode] = der.childrenOf(enc!);
    const cipher = CIPHERS[der.readOid(encOid!)];
    if (der.readOid(kdfOid!) !== P.pbkdf2 || !cipher) throw unsupportedCipher(input, der.readOid(encOid!));
    const [saltNode, iterNode, ...rest] = der.childrenOf(kdfParams!);
    const prfNode = rest.find((n) => n.type === der.TYPE.SEQUENCE);
    const prf = prfNode ? PRFS[der.readOid(der.childrenOf(prfNode)[0]!)] : 'sha1';
    if (!prf) throw unsupportedCipher(input, der.readOid(der.childrenOf(prfNode!)[0]!));
    cipherName = cipher.name;
    key = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), der.bytesOf(saltNode!), iterationsOf(input, iterNode), cipher.keyLength, prf);
    iv = der.bytesOf(ivNode!);
  } else if (algOid === P.pbeSha1TripleDes) {
    const [saltNode, iterNode] = der.childrenOf(params!);
    const salt = der.bytesOf(saltNode!);
    cipherName = 'des-ede3-cbc';
    const iterations = iterationsOf(input, iterNode);
    key = pkcs12Kdf('sha1', password, salt, iterations, 1, 24);
    iv = pkcs12Kdf('sha1', password, salt, iterations, 2, 8);
  } else throw unsupportedCipher(input, algOid);
  try {
    const decipher = crypto.createDecipheriv(cipherName, key, iv);
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    throw badPassword(input);
  }
}

function unsupportedCipher(input: string, oid: string): BastionError {
  return new CertsError(
    'ERR_CERTS_UNSUPPORTED',
    `\`${input}\` is encrypted with ${oid}, which Bastion does not read (it reads PBES2 with AES or 3DES, and PKCS#12 3DES); re-export it with \`openssl pkcs12 -export\` (OpenSSL 3 defaults) or \`bastion certs p12 export\`.`,
  );
}

function bag(bagId: string, value: der.Asn1, attributes: der.Asn1[]): der.Asn1 {
  return der.seq([der.oid(bagId), der.explicit(0, value), ...(attributes.length ? [der.set(attributes)] : [])]);
}

function dataContentInfo(content: Buffer): der.Asn1 {
  return der.seq([der.oid(P.data), der.explicit(0, der.octets(content))]);
}

/**
 * Exports a certificate, its key (RSA or ECDSA) and optional chain as a password-protected
 * PKCS#12 file that OpenSSL, Java and OS keychains read.
 *
 * ```ts
 * fs.writeFileSync('worker.p12', exportPkcs12({ certPem, keyPem, chainPems: [ca.certPem], password }), { mode: 0o600 });
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` for an empty `password`; `ERR_CERTS_INVALID_PEM` for an unreadable
 *   certificate or key; `ERR_CERTS_KEY_MISMATCH` when `keyPem` is not the certificate's key.
 */
export function exportPkcs12(options: ExportPkcs12Options): Buffer {
  if (typeof options.password !== 'string' || options.password === '') {
    throw new CertsError('ERR_CERTS_INVALID_OPTION', '`password` must be a non-empty string; a PKCS#12 file holds a private key and must be protected.');
  }
  if (options.friendlyName !== undefined && (typeof options.friendlyName !== 'string' || options.friendlyName.length > 64)) {
    throw new CertsError('ERR_CERTS_INVALID_OPTION', '`friendlyName` must be a string of at most 64 characters.');
  }
  const [leafDer, ...restDers] = splitPem('certPem', options.certPem);
  const chainDers = [...restDers, ...(options.chainPems ?? []).flatMap((p, i) => splitPem(`chainPems[${i}]`, p))];
  const key = parsePrivateKey('keyPem', options.keyPem);
  const leaf = new crypto.X509Certificate(leafDer!);
  if (!samePublicKey(key, leaf.publicKey)) {
    throw new CertsError(
      'ERR_CERTS_KEY_MISMATCH',
      `\`keyPem\` does not match the public key of \`certPem\` (subject ${leaf.subject.replace(/\n/g, ', ')}). Pass the key that was issued with this certificate.`,
    );
  }
  const localKeyId = crypto.createHash('sha1').update(leafDer!).digest();
  const attrs = [der.seq([der.oid(P.localKeyId), der.set([der.octets(localKeyId)])])];
  if (options.friendlyName) attrs.unshift(der.seq([der.oid(P.friendlyName), der.set([bmp(options.friendlyName)])]));

  const certBags = [leafDer!, ...chainDers].map((d, i) =>
    bag(P.certBag, der.seq([der.oid(P.x509Certificate), der.explicit(0, der.octets(d))]), i === 0 ? attrs : []),
  );
  const certs = pbes2Encrypt(der.toDer(der.seq(certBags)), options.password);
  const encryptedCerts = der.seq([
    der.oid(P.encryptedData),
    der.explicit(0, der.seq([der.smallInt(0), der.seq([der.oid(P.data), certs.algorithm, contextPrimitiveOctets(0, certs.encrypted)])])),
  ]);
  const shrouded = key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: options.password });
  const keyContents = der.seq([bag(P.shroudedKeyBag, der.fromDer(shrouded), attrs)]);
  const authSafe = der.toDer(der.seq([encryptedCerts, dataContentInfo(der.toDer(keyContents))]));

  const macSalt = crypto.randomBytes(8);
  const macKey = pkcs12Kdf('sha256', options.password, macSalt, PKCS12_ITERATIONS, 3, 32);
  const mac = crypto.createHmac('sha256', macKey).update(authSafe).digest();
  const macData = der.seq([
    der.seq([der.seq([der.oid('2.16.840.1.101.3.4.2.1'), der.nul()]), der.octets(mac)]),
    der.octets(macSalt),
    der.smallInt(PKCS12_ITERATIONS),
  ]);
  return der.toDer(der.seq([der.smallInt(3), dataContentInfo(authSafe), macData]));
}

/** `[tag] IMPLICIT OCTET STRING`. */
function contextPrimitiveOctets(tag: number, bytes: Buffer): der.Asn1 {
  return der.contextPrimitive(tag, bytes);
}

/** The content of a `[0]` that is either a primitive OCTET STRING or a constructed one (BER, from some tools). */
function octetContent(node: der.Asn1): Buffer {
  if (!node.constructed) return der.bytesOf(node);
  return Buffer.concat(der.childrenOf(node).map(octetContent));
}

/**
 * Reads a PKCS#12 file: the certificate whose public key matches the private key, the key
 * (as unencrypted PKCS#8 PEM) and the other certificates. Reads what OpenSSL 3 writes by
 * default (PBES2/AES, HMAC-SHA256) and the older 3DES/SHA-1 layout.
 *
 * ```ts
 * const { certPem, keyPem, chainPems } = importPkcs12(fs.readFileSync('worker.p12'), password);
 * ```
 * @throws {CertsError} `ERR_CERTS_BAD_PASSWORD` when the password does not open the file (the message never holds it);
 *   `ERR_CERTS_INVALID_PKCS12` for a file that is not PKCS#12 or lacks a key or a certificate;
 *   `ERR_CERTS_UNSUPPORTED` for legacy ciphers such as RC2.
 */
export function importPkcs12(bytes: Buffer | Uint8Array, password: string, input = 'pkcs12'): ImportedPkcs12 {
  const malformed = (what: string): BastionError =>
    new CertsError(
      'ERR_CERTS_INVALID_PKCS12',
      `\`${input}\` is not a usable PKCS#12 file: ${what}. Pass a .p12/.pfx file (DER) made by \`openssl pkcs12 -export\` or \`bastion certs p12 export\`.`,
    );
  try {
    return readPkcs12(bytes, password, input, malformed);
  } catch (err) {
    // A structure damaged past what the reader checks step by step; the cause is dropped, as parser messages may quote bytes.
    if (err instanceof BastionError) throw err;
    throw malformed('its structure is damaged (an element is missing, truncated or of the wrong type)');
  }
}

function readPkcs12(bytes: Buffer | Uint8Array, password: string, input: string, malformed: (what: string) => BastionError): ImportedPkcs12 {
  let authSafe: Buffer;
  let macData: der.Asn1 | undefined;
  try {
    const root = der.fromDer(Buffer.from(bytes));
    const [, authSafeInfo, mac] = der.childrenOf(root);
    const [typeNode, wrapped] = der.childrenOf(authSafeInfo!);
    if (der.readOid(typeNode!) !== P.data) throw new Error('public-key integrity mode');
    authSafe = octetContent(der.childrenOf(wrapped!)[0]!);
    macData = mac;
  } catch (err) {
    throw err instanceof CertsError ? err : malformed('it is not PKCS#12 DER (PFX) in password-integrity mode');
  }
  if (macData) {
    const [digestInfo, saltNode, iterNode] = der.childrenOf(macData);
    const [algNode, digestNode] = der.childrenOf(digestInfo!);
    const hashOid = der.readOid(der.childrenOf(algNode!)[0]!);
    const hash = HASHES[hashOid];
    if (!hash) throw unsupportedCipher(input, hashOid);
    const expected = der.bytesOf(digestNode!);
    const macKey = pkcs12Kdf(hash, password, der.bytesOf(saltNode!), iterNode ? iterationsOf(input, iterNode) : 1, 3, crypto.createHash(hash).digest().length);
    const actual = crypto.createHmac(hash, macKey).update(authSafe).digest();
    if (actual.length !== expected.length || !crypto.timingSafeEqual(actual, expected)) throw badPassword(input);
  }

  const certs: Array<{ der: Buffer; localKeyId?: string }> = [];
  const keys: Array<{ key: crypto.KeyObject; localKeyId?: string }> = [];
  for (const info of der.childrenOf(der.fromDer(authSafe))) {
    const [typeNode, wrapped] = der.childrenOf(info);
    const type = der.readOid(typeNode!);
    let safeContents: Buffer;
    if (type === P.data) safeContents = octetContent(der.childrenOf(wrapped!)[0]!);
    else if (type === P.encryptedData) {
      const [, encInfo] = der.childrenOf(der.childrenOf(wrapped!)[0]!);
      const [, algorithm, content] = der.childrenOf(encInfo!);
      if (!content) continue;
      safeContents = decryptContent(input, algorithm!, octetContent(content), password);
    } else
      throw new CertsError(
        'ERR_CERTS_UNSUPPORTED',
        `\`${input}\` holds content of type ${type} (public-key encrypted); Bastion reads password-protected PKCS#12 files.`,
      );
    for (const safeBag of der.childrenOf(der.fromDer(safeContents))) {
      const [idNode, valueWrapper, attrSet] = der.childrenOf(safeBag);
      const bagId = der.readOid(idNode!);
      const value = der.childrenOf(valueWrapper!)[0]!;
      let localKeyId: string | undefined;
      for (const attr of attrSet ? der.childrenOf(attrSet) : []) {
        const [aOid, aValues] = der.childrenOf(attr);
        if (der.readOid(aOid!) === P.localKeyId) localKeyId = der.bytesOf(der.childrenOf(aValues!)[0]!).toString('hex');
      }
      if (bagId === P.certBag) {
        const [certType, certValue] = der.childrenOf(value);
        if (der.readOid(certType!) === P.x509Certificate) certs.push({ der: octetContent(der.childrenOf(certValue!)[0]!), localKeyId });
      } else if (bagId === P.shroudedKeyBag || bagId === P.keyBag) {
        keys.push({ key: readKey(input, bagId, der.toDer(value), password), localKeyId });
      }
    }
  }
  if (keys.length === 0) throw malformed('it holds no private key');
  if (certs.length === 0) throw malformed('it holds no certificate');
  const { key, localKeyId } = keys[0]!;
  let leafIndex = certs.findIndex((c) => {
    try {
      return samePublicKey(key, new crypto.X509Certificate(c.der).publicKey);
    } catch {
      return false;
    }
  });
  if (leafIndex === -1 && localKeyId) leafIndex = certs.findIndex((c) => c.localKeyId === localKeyId);
  if (leafIndex === -1) throw malformed('none of its certificates matches its private key');
  return withKeyPemView('ImportedPkcs12', {
    certPem: derToPem(certs[leafIndex]!.der),
    keyPem: privateKeyToPem(key),
    chainPems: certs.filter((_, i) => i !== leafIndex).map((c) => derToPem(c.der)),
  });
}

function readKey(input: string, bagId: string, value: Buffer, password: string): crypto.KeyObject {
  if (bagId === P.keyBag) return crypto.createPrivateKey({ key: value, format: 'der', type: 'pkcs8' });
  // OpenSSL derives the key with the file's iteration count, unbounded: check it first.
  const iterNode = pbeIterationsNode(der.childrenOf(der.fromDer(value))[0]!);
  if (iterNode) iterationsOf(input, iterNode);
  try {
    return crypto.createPrivateKey({ key: value, format: 'der', type: 'pkcs8', passphrase: password });
  } catch {
    // The cause is dropped: OpenSSL's text says nothing useful and must not be echoed.
    const [algorithm] = der.childrenOf(der.fromDer(value));
    const algOid = der.readOid(der.childrenOf(algorithm!)[0]!);
    if (algOid !== P.pbes2 && algOid !== P.pbeSha1TripleDes) throw unsupportedCipher(input, algOid);
    throw badPassword(input);
  }
}
