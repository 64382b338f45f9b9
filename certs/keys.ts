/**
 * Key pairs for the certificate toolkit, made by node:crypto (node-forge cannot make or
 * sign with ECDSA keys). Private keys leave this module only as PKCS#8 PEM.
 */
import * as crypto from 'node:crypto';
import { promisify } from 'node:util';
import { CertsError } from '../src/common/errors';

/** Key types the toolkit makes. `ecdsa-p384` is what `tcld gen ca` makes. */
export type KeyType = 'ecdsa-p384' | 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

/** Every supported {@link KeyType}. */
export const KEY_TYPES: readonly KeyType[] = ['ecdsa-p384', 'ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

/**
 * Key type of a new CA, as `tcld gen ca`.
 * @default 'ecdsa-p384'
 */
export const DEFAULT_CA_KEY_TYPE: KeyType = 'ecdsa-p384';

/** A generated key pair. */
export interface KeyPair {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

const generateKeyPairAsync = promisify(crypto.generateKeyPair);

/**
 * Checks that `value` is a {@link KeyType}.
 * @throws {CertsError} `ERR_CERTS_INVALID_OPTION` naming `option` and the allowed values.
 */
export function assertKeyType(option: string, value: unknown): asserts value is KeyType {
  if (!KEY_TYPES.includes(value as KeyType)) {
    throw new CertsError(
      'ERR_CERTS_INVALID_OPTION',
      `\`${option}\` must be one of ${KEY_TYPES.map((t) => `'${t}'`).join(', ')}; got ${JSON.stringify(String(value)).slice(0, 40)}.`,
    );
  }
}

/** Generates a key pair of the given type (off the main thread). */
export async function generateKeyPair(keyType: KeyType): Promise<KeyPair> {
  assertKeyType('keyType', keyType);
  if (keyType.startsWith('rsa-')) {
    return generateKeyPairAsync('rsa', { modulusLength: Number(keyType.slice(4)), publicExponent: 0x10001 });
  }
  return generateKeyPairAsync('ec', { namedCurve: keyType === 'ecdsa-p256' ? 'prime256v1' : 'secp384r1' });
}

/** The {@link KeyType} of a key, or undefined for keys the toolkit does not make (Ed25519, P-521, odd RSA sizes). */
export function keyTypeOf(key: crypto.KeyObject): KeyType | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const t = `rsa-${details.modulusLength}` as KeyType;
    return KEY_TYPES.includes(t) ? t : undefined;
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ecdsa-p256';
    if (details.namedCurve === 'secp384r1') return 'ecdsa-p384';
  }
  return undefined;
}

/** Describes a key for humans and `inspectCertificate`: algorithm and RSA bits or EC curve. */
export function describeKey(key: crypto.KeyObject): { algorithm: string; bits?: number; curve?: string } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { algorithm: 'RSA', bits: details.modulusLength };
  if (key.asymmetricKeyType === 'ec') {
    const curve =
      details.namedCurve === 'prime256v1'
        ? 'P-256'
        : details.namedCurve === 'secp384r1'
          ? 'P-384'
          : details.namedCurve === 'secp521r1'
            ? 'P-521'
            : details.namedCurve;
    const bits = curve === 'P-256' ? 256 : curve === 'P-384' ? 384 : curve === 'P-521' ? 521 : undefined;
    return { algorithm: 'ECDSA', curve, bits };
  }
  return { algorithm: (key.asymmetricKeyType ?? 'unknown').toUpperCase() };
}

/** PKCS#8 PEM of a private key. */
export function privateKeyToPem(key: crypto.KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Parses a private key PEM (PKCS#8, PKCS#1 or SEC1).
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` naming `input`; the message never holds key text.
 */
export function parsePrivateKey(input: string, pem: string | Buffer): crypto.KeyObject {
  try {
    return crypto.createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The cause is dropped on purpose: OpenSSL's message may quote part of the input.
    throw new CertsError(
      'ERR_CERTS_INVALID_PEM',
      `\`${input}\` is not a readable unencrypted private key; pass PEM text with a \`BEGIN PRIVATE KEY\` block (PKCS#8).`,
    );
  }
}

/** Whether two public keys are the same key (compared as SubjectPublicKeyInfo DER). */
export function samePublicKey(a: crypto.KeyObject, b: crypto.KeyObject): boolean {
  const pa = a.type === 'private' ? crypto.createPublicKey(a) : a;
  const pb = b.type === 'private' ? crypto.createPublicKey(b) : b;
  return pa.export({ type: 'spki', format: 'der' }).equals(pb.export({ type: 'spki', format: 'der' }));
}
