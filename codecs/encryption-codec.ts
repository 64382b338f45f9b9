/**
 * `EncryptionCodec`: authenticated encryption of whole payloads with XChaCha20-Poly1305
 * (libsodium's `crypto_aead_xchacha20poly1305_ietf`), keys from a `KeyRing`, and optional
 * binding of each ciphertext to its namespace and workflow id.
 *
 * Wire format of an encrypted payload (docs/encryption.md):
 *   metadata: encoding=binary/encrypted, encryption-key-id=<id>,
 *             encryption-cipher=xchacha20poly1305-v1, [encryption-binding=namespace,workflowId]
 *   data:     nonce (24 random bytes) || ciphertext of the serialized Payload || tag (16)
 *   associated data (authenticated, not stored): see {@link associatedData}.
 */
import { inspect } from 'node:util';
import { type BastionError, CodecError, invalidOption } from '../src/common/errors';
import { METADATA_ENCODING_KEY, type Payload } from '../src/common/payload';
import { KeyRing } from './key-ring';
import { recordCodecFailure } from '../src/observability/connectivity-metrics';
import type { CodecContext, PayloadCodec } from './payload-codec';
import { describePayload, deserializePayload, metadataBytes, readMetadata, serializePayload, withDetail } from './payload-bytes';
import { loadEngine, NONCE_BYTES, randomNonce, TAG_BYTES, type AeadEngine, type CipherEngineName } from './xchacha20-poly1305';

/** `encoding` of an encrypted payload (the official encryption sample's value). */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
/** Metadata key holding the id of the key a payload was encrypted with. */
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';
/** Metadata key holding the cipher and format version. */
export const METADATA_ENCRYPTION_CIPHER = 'encryption-cipher';
/** Metadata key listing the context fields a payload is bound to (`namespace,workflowId`); absent when unbound. */
export const METADATA_ENCRYPTION_BINDING = 'encryption-binding';
/** The cipher and format version this codec writes and reads. */
export const CIPHER_XCHACHA20POLY1305_V1 = 'xchacha20poly1305-v1';

/** Fields of {@link CodecContext} a ciphertext can be bound to, in their fixed order. */
const BINDABLE = ['namespace', 'workflowId'] as const;
type BindableField = (typeof BINDABLE)[number];

/** Options of {@link EncryptionCodec.create}. */
export interface EncryptionCodecOptions {
  /** The keys: new payloads use the active one; any held key decrypts. */
  keyRing: KeyRing;
  /**
   * Bind each ciphertext to the `namespace` and `workflowId` of the context `encode` is
   * given, so it fails to decrypt under any other workflow. A payload records (authenticated)
   * which fields it is bound to, and `decode` then requires them: a bound payload cannot be
   * read by a decoder that does not know its workflow — such as the Web UI's codec server
   * requests, which carry the namespace only. Payloads encoded without a context are unbound.
   * @default false
   */
  bindToContext?: boolean;
  /**
   * Which implementation runs the cipher; all produce the same bytes. `auto` uses
   * libsodium for payloads under 8 KiB and Node's OpenSSL ChaCha20-Poly1305 (with an
   * HChaCha20 subkey) from 8 KiB on, when OpenSSL has it and matches libsodium on a
   * self-test; otherwise libsodium for everything.
   * @default 'auto'
   */
  engine?: CipherEngineName;
}

/**
 * A `PayloadCodec` that encrypts every payload with the key ring's active key. Works with
 * Bastion's worker and client and, unchanged, with `@temporalio/*`.
 *
 * ```ts
 * const codec = await EncryptionCodec.create({ keyRing: KeyRing.fromEnv() });
 * const dataConverter = { payloadCodecs: [new CompressionCodec(), codec] };
 * ```
 */
export class EncryptionCodec implements PayloadCodec {
  /** Tells data converters this codec encrypts, so failure messages are moved into encrypted attributes by default. */
  readonly encrypts = true;
  readonly #keyRing: KeyRing;
  readonly #bind: boolean;
  readonly #engine: AeadEngine;

  private constructor(keyRing: KeyRing, bind: boolean, engine: AeadEngine) {
    this.#keyRing = keyRing;
    this.#bind = bind;
    this.#engine = engine;
  }

  /**
   * Checks the options and loads the cipher (libsodium's WebAssembly must initialise first).
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `keyRing` is not a `KeyRing`, `bindToContext`
   *   not a boolean, `engine` unknown, or `engine: 'openssl'` on a Node without ChaCha20-Poly1305.
   */
  static async create(options: EncryptionCodecOptions): Promise<EncryptionCodec> {
    if (typeof options !== 'object' || options === null) throw invalidOption('options', 'must be an object `{ keyRing }`.');
    if (!(options.keyRing instanceof KeyRing))
      throw invalidOption(
        'keyRing',
        'must be a `KeyRing` (`new KeyRing({ active, keys })`, `KeyRing.fromEnv()`, `KeyRing.fromFile(path)` or `KeyRing.fromProvider(provider)`).',
      );
    const bind = options.bindToContext ?? false;
    if (typeof bind !== 'boolean') throw invalidOption('bindToContext', `must be true or false; got ${typeof bind}.`);
    const engineName = options.engine ?? 'auto';
    if (!['auto', 'libsodium', 'openssl'].includes(engineName))
      throw invalidOption('engine', `must be \`auto\`, \`libsodium\` or \`openssl\`; got \`${String(engineName).slice(0, 40)}\`.`);
    let engine: AeadEngine;
    try {
      engine = await loadEngine(engineName);
    } catch (err) {
      throw invalidOption('engine', `\`openssl\` is not available: ${(err as Error).message}. Use \`auto\` or \`libsodium\`.`);
    }
    return new EncryptionCodec(options.keyRing, bind, engine);
  }

  /** The implementation in use: `auto` (libsodium below 8 KiB, OpenSSL above), `openssl` or `libsodium`. */
  get engine(): 'auto' | 'openssl' | 'libsodium' {
    return this.#engine.name;
  }

  /**
   * Encrypts each payload with the active key.
   * @throws {CodecError} `ERR_CODEC_KEY_PROVIDER` when a provider-backed ring cannot give the active key.
   */
  async encode(payloads: Payload[], context?: CodecContext): Promise<Payload[]> {
    if (payloads.length === 0) return [];
    try {
      return await this.#encode(payloads, context);
    } catch (err) {
      this.#countFailure('encode', err);
      throw err;
    }
  }

  /** `bastion_codec_failures{operation, code, key_id}`: the key id is the ring's active one (bounded; never a payload's claim). */
  #countFailure(operation: 'encode' | 'decode', err: unknown): void {
    recordCodecFailure(operation, String((err as { code?: unknown })?.code ?? 'UNKNOWN'), this.#keyRing.toJSON().active ?? '');
  }

  async #encode(payloads: Payload[], context?: CodecContext): Promise<Payload[]> {
    const { id, key } = await this.#keyRing.activeKey();
    const binding = this.#bind ? BINDABLE.filter((f) => typeof context?.[f] === 'string') : [];
    const ad = associatedData(id, binding, context);
    const metadata: Record<string, Uint8Array> = {
      [METADATA_ENCODING_KEY]: metadataBytes(ENCODING_ENCRYPTED),
      [METADATA_ENCRYPTION_KEY_ID]: metadataBytes(id),
      [METADATA_ENCRYPTION_CIPHER]: metadataBytes(CIPHER_XCHACHA20POLY1305_V1),
    };
    if (binding.length) metadata[METADATA_ENCRYPTION_BINDING] = metadataBytes(binding.join(','));
    return payloads.map((payload) => {
      const data = this.#engine.seal(key, randomNonce(), serializePayload(payload), ad);
      return { metadata: { ...metadata }, data };
    });
  }

  /**
   * Decrypts payloads this codec wrote; others pass through unchanged.
   * @throws {CodecError} `ERR_CODEC_KEY_UNKNOWN` (key id not in the ring), `ERR_CODEC_AUTH_FAILED`
   *   (altered, moved, or wrong key), `ERR_CODEC_CONTEXT_REQUIRED` (bound payload, no context),
   *   `ERR_CODEC_MALFORMED` (truncated or metadata missing), `ERR_CODEC_UNSUPPORTED` (unknown cipher version).
   */
  async decode(payloads: Payload[], context?: CodecContext): Promise<Payload[]> {
    const out: Payload[] = new Array(payloads.length);
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i]!;
      if (readMetadata(payload, METADATA_ENCODING_KEY) !== ENCODING_ENCRYPTED) {
        out[i] = payload;
        continue;
      }
      try {
        out[i] = await this.#decodeOne(payload, context, describePayload(i, payloads.length));
      } catch (err) {
        this.#countFailure('decode', err);
        throw err instanceof Error ? withDetail(err, { payloadIndex: i }) : err;
      }
    }
    return out;
  }

  async #decodeOne(payload: Payload, context: CodecContext | undefined, what: string): Promise<Payload> {
    const cipher = readMetadata(payload, METADATA_ENCRYPTION_CIPHER);
    if (cipher === undefined)
      throw malformed(`${what} is \`${ENCODING_ENCRYPTED}\` but has no \`${METADATA_ENCRYPTION_CIPHER}\` metadata`, METADATA_ENCRYPTION_CIPHER);
    if (cipher !== CIPHER_XCHACHA20POLY1305_V1) {
      throw withDetail(
        new CodecError(
          'ERR_CODEC_UNSUPPORTED',
          `${what} has an \`${METADATA_ENCRYPTION_CIPHER}\` this codec does not read; it reads \`${CIPHER_XCHACHA20POLY1305_V1}\` only. Decode it with the Bastion version (or codec) that wrote it.`,
        ),
        { field: METADATA_ENCRYPTION_CIPHER },
      );
    }
    const id = readMetadata(payload, METADATA_ENCRYPTION_KEY_ID);
    if (id === undefined || id === '') throw malformed(`${what} has no \`${METADATA_ENCRYPTION_KEY_ID}\` metadata`, METADATA_ENCRYPTION_KEY_ID);
    const bindingText = readMetadata(payload, METADATA_ENCRYPTION_BINDING);
    const binding = bindingText === undefined ? [] : bindingText.split(',');
    if (binding.some((f) => !(BINDABLE as readonly string[]).includes(f)) || new Set(binding).size !== binding.length) {
      throw malformed(
        `${what} has \`${METADATA_ENCRYPTION_BINDING}\` metadata that is not a list of \`namespace\` and \`workflowId\``,
        METADATA_ENCRYPTION_BINDING,
      );
    }
    const missing = binding.filter((f) => typeof context?.[f as BindableField] !== 'string');
    if (missing.length) {
      throw withDetail(
        new CodecError(
          'ERR_CODEC_CONTEXT_REQUIRED',
          `${what} is bound to its workflow's ${binding.map((f) => `\`${f}\``).join(' and ')}, but \`decode\` was called without ${missing.map((f) => `\`context.${f}\``).join(' or ')}. Pass the context of the workflow that owns the payload.`,
        ),
        { field: METADATA_ENCRYPTION_BINDING },
      );
    }
    const data = payload.data ?? new Uint8Array(0);
    if (data.byteLength < NONCE_BYTES + TAG_BYTES) {
      throw malformed(
        `${what} holds ${data.byteLength} bytes of encrypted data; at least ${NONCE_BYTES + TAG_BYTES} (nonce and tag) are needed. It was truncated`,
        'data',
      );
    }
    let key: Uint8Array;
    try {
      key = await this.#keyRing.getKey(id);
    } catch (err) {
      throw err instanceof Error ? withDetail(err, { field: METADATA_ENCRYPTION_KEY_ID }) : err;
    }
    const ad = associatedData(id, binding as BindableField[], context);
    const plain = this.#engine.open(key, data.subarray(0, NONCE_BYTES), data.subarray(NONCE_BYTES), ad);
    if (plain === null) {
      const bound = binding.length ? `, it was moved here from another ${binding.includes('workflowId') ? 'workflow' : 'namespace'}` : '';
      throw new CodecError(
        'ERR_CODEC_AUTH_FAILED',
        `${what} failed authentication with key id \`${id}\`: its ciphertext or metadata was altered${bound}, or the key held under \`${id}\` is not the one it was written with. Nothing was decrypted.`,
      );
    }
    return deserializePayload(plain, what);
  }

  /** `EncryptionCodec { engine, bindToContext, keyRing: KeyRing { … } }` — never key material. */
  toString(): string {
    return `EncryptionCodec { cipher: ${CIPHER_XCHACHA20POLY1305_V1}, engine: ${this.#engine.name}, bindToContext: ${this.#bind}, keyRing: ${this.#keyRing.toString()} }`;
  }

  /** The settings, never key material. */
  toJSON(): Record<string, unknown> {
    return { cipher: CIPHER_XCHACHA20POLY1305_V1, engine: this.#engine.name, bindToContext: this.#bind, keyRing: this.#keyRing.toJSON() };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function malformed(problem: string, field: string): BastionError {
  return withDetail(new CodecError('ERR_CODEC_MALFORMED', `${problem}. The payload was not written by this codec, or was damaged in storage.`), { field });
}

const AD_LABEL = 'bastion/encrypted-payload';

/**
 * The associated data: length-prefixed (u32 big-endian) UTF-8 fields
 * `label, cipher, keyId, binding, namespace, workflowId`, with each unbound context field
 * empty. Changing the key id, the cipher marker or the binding list, or decoding under
 * another namespace or workflow id, fails authentication.
 */
export function associatedData(keyId: string, binding: readonly BindableField[], context: CodecContext | undefined): Uint8Array {
  const fields = [
    AD_LABEL,
    CIPHER_XCHACHA20POLY1305_V1,
    keyId,
    binding.join(','),
    binding.includes('namespace') ? context!.namespace! : '',
    binding.includes('workflowId') ? context!.workflowId! : '',
  ].map((f) => Buffer.from(f, 'utf8'));
  const out = Buffer.allocUnsafe(fields.reduce((n, f) => n + 4 + f.byteLength, 0));
  let at = 0;
  for (const f of fields) {
    out.writeUInt32BE(f.byteLength, at);
    f.copy(out, at + 4);
    at += 4 + f.byteLength;
  }
  return out;
}
