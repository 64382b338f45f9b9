/**
 * `KeyRing`: the keys an `EncryptionCodec` encrypts and decrypts with — one active key id
 * (new payloads) and any number of decrypt-only keys (payloads written before a rotation),
 * held in memory or fetched from a KMS through a `KeyProvider` with a cache.
 *
 * Keys never leave this module in text: `toString`, `util.inspect` and `JSON.stringify`
 * show the key ids only, and error messages name ids, lengths and sources, never bytes.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { inspect } from 'node:util';
import { type BastionError, CodecError, invalidOption } from '../src/common/errors';
import { KEY_BYTES } from './xchacha20-poly1305';
import { describePathInput, redact } from '../src/common/redact';

/** The environment variable {@link KeyRing.fromEnv} reads by default. @default 'BASTION_CODEC_KEYS' */
export const DEFAULT_KEYS_ENV = 'BASTION_CODEC_KEYS';
/** How long {@link KeyRing.fromProvider} caches the active key id and each key. @default 300000 (5 minutes) */
export const DEFAULT_KEY_CACHE_TTL_MS = 5 * 60_000;

/** A key id: 1–64 printable ASCII characters, no spaces. */
const KEY_ID = /^[\x21-\x7e]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Options of `new KeyRing(...)`; also the JSON form of a key file (keys as base64). */
export interface KeyRingOptions {
  /** The id of the key new payloads are encrypted with; must be one of `keys`. */
  active: string;
  /** Every key by id: 32 bytes, as a `Uint8Array` or standard base64. Keys other than `active` only decrypt. */
  keys: Record<string, Uint8Array | string>;
}

/**
 * A KMS hook: where {@link KeyRing.fromProvider} gets keys from. Called again only after
 * the cache entry expires; concurrent lookups of one id share one call.
 */
export interface KeyProvider {
  /** The 32-byte key with this id; `undefined` or `null` when the provider has no such key. */
  getKey(id: string): Promise<Uint8Array | null | undefined>;
  /** The id of the key new payloads are encrypted with. */
  activeKeyId(): Promise<string>;
}

/** Options of {@link KeyRing.fromProvider}. */
export interface KeyProviderOptions {
  /** How long a fetched key or active id is reused, in ms; `0` asks the provider every time. @default 300000 */
  cacheTtlMs?: number;
}

interface CacheEntry<T> {
  readonly value: Promise<T>;
  readonly expiresAt: number;
}

/**
 * One active key and any number of decrypt-only keys.
 *
 * ```ts
 * const ring = new KeyRing({ active: 'k2', keys: { k1: oldKeyBase64, k2: newKeyBytes } });
 * const fromFile = KeyRing.fromFile('/etc/bastion/codec-keys.json'); // { "active": "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }
 * ```
 */
export class KeyRing {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #active: string | undefined;
  readonly #provider: KeyProvider | undefined;
  readonly #ttlMs: number;
  readonly #keyCache = new Map<string, CacheEntry<Uint8Array>>();
  #activeCache: CacheEntry<string> | undefined;

  /**
   * A key ring held in memory. Keys are copied, so the caller may wipe its own buffers.
   * @throws {CodecError} `ERR_CODEC_KEY_RING_INVALID` when a key is not 32 bytes or not valid
   *   base64, an id is not 1–64 printable characters, or `active` is not among `keys`.
   */
  constructor(options: KeyRingOptions);
  /** @internal */
  constructor(options: KeyRingOptions | { provider: KeyProvider; ttlMs: number }, source?: string);
  constructor(options: KeyRingOptions | { provider: KeyProvider; ttlMs: number }, source = 'KeyRing options') {
    if ('provider' in options) {
      this.#provider = options.provider;
      this.#ttlMs = options.ttlMs;
      return;
    }
    this.#ttlMs = 0;
    if (typeof options !== 'object' || options === null) throw ringError(source, 'must be an object `{ active, keys }`.');
    const { active, keys } = options;
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys))
      throw ringError(source, '`keys` must be an object of key id → 32-byte key (`Uint8Array` or base64).');
    for (const [id, value] of Object.entries(keys)) {
      checkKeyId(id, source, `\`keys\` has the id ${JSON.stringify(id).slice(0, 80)}`);
      this.#keys.set(id, parseKey(value, `\`keys.${id}\``, source));
    }
    if (this.#keys.size === 0) throw ringError(source, '`keys` is empty; give at least the active key.');
    if (typeof active !== 'string' || !this.#keys.has(active)) {
      throw ringError(
        source,
        `\`active\` is ${typeof active === 'string' ? `\`${active.slice(0, 64)}\`` : typeof active}, which is not one of the ids in \`keys\` (${this.keyIds.map((k) => `\`${k}\``).join(', ')}). Set \`active\` to the id new payloads should be encrypted with.`,
      );
    }
    this.#active = active;
  }

  /**
   * A key ring from the JSON in an environment variable (the key-file format).
   * @param name the variable. @default 'BASTION_CODEC_KEYS'
   * @throws {CodecError} `ERR_CODEC_KEY_RING_INVALID` when the variable is unset or not a valid key ring.
   */
  static fromEnv(name: string = DEFAULT_KEYS_ENV, env: NodeJS.ProcessEnv = process.env): KeyRing {
    const text = env[name];
    const source = `environment variable \`${name}\``;
    if (text === undefined || text.trim() === '') {
      throw ringError(source, 'is not set. Set it to `{ "active": "<id>", "keys": { "<id>": "<base64 of 32 bytes>" } }`.');
    }
    return KeyRing.#fromJson(text, source);
  }

  /**
   * A key ring from a JSON file: `{ "active": "<id>", "keys": { "<id>": "<base64 of 32 bytes>", … } }`.
   * Keep the file readable by the worker's user only (`chmod 600`).
   * @throws {CodecError} `ERR_CODEC_KEY_RING_INVALID` when the file cannot be read or is not a valid key ring.
   */
  static fromFile(path: string): KeyRing {
    // A path is quoted as given; key JSON passed where the path belongs is described or redacted, never echoed.
    const source =
      typeof path === 'string' && !/[\r\n]/.test(path) && path.length <= 4096 ? `key file \`${redact(path)}\`` : `key file ${describePathInput(String(path))}`;
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (err) {
      throw new CodecError(
        'ERR_CODEC_KEY_RING_INVALID',
        `${source} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check the path and that this user may read it.`,
      );
    }
    return KeyRing.#fromJson(text, source);
  }

  /**
   * A key ring that asks `provider` (a KMS) for keys and caches each answer for `cacheTtlMs`.
   * A failed lookup is not cached.
   * @throws {ConfigError} `ERR_INVALID_OPTION` when `provider` lacks `getKey`/`activeKeyId` or `cacheTtlMs` is negative.
   */
  static fromProvider(provider: KeyProvider, options: KeyProviderOptions = {}): KeyRing {
    if (typeof provider?.getKey !== 'function' || typeof provider?.activeKeyId !== 'function') {
      throw invalidOption('provider', 'must have `getKey(id)` and `activeKeyId()` methods that return promises.');
    }
    const ttlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs < 0) {
      throw invalidOption('cacheTtlMs', `must be a number of milliseconds ≥ 0 (Infinity caches forever); got ${String(ttlMs)}.`);
    }
    return new KeyRing({ provider, ttlMs });
  }

  /** 32 random bytes from the system's CSPRNG: a new key. */
  static generateKey(): Uint8Array {
    return new Uint8Array(crypto.randomBytes(KEY_BYTES));
  }

  static #fromJson(text: string, source: string): KeyRing {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message quotes the input, which holds keys: say only where.
      throw ringError(source, 'is not valid JSON. Expected `{ "active": "<id>", "keys": { "<id>": "<base64 of 32 bytes>" } }`.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw ringError(source, 'must hold a JSON object `{ "active": …, "keys": { … } }`.');
    const { active, keys } = parsed as Record<string, unknown>;
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw ringError(source, '`keys` must be an object of key id → base64 of 32 bytes.');
    for (const [id, value] of Object.entries(keys)) {
      if (typeof value !== 'string')
        throw ringError(source, `\`keys.${id.slice(0, 64)}\` must be a base64 string; got ${value === null ? 'null' : typeof value}.`);
    }
    return new KeyRing({ active: active as string, keys: keys as Record<string, string> }, source);
  }

  /** Every key id held (a provider-backed ring: the ids fetched so far). */
  get keyIds(): string[] {
    return this.#provider ? [...this.#keyCache.keys()] : [...this.#keys.keys()];
  }

  /** Whether keys come from a {@link KeyProvider}. */
  get isProviderBacked(): boolean {
    return this.#provider !== undefined;
  }

  /**
   * The active key and its id.
   * @throws {CodecError} `ERR_CODEC_KEY_PROVIDER` when the provider fails or names an unusable id.
   */
  async activeKey(): Promise<{ id: string; key: Uint8Array }> {
    if (!this.#provider) return { id: this.#active!, key: this.#keys.get(this.#active!)! };
    const now = Date.now();
    if (!this.#activeCache || this.#activeCache.expiresAt <= now) {
      const value = this.#provider.activeKeyId().then(
        (id) => {
          if (typeof id !== 'string' || !KEY_ID.test(id))
            throw new CodecError(
              'ERR_CODEC_KEY_PROVIDER',
              `The key provider's \`activeKeyId()\` returned ${typeof id === 'string' ? 'an id that is not 1–64 printable characters' : typeof id}; it must return a key id such as \`k2\`.`,
            );
          return id;
        },
        (err: unknown) => {
          throw new CodecError('ERR_CODEC_KEY_PROVIDER', "The key provider's `activeKeyId()` failed; see `cause`.", { cause: err });
        },
      );
      const entry = { value, expiresAt: now + this.#ttlMs };
      this.#activeCache = entry;
      value.catch(() => {
        if (this.#activeCache === entry) this.#activeCache = undefined;
      });
    }
    const id = await this.#activeCache.value;
    return { id, key: await this.getKey(id) };
  }

  /**
   * The key with this id.
   * @throws {CodecError} `ERR_CODEC_KEY_UNKNOWN` naming the id and the known ids;
   *   `ERR_CODEC_KEY_PROVIDER` when the provider fails or returns a key that is not 32 bytes.
   */
  async getKey(id: string): Promise<Uint8Array> {
    if (!this.#provider) {
      const key = this.#keys.get(id);
      if (!key) throw unknownKey(id, this.keyIds);
      return key;
    }
    const now = Date.now();
    const cached = this.#keyCache.get(id);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = this.#provider.getKey(id).then(
      (key) => {
        if (key == null)
          throw unknownKey(
            id,
            [...this.#keyCache.keys()].filter((k) => k !== id),
            ' (the key provider has no key with this id)',
          );
        if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
          throw new CodecError(
            'ERR_CODEC_KEY_PROVIDER',
            `The key provider returned ${key instanceof Uint8Array ? `${key.byteLength} bytes` : typeof key} for key id \`${id}\`; a key must be a Uint8Array of exactly ${KEY_BYTES} bytes.`,
          );
        }
        return new Uint8Array(key);
      },
      (err: unknown) => {
        throw new CodecError('ERR_CODEC_KEY_PROVIDER', `The key provider's \`getKey('${id}')\` failed; see \`cause\`.`, { cause: err });
      },
    );
    const entry = { value, expiresAt: now + this.#ttlMs };
    this.#keyCache.set(id, entry);
    value.catch(() => {
      if (this.#keyCache.get(id) === entry) this.#keyCache.delete(id);
    });
    return value;
  }

  /** `KeyRing { active: k2, keys: [k1, k2] }` — ids only. */
  toString(): string {
    if (this.#provider) return `KeyRing { provider, cacheTtlMs: ${this.#ttlMs}, fetched: [${this.keyIds.join(', ')}] }`;
    return `KeyRing { active: ${this.#active}, keys: [${this.keyIds.join(', ')}] }`;
  }

  /** The ids, never the keys: `{ active, keyIds }`. */
  toJSON(): { active?: string; keyIds: string[]; provider?: true } {
    return this.#provider ? { provider: true, keyIds: this.keyIds } : { active: this.#active, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function ringError(source: string, problem: string): BastionError {
  // 'key file `x` is not valid JSON', 'KeyRing options: `keys.k1` is 16 bytes'
  return new CodecError('ERR_CODEC_KEY_RING_INVALID', problem.startsWith('`') ? `${source}: ${problem}` : `${source} ${problem}`);
}

function unknownKey(id: string, known: string[], note = ''): BastionError {
  return new CodecError(
    'ERR_CODEC_KEY_UNKNOWN',
    `The payload was encrypted with key id \`${id}\`, which this key ring does not hold${note}; it knows ${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'no other ids'}. Add that key to the ring as a decrypt-only key (docs/key-rotation.md).`,
  );
}

function checkKeyId(id: string, source: string, what: string): void {
  if (!KEY_ID.test(id)) throw ringError(source, `${what}; a key id must be 1–64 printable ASCII characters without spaces, such as \`k2\` or \`2025-06\`.`);
}

function parseKey(value: unknown, name: string, source: string): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    bytes = new Uint8Array(value);
    if (bytes.byteLength !== KEY_BYTES)
      throw ringError(
        source,
        `${name} is ${bytes.byteLength} bytes; a key must be exactly ${KEY_BYTES} bytes. Generate one with \`KeyRing.generateKey()\` or \`openssl rand -base64 32\`.`,
      );
    return bytes;
  }
  if (typeof value !== 'string') throw ringError(source, `${name} must be a Uint8Array or a base64 string; got ${value === null ? 'null' : typeof value}.`);
  const text = value.trim();
  if (!BASE64.test(text))
    throw ringError(source, `${name} is not valid standard base64 (A–Z, a–z, 0–9, +, /, with = padding). Generate a key with \`openssl rand -base64 32\`.`);
  bytes = new Uint8Array(Buffer.from(text, 'base64'));
  if (bytes.byteLength !== KEY_BYTES) {
    bytes.fill(0);
    throw ringError(
      source,
      `${name} is ${Buffer.byteLength(text, 'base64')} bytes after base64 decoding; a key must be exactly ${KEY_BYTES} bytes. Generate one with \`openssl rand -base64 32\`.`,
    );
  }
  return bytes;
}
