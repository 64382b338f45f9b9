/**
 * Internal: XChaCha20-Poly1305 (IETF variant, as libsodium's
 * `crypto_aead_xchacha20poly1305_ietf_*`, draft-irtf-cfrg-xchacha-03), from one of two
 * engines that produce the same bytes:
 *
 * - `libsodium`: libsodium-wrappers (WebAssembly), the reference.
 * - `openssl`: the subkey from HChaCha20 (below, 20 rounds on 16 words), then Node's own
 *   `chacha20-poly1305` (OpenSSL) with nonce `0x00000000 || nonce[16..24]` — exactly the
 *   construction libsodium uses. About 3× faster on large payloads; absent from OpenSSL
 *   builds in FIPS mode.
 *
 * `auto` uses libsodium for plaintexts under {@link OPENSSL_FROM_BYTES} (creating an OpenSSL
 * cipher context costs more than libsodium's whole call there) and `openssl` from that size
 * on, when Node has the cipher and a known-answer self-test against libsodium passes;
 * otherwise libsodium for everything.
 */
import * as crypto from 'node:crypto';
import sodium from 'libsodium-wrappers';

/** Bytes of a key. */
export const KEY_BYTES = 32;
/** Bytes of a nonce. */
export const NONCE_BYTES = 24;
/** Bytes of the authentication tag. */
export const TAG_BYTES = 16;

/** The engines `EncryptionCodec` can run on. */
export type CipherEngineName = 'auto' | 'libsodium' | 'openssl';

/** One AEAD implementation. */
export interface AeadEngine {
  readonly name: 'libsodium' | 'openssl' | 'auto';
  /** `nonce || ciphertext || tag`: the whole `data` of an encrypted payload, in one buffer. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** The plaintext, or `null` when authentication fails. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null;
}

const libsodiumEngine: AeadEngine = {
  name: 'libsodium',
  seal: (key, nonce, plaintext, ad) => {
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
    const out = Buffer.allocUnsafe(nonce.byteLength + sealed.byteLength);
    out.set(nonce, 0);
    out.set(sealed, nonce.byteLength);
    return out;
  },
  open: (key, nonce, sealed, ad) => {
    try {
      return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, ad, nonce, key);
    } catch {
      return null;
    }
  },
};

const rotl = (v: number, n: number): number => (v << n) | (v >>> (32 - n));

/** HChaCha20(key, nonce[0..16]): the XChaCha20 subkey. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const n = Buffer.from(nonce16.buffer, nonce16.byteOffset, 16);
  const x = new Uint32Array(16);
  x[0] = 0x61707865;
  x[1] = 0x3320646e;
  x[2] = 0x79622d32;
  x[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) x[4 + i] = k.readUInt32LE(i * 4);
  for (let i = 0; i < 4; i++) x[12 + i] = n.readUInt32LE(i * 4);
  const qr = (a: number, b: number, c: number, d: number): void => {
    x[a] = x[a]! + x[b]!;
    x[d] = rotl(x[d]! ^ x[a]!, 16);
    x[c] = x[c]! + x[d]!;
    x[b] = rotl(x[b]! ^ x[c]!, 12);
    x[a] = x[a]! + x[b]!;
    x[d] = rotl(x[d]! ^ x[a]!, 8);
    x[c] = x[c]! + x[d]!;
    x[b] = rotl(x[b]! ^ x[c]!, 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(x[i]!, i * 4);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(x[12 + i]!, 16 + i * 4);
  x.fill(0);
  return out;
}

function ietfNonce(nonce: Uint8Array): Buffer {
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, 24), 4);
  return iv;
}

const opensslEngine: AeadEngine = {
  name: 'openssl',
  seal(key, nonce, plaintext, ad) {
    const subkey = hchacha20(key, nonce);
    try {
      const cipher = crypto.createCipheriv('chacha20-poly1305', subkey, ietfNonce(nonce), { authTagLength: TAG_BYTES });
      cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
      const body = cipher.update(plaintext);
      const rest = cipher.final();
      const tag = cipher.getAuthTag();
      return Buffer.concat([nonce, body, rest, tag], nonce.byteLength + body.byteLength + rest.byteLength + tag.byteLength);
    } finally {
      subkey.fill(0);
    }
  },
  open(key, nonce, sealed, ad) {
    if (sealed.byteLength < TAG_BYTES) return null;
    const subkey = hchacha20(key, nonce);
    try {
      const decipher = crypto.createDecipheriv('chacha20-poly1305', subkey, ietfNonce(nonce), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
      decipher.setAAD(ad, { plaintextLength: sealed.byteLength - TAG_BYTES });
      const body = decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES));
      try {
        const rest = decipher.final();
        return rest.byteLength ? Buffer.concat([body, rest]) : body;
      } catch {
        body.fill(0); // unauthenticated plaintext never leaves this function
        return null;
      }
    } finally {
      subkey.fill(0);
    }
  },
};

/** Whether the openssl engine gives libsodium's bytes on a fixed input (and Node has the cipher at all). */
function opensslMatchesLibsodium(): boolean {
  if (!crypto.getCiphers().includes('chacha20-poly1305')) return false;
  try {
    const key = Uint8Array.from({ length: KEY_BYTES }, (_, i) => i);
    const nonce = Uint8Array.from({ length: NONCE_BYTES }, (_, i) => 0x40 + i);
    const msg = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const ad = Uint8Array.from([1, 2, 3]);
    const a = libsodiumEngine.seal(key, nonce, msg, ad);
    const b = opensslEngine.seal(key, nonce, msg, ad);
    const back = opensslEngine.open(key, nonce, a.subarray(NONCE_BYTES), ad);
    return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0 && back !== null && Buffer.compare(Buffer.from(back), Buffer.from(msg)) === 0;
  } catch {
    return false;
  }
}

/** From this plaintext size `auto` uses the openssl engine. */
export const OPENSSL_FROM_BYTES = 8 * 1024;

const hybridEngine: AeadEngine = {
  name: 'auto',
  seal: (key, nonce, plaintext, ad) => (plaintext.byteLength < OPENSSL_FROM_BYTES ? libsodiumEngine : opensslEngine).seal(key, nonce, plaintext, ad),
  open: (key, nonce, sealed, ad) => (sealed.byteLength < OPENSSL_FROM_BYTES + TAG_BYTES ? libsodiumEngine : opensslEngine).open(key, nonce, sealed, ad),
};

let autoEngine: AeadEngine | undefined;

/**
 * The engine for `name`, after `sodium.ready`.
 * @throws {Error} when `openssl` is asked for and Node lacks `chacha20-poly1305`.
 */
export async function loadEngine(name: CipherEngineName): Promise<AeadEngine> {
  await sodium.ready;
  if (name === 'libsodium') return libsodiumEngine;
  if (name === 'openssl') {
    if (!crypto.getCiphers().includes('chacha20-poly1305')) throw new Error('this Node build has no `chacha20-poly1305` cipher (OpenSSL in FIPS mode?)');
    return opensslEngine;
  }
  autoEngine ??= opensslMatchesLibsodium() ? hybridEngine : libsodiumEngine;
  return autoEngine;
}

/** A fresh random nonce. */
export function randomNonce(): Uint8Array {
  // One call into the CSPRNG per 170 nonces: a call costs microseconds, whatever its size.
  if (noncePos + NONCE_BYTES > noncePool.byteLength) {
    crypto.randomFillSync(noncePool);
    noncePos = 0;
  }
  const nonce = noncePool.slice(noncePos, noncePos + NONCE_BYTES);
  noncePool.fill(0, noncePos, noncePos + NONCE_BYTES); // handed out once, never kept
  noncePos += NONCE_BYTES;
  return nonce;
}

const noncePool = new Uint8Array(NONCE_BYTES * 170);
let noncePos = noncePool.byteLength;
