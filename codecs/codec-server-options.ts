/**
 * Options of the codec server, their defaults, and their compiled (checked, fully
 * defaulted) form.
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { ConfigError, invalidOption } from '../src/common/errors';
import { describePathInput } from '../src/common/redact';
import { processLogger, type Logger } from '../src/common/logger';
import { compileAuth, type CompiledAuth, type CodecServerAuthOptions } from './http-auth';
import { compileCors, type CompiledCors, type CodecServerCorsOptions } from './http-cors';
import { decodePayloads, encodePayloads, type PayloadCodec } from './payload-codec';

/** The codec methods the server calls; any `PayloadCodec` (Bastion's or `@temporalio/common`'s) has them. */
export type CodecServerCodec = PayloadCodec;

/** A codec, or a chain of codecs applied as `payloadCodecs` are: encode in order, decode in reverse. */
export type CodecOrChain = CodecServerCodec | readonly CodecServerCodec[];

/** The logger the server reports to: short messages, details in `meta` (never payloads, tokens or keys). */
export type CodecServerLogger = Logger;

/** Default request body limit: 4 MiB, twice Temporal's default 2 MiB blob limit. */
export const DEFAULT_CODEC_SERVER_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default limit of what one request may decode to: 32 MiB (sixteen of Temporal's 2 MiB payloads). */
export const DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST = 32 * 1024 * 1024;
/** Default limit of the bytes all requests in progress hold together (bodies, decoded payloads, answers): 128 MiB. */
export const DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES = 128 * 1024 * 1024;
/** Default limit of payloads in one request. */
export const DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST = 1000;
/** Default number of decompressions that run at once (libuv's default thread pool size). */
export const DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS = 4;
/** Default limit of open connections; more are closed as they arrive. */
export const DEFAULT_CODEC_SERVER_MAX_CONNECTIONS = 128;
/** Default time a client has to send its request headers: 10 s. */
export const DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS = 10_000;
/** Default time a client has to send its whole request, headers and body: 30 s. */
export const DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS = 30_000;

/** Options of {@link createCodecServer}. */
export interface CodecServerOptions {
  /** The codec for every namespace (or for those not in `codecsByNamespace`). */
  codec?: CodecOrChain;
  /** A codec per namespace; a request for a namespace not listed (and no `codec`) is answered 404. */
  codecsByNamespace?: Readonly<Record<string, CodecOrChain>>;
  /** CORS for the Web UI; without it no CORS headers are sent (the CLI needs none). */
  cors?: CodecServerCorsOptions;
  /** Bearer-token authentication; without it anyone who reaches the port can decode. */
  auth?: CodecServerAuthOptions;
  /** Serve HTTPS with this certificate (chain) and key, each PEM text or a file path. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Let `listen` bind an address other than loopback without `tls` or without `auth`.
   * Without it such a `listen` throws `ERR_CODEC_SERVER_INSECURE_BIND`: decoded payloads
   * (and tokens) would cross the network in clear, or anyone who reaches the port could
   * decode. The CLI's `--allow-insecure-bind`.
   * @default false
   */
  allowInsecureNonLoopback?: boolean;
  /**
   * Largest request body; larger ones are answered 413 without reading them.
   * @default 4 MiB ({@link DEFAULT_CODEC_SERVER_MAX_BODY_BYTES})
   */
  maxBodyBytes?: number;
  /**
   * Most bytes the payloads of one request may decode to, counted while decompressing:
   * past it, decoding stops and the request is answered 413.
   * @default 32 MiB ({@link DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST})
   */
  maxDecodedBytesPerRequest?: number;
  /**
   * Most bytes all requests in progress may hold together: bodies read, payloads decoded,
   * answers not yet sent. A request that would pass it is answered 503 with `Retry-After`.
   * At least `maxBodyBytes` and `maxDecodedBytesPerRequest`.
   * @default 128 MiB ({@link DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES})
   */
  maxInFlightBytes?: number;
  /**
   * Most payloads in one request; more are answered 413.
   * @default 1000 ({@link DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST})
   */
  maxPayloadsPerRequest?: number;
  /**
   * Decompressions that run at once across all requests; others wait their turn.
   * @default 4 ({@link DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS})
   */
  maxConcurrentDecompressions?: number;
  /**
   * Open connections at most; connections past it are closed as they arrive.
   * @default 128 ({@link DEFAULT_CODEC_SERVER_MAX_CONNECTIONS})
   */
  maxConnections?: number;
  /**
   * Time a client has to send the request headers before the connection is answered 408
   * and closed (slow clients, slow-loris attacks).
   * @default 10000 ({@link DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS})
   */
  headersTimeoutMs?: number;
  /**
   * Time a client has to send the whole request, headers and body; at least `headersTimeoutMs`.
   * @default 30000 ({@link DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS})
   */
  requestTimeoutMs?: number;
  /** Where request lines (debug) and codec failures (warn) go. @default none */
  /** @default the process-wide logger (`Runtime.install({ logger })`, `BASTION_LOG_LEVEL`) */
  logger?: CodecServerLogger;
}

/** The limits, fully defaulted; also what 413 and 503 answers name. */
export interface CodecServerLimits {
  readonly maxBodyBytes: number;
  readonly maxDecodedBytesPerRequest: number;
  readonly maxInFlightBytes: number;
  readonly maxPayloadsPerRequest: number;
  readonly maxConcurrentDecompressions: number;
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Options in their checked form. */
export interface CompiledCodecServerOptions {
  readonly codec?: CodecServerCodec;
  readonly codecsByNamespace: ReadonlyMap<string, CodecServerCodec>;
  readonly cors?: CompiledCors;
  readonly auth?: CompiledAuth;
  readonly tls?: { cert: Buffer; key: Buffer };
  readonly allowInsecureNonLoopback: boolean;
  readonly limits: CodecServerLimits;
  readonly logger?: CodecServerLogger;
}

function isCodec(c: unknown): c is CodecServerCodec {
  return typeof c === 'object' && c !== null && typeof (c as CodecServerCodec).encode === 'function' && typeof (c as CodecServerCodec).decode === 'function';
}

/** One codec from a codec or a chain. */
function compileCodec(value: unknown, option: string): CodecServerCodec {
  if (isCodec(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isCodec)) {
    const chain = [...value] as CodecServerCodec[];
    return { encode: (payloads, context) => encodePayloads(chain, payloads, context), decode: (payloads, context) => decodePayloads(chain, payloads, context) };
  }
  throw invalidOption(option, 'must be a PayloadCodec (an object with `encode(payloads)` and `decode(payloads)`) or a non-empty array of them.');
}

function readPemInput(value: unknown, option: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption(option, 'must be PEM text or the path of a PEM file.');
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return fs.readFileSync(value);
  } catch (err) {
    throw invalidOption(
      option,
      `names the file ${describePathInput(value)}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Pass PEM text or a readable file.`,
    );
  }
}

function positiveInteger(value: unknown, dflt: number, option: string, unit: string): number {
  const v = value ?? dflt;
  if (!Number.isSafeInteger(v) || (v as number) < 1)
    throw invalidOption(option, `must be a whole number of ${unit}, at least 1, got ${JSON.stringify(value)}.`);
  return v as number;
}

function compileLimits(o: CodecServerOptions): CodecServerLimits {
  const limits: CodecServerLimits = {
    maxBodyBytes: positiveInteger(o.maxBodyBytes, DEFAULT_CODEC_SERVER_MAX_BODY_BYTES, 'maxBodyBytes', 'bytes'),
    maxDecodedBytesPerRequest: positiveInteger(
      o.maxDecodedBytesPerRequest,
      DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST,
      'maxDecodedBytesPerRequest',
      'bytes',
    ),
    maxInFlightBytes: positiveInteger(o.maxInFlightBytes, DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES, 'maxInFlightBytes', 'bytes'),
    maxPayloadsPerRequest: positiveInteger(o.maxPayloadsPerRequest, DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST, 'maxPayloadsPerRequest', 'payloads'),
    maxConcurrentDecompressions: positiveInteger(
      o.maxConcurrentDecompressions,
      DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS,
      'maxConcurrentDecompressions',
      'decompressions',
    ),
    maxConnections: positiveInteger(o.maxConnections, DEFAULT_CODEC_SERVER_MAX_CONNECTIONS, 'maxConnections', 'connections'),
    headersTimeoutMs: positiveInteger(o.headersTimeoutMs, DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS, 'headersTimeoutMs', 'milliseconds'),
    requestTimeoutMs: positiveInteger(o.requestTimeoutMs, DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS, 'requestTimeoutMs', 'milliseconds'),
  };
  for (const option of ['maxBodyBytes', 'maxDecodedBytesPerRequest'] as const) {
    if (limits[option] > limits.maxInFlightBytes) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        `\`${option}\` (${limits[option]}) is larger than \`maxInFlightBytes\` (${limits.maxInFlightBytes}), so a request within it could never be served. Raise \`maxInFlightBytes\` or lower \`${option}\`.`,
      );
    }
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`headersTimeoutMs\` (${limits.headersTimeoutMs}) is longer than \`requestTimeoutMs\` (${limits.requestTimeoutMs}), which covers the headers too. Make \`requestTimeoutMs\` at least \`headersTimeoutMs\`.`,
    );
  }
  return limits;
}

/**
 * Checks the options and fills in the defaults.
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS`
 */
export function compileCodecServerOptions(o: CodecServerOptions): CompiledCodecServerOptions {
  if (!o || typeof o !== 'object') throw invalidOption('options', 'must be an object with `codec` or `codecsByNamespace`.');
  if (o.codec === undefined && o.codecsByNamespace === undefined)
    throw invalidOption('codec', 'is required (or `codecsByNamespace`): the server needs a codec to encode and decode with.');
  const codec = o.codec === undefined ? undefined : compileCodec(o.codec, 'codec');
  const codecsByNamespace = new Map<string, CodecServerCodec>();
  if (o.codecsByNamespace !== undefined) {
    if (typeof o.codecsByNamespace !== 'object' || o.codecsByNamespace === null)
      throw invalidOption('codecsByNamespace', 'must be an object mapping namespace names to codecs.');
    for (const [ns, c] of Object.entries(o.codecsByNamespace)) codecsByNamespace.set(ns, compileCodec(c, `codecsByNamespace[${JSON.stringify(ns)}]`));
    if (codecsByNamespace.size === 0 && !codec) throw invalidOption('codecsByNamespace', 'names no namespace; add one, or pass `codec`.');
  }
  const allowInsecureNonLoopback = o.allowInsecureNonLoopback ?? false;
  if (typeof allowInsecureNonLoopback !== 'boolean')
    throw invalidOption('allowInsecureNonLoopback', `must be true or false, got ${JSON.stringify(allowInsecureNonLoopback)}.`);
  const limits = compileLimits(o);
  let tlsFiles: CompiledCodecServerOptions['tls'];
  if (o.tls !== undefined) {
    const cert = readPemInput(o.tls?.cert, 'tls.cert');
    const key = readPemInput(o.tls?.key, 'tls.key');
    try {
      tls.createSecureContext({ cert, key });
    } catch (err) {
      // OpenSSL's reason only (e.g. "key values mismatch"): never the PEM text.
      const reason = String((err as Error).message)
        .split('\n')[0]!
        .replace(/-----BEGIN[\s\S]*/, '');
      throw invalidOption('tls', `cannot be used: \`tls.cert\` and \`tls.key\` must be a PEM certificate and its own private key (${reason}).`);
    }
    tlsFiles = { cert, key };
  }
  return {
    codec,
    codecsByNamespace,
    cors: compileCors(o.cors),
    auth: compileAuth(o.auth),
    tls: tlsFiles,
    allowInsecureNonLoopback,
    limits,
    logger: o.logger ?? processLogger,
  };
}
