/**
 * `ConnectionOptions` → {@link compileConnectionOptions} → a frozen, fully defaulted
 * {@link CompiledConnectionOptions}. Everything is validated here, once; durations become
 * `…Ms`, PEM inputs become Buffers, and nothing downstream re-checks an option.
 */
import { compileMetricsOption, type MetricsOptions } from '../observability/metrics-options';
import type { MetricsRecorder } from '../observability/recorder';
import { ConfigError, invalidOption } from '../common/errors';
import { parsePositiveDuration, type Duration } from '../common/duration';
import { defineRedactedView, redactedIfSet } from '../common/redact';
import { compileTls, type CompiledTls, type TlsConfig } from './tls-credentials';
import { DEFAULT_EXPIRY_WARNING_DAYS } from './expiry-watch';
import { processLogger, type Logger } from '../common/logger';

/** Where a connection reports certificate rotations and expiry warnings. Never given secrets. */
export type ConnectionLogger = Pick<Logger, 'info' | 'warn' | 'error'> & Partial<Pick<Logger, 'debug' | 'trace'>>;

/** The default {@link ConnectionLogger}: the process-wide logger (`Runtime.install`, `BASTION_LOG_LEVEL`). */
export const defaultConnectionLogger: ConnectionLogger = processLogger;

/**
 * The server address when none is given.
 * @default '127.0.0.1:7233'
 */
export const DEFAULT_ADDRESS = '127.0.0.1:7233';

/**
 * The port used when `address` has none (Temporal's frontend port).
 * @default 7233
 */
export const DEFAULT_PORT = 7233;

/**
 * How long `Connection.connect` / `ensureConnected()` wait for `GetSystemInfo`.
 * @default 10_000 (10 s)
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Retries for calls that fail with `UNAVAILABLE` or `RESOURCE_EXHAUSTED`: up to 10
 * attempts, backoff from 100 ms doubling up to 5 s, each delay jittered by ±20 %.
 * @default { maxAttempts: 10, initialIntervalMs: 100, maxIntervalMs: 5000 }
 */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ maxAttempts: 10, initialIntervalMs: 100, maxIntervalMs: 5_000 });

/**
 * The deadline of each ordinary call (completions, heartbeats, client calls), covering its
 * retries, when the call sets no `timeout` of its own.
 * @default 30_000 (30 s, as the official Core SDK's calls other than polls)
 */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * The deadline of each long poll (task polls, history with `waitNewEvent`). A little longer
 * than the server's long-poll window (about 60 s), so a healthy server always answers first
 * and an expired deadline means the connection is not delivering.
 * @default 70_000 (70 s, as the official Core SDK)
 */
export const DEFAULT_LONG_POLL_TIMEOUT_MS = 70_000;

/**
 * HTTP/2 keepalive: a PING after `intervalMs` without a PING answer, and the connection is
 * dropped when the answer takes longer than `timeoutMs`. Sent also while no call is in
 * flight. The official SDKs use the same values.
 * @default { intervalMs: 30_000, timeoutMs: 15_000 }
 */
export const DEFAULT_KEEPALIVE: Readonly<KeepAliveOptions> = Object.freeze({ intervalMs: 30_000, timeoutMs: 15_000 });

/**
 * grpc-js's backoff between connection attempts: starts at `initialIntervalMs`, grows ×1.6
 * with ±20 % jitter up to `maxIntervalMs`, and starts over after a connection succeeds.
 * grpc-js's own defaults (1 s up to 120 s) can keep a worker away for two minutes after
 * the server is back.
 * @default { initialIntervalMs: 200, maxIntervalMs: 2000 }
 */
export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({ initialIntervalMs: 200, maxIntervalMs: 2_000 });

/** HTTP/2 keepalive settings, in milliseconds. */
export interface KeepAliveOptions {
  /** Time between keepalive PINGs. */
  intervalMs: number;
  /** How long a PING may go unanswered before the connection is dropped. */
  timeoutMs: number;
}

/** Backoff between attempts to (re)open the connection, in milliseconds. */
export interface ReconnectOptions {
  initialIntervalMs: number;
  maxIntervalMs: number;
}

/** Retry settings for calls that fail with a transient status. */
export interface RetryOptions {
  /** Attempts in total, including the first; `1` turns retries off. */
  maxAttempts: number;
  /** Delay before the first retry, in milliseconds; doubles on each retry. */
  initialIntervalMs: number;
  /** The longest delay between attempts, in milliseconds. */
  maxIntervalMs: number;
}

/** Options of {@link Connection.connect}. */
export interface ConnectionOptions {
  /**
   * `host:port` of the Temporal frontend; IPv6 hosts in brackets (`[::1]:7233`). Without a
   * port, 7233 is used.
   * @default '127.0.0.1:7233'
   */
  address?: string;
  /**
   * `false`: plaintext. `true` or `{}`: TLS with the system's root CAs. An object: TLS with
   * the given CA, client certificate (mTLS) and server name.
   * @default false, or `true` when `apiKey` is set (as the official SDK does)
   */
  tls?: boolean | TlsConfig;
  /** Sent as `authorization: Bearer <apiKey>` on every call; a function is called before each call. */
  apiKey?: string | (() => string | Promise<string>);
  /** Extra gRPC headers for every call (lower-case ASCII names, printable ASCII values). */
  metadata?: Record<string, string>;
  /**
   * How long to wait for the server's first answer in `Connection.connect`, and how long a
   * new HTTP/2 connection may take to complete its handshake (TCP, TLS, HTTP/2 SETTINGS)
   * before it is abandoned and a fresh one is opened.
   * @default '10s'
   */
  connectTimeout?: Duration;
  /**
   * A deadline for ordinary calls (everything but long polls), covering every retry; a
   * call's own `timeout` replaces it.
   * @default '30s' ({@link DEFAULT_CALL_TIMEOUT_MS})
   */
  callTimeout?: Duration;
  /**
   * A deadline for each long poll (task polls, history with `waitNewEvent`). Keep it above
   * the server's long-poll window (about 60 s); pollers re-poll at once when it expires.
   * @default '70s' ({@link DEFAULT_LONG_POLL_TIMEOUT_MS})
   */
  longPollTimeout?: Duration;
  /**
   * HTTP/2 keepalive PINGs, so a connection whose peer went away silently (a NAT or load
   * balancer that dropped it) is noticed and replaced. Keep `interval` below the idle
   * timeout of any proxy on the way (see docs/connection.md).
   * @default { interval: '30s', timeout: '15s' } ({@link DEFAULT_KEEPALIVE})
   */
  keepAlive?: { interval?: Duration; timeout?: Duration };
  /**
   * Backoff between attempts to reopen the connection after it failed.
   * @default { initialInterval: '200ms', maxInterval: '2s' } ({@link DEFAULT_RECONNECT})
   */
  reconnect?: { initialInterval?: Duration; maxInterval?: Duration };
  /**
   * Retries of `UNAVAILABLE` and `RESOURCE_EXHAUSTED` on ordinary calls (never long polls).
   * Missing fields take their value from {@link DEFAULT_RETRY}.
   */
  retry?: Partial<RetryOptions>;
  /**
   * Receives certificate rotations (info), refused rotations and expiry warnings (warn),
   * and an expired certificate (error).
   * @default defaultConnectionLogger (stderr)
   */
  logger?: ConnectionLogger;
  /**
   * Days before the client certificate's `notAfter` at which a warning is logged; `[]`
   * turns the warnings off.
   * @default DEFAULT_EXPIRY_WARNING_DAYS ([30, 7, 1])
   */
  expiryWarningDays?: number[];
  /**
   * Where this connection records `temporal_request`, `temporal_long_request` (and their
   * failures and latencies), the client certificate's `x509_cert_not_after`, rotations and
   * TLS handshake failures: `{ registry }`, `{ meterProvider }`, `{ recorder }` or `false`.
   * @default the process-wide metrics of `Runtime.install({ telemetryOptions })`
   */
  metrics?: MetricsOptions | false;
}

/** Options after validation: every field present, durations in milliseconds, frozen. */
export interface CompiledConnectionOptions {
  /** `host:port`, port always present. */
  readonly address: string;
  /** `undefined` means plaintext. */
  readonly tls: CompiledTls | undefined;
  readonly apiKey: string | (() => string | Promise<string>) | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly longPollTimeoutMs: number;
  readonly keepAlive: Readonly<KeepAliveOptions>;
  readonly reconnect: Readonly<ReconnectOptions>;
  readonly retry: Readonly<RetryOptions>;
  readonly logger: ConnectionLogger;
  readonly expiryWarningDays: readonly number[];
  readonly metrics: MetricsRecorder;
}

const OPTION_KEYS = [
  'address',
  'tls',
  'apiKey',
  'metadata',
  'connectTimeout',
  'callTimeout',
  'longPollTimeout',
  'keepAlive',
  'reconnect',
  'retry',
  'logger',
  'expiryWarningDays',
  'metrics',
];
const OFFICIAL_ONLY: Readonly<Record<string, string>> = {
  channelArgs: 'Bastion sets its own channel arguments; keepalive and reconnect backoff are `keepAlive` and `reconnect`.',
  interceptors: 'Bastion has no call interceptors; add headers with `metadata` or `apiKey`.',
  credentials: 'Use `tls` (and `apiKey` for bearer tokens).',
  callCredentials: 'Use `apiKey` (a function is called before every call).',
  connectTimeoutMs: 'Use `connectTimeout` (a number of milliseconds or a string like "10s").',
};
/** Headers Bastion sets itself; `metadata` may not replace them. */
export const RESERVED_HEADERS: readonly string[] = ['client-name', 'client-version', 'temporal-namespace'];

function compileAddress(value: unknown): string {
  if (value === undefined) return DEFAULT_ADDRESS;
  const form = 'must be "host:port", e.g. "127.0.0.1:7233" or "[::1]:7233"';
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidOption('address', `${form}; got ${typeof value === 'string' ? 'an empty string' : value === null ? 'null' : typeof value}.`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    throw invalidOption('address', `${form}, without a scheme; got ${JSON.stringify(value)}. Drop the scheme and use \`tls\` to choose TLS.`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d+))?$/.exec(value);
  if (!m) throw invalidOption('address', `${form}; got ${JSON.stringify(value)}.`);
  const port = m[2] === undefined ? DEFAULT_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidOption('address', `has port ${m[2]}, which is not between 1 and 65535.`);
  return `${m[1]}:${port}`;
}

function compileApiKey(value: unknown): CompiledConnectionOptions['apiKey'] {
  if (value === undefined || typeof value === 'function') return value as CompiledConnectionOptions['apiKey'];
  // The value is a secret: describe it, never print it.
  if (typeof value !== 'string') throw invalidOption('apiKey', `must be a string or a function returning one; got ${value === null ? 'null' : typeof value}.`);
  if (!isHeaderValue(value) || value === '')
    throw invalidOption('apiKey', 'must be a non-empty string of printable ASCII characters (it is sent as a header).');
  return value;
}

/** Whether a string may be sent as a non-binary gRPC header value. */
export function isHeaderValue(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

function compileMetadata(value: unknown, apiKeySet: boolean): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidOption('metadata', 'must be an object of header names to string values.');
  const out: Record<string, string> = {};
  for (const [rawName, v] of Object.entries(value)) {
    const name = rawName.toLowerCase();
    if (!/^[0-9a-z_.-]+$/.test(name)) throw invalidOption(`metadata.${rawName}`, 'is not a valid gRPC header name (letters, digits, "-", "_" and "." only).');
    if (name.endsWith('-bin'))
      throw invalidOption(`metadata.${rawName}`, 'is a binary header ("-bin"); only text headers are supported. Base64-encode the value under another name.');
    if (name.startsWith('grpc-') || name.startsWith(':') || RESERVED_HEADERS.includes(name))
      throw invalidOption(`metadata.${rawName}`, 'is set by Bastion or gRPC and cannot be replaced.');
    if (name === 'authorization' && apiKeySet) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        '`metadata.authorization` and `apiKey` both set the `authorization` header. Pass the token as `apiKey` only.',
      );
    }
    if (typeof v !== 'string' || !isHeaderValue(v)) throw invalidOption(`metadata.${rawName}`, 'must be a string of printable ASCII characters.');
    out[name] = v;
  }
  return Object.freeze(out);
}

function compileRetry(value: unknown): Readonly<RetryOptions> {
  if (value === undefined) return DEFAULT_RETRY;
  if (typeof value !== 'object' || value === null) throw invalidOption('retry', 'must be an object `{ maxAttempts, initialIntervalMs, maxIntervalMs }`.');
  for (const key of Object.keys(value)) {
    if (!(key in DEFAULT_RETRY)) throw invalidOption(`retry.${key}`, 'is not an option. Known: `maxAttempts`, `initialIntervalMs`, `maxIntervalMs`.');
  }
  const merged = { ...DEFAULT_RETRY, ...(value as Partial<RetryOptions>) };
  if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 1)
    throw invalidOption('retry.maxAttempts', `must be a whole number of at least 1 (1 turns retries off); got ${String(merged.maxAttempts)}.`);
  for (const key of ['initialIntervalMs', 'maxIntervalMs'] as const) {
    const ms = merged[key];
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw invalidOption(`retry.${key}`, `must be a non-negative number of milliseconds; got ${String(ms)}.`);
  }
  if (merged.maxIntervalMs < merged.initialIntervalMs) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`retry.maxIntervalMs\` (${merged.maxIntervalMs}) is shorter than \`retry.initialIntervalMs\` (${merged.initialIntervalMs}). Raise \`retry.maxIntervalMs\` or lower \`retry.initialIntervalMs\`.`,
    );
  }
  return Object.freeze(merged);
}

/** A `{ a?: Duration, b?: Duration }` option compiled against its defaults (in ms). */
function compileDurationPair<K extends string>(
  value: unknown,
  name: string,
  fields: Record<K, string>,
  defaults: Readonly<Record<string, number>>,
): Record<string, number> {
  if (value === undefined) return { ...defaults };
  const known = Object.keys(fields) as K[];
  const form = `an object \`{ ${known.join(', ')} }\` of durations (milliseconds or strings like "5s")`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidOption(name, `must be ${form}.`);
  const out: Record<string, number> = { ...defaults };
  for (const [key, v] of Object.entries(value)) {
    if (!known.includes(key as K)) throw invalidOption(`${name}.${key}`, `is not an option. Known: ${known.map((k) => `\`${k}\``).join(', ')}.`);
    if (v !== undefined) out[fields[key as K]] = parsePositiveDuration(v as Duration, `${name}.${key}`);
  }
  return out;
}

function compileKeepAlive(value: unknown): Readonly<KeepAliveOptions> {
  if (value === undefined) return DEFAULT_KEEPALIVE;
  return Object.freeze(
    compileDurationPair(value, 'keepAlive', { interval: 'intervalMs', timeout: 'timeoutMs' }, DEFAULT_KEEPALIVE) as unknown as KeepAliveOptions,
  );
}

function compileReconnect(value: unknown): Readonly<ReconnectOptions> {
  if (value === undefined) return DEFAULT_RECONNECT;
  const r = compileDurationPair(
    value,
    'reconnect',
    { initialInterval: 'initialIntervalMs', maxInterval: 'maxIntervalMs' },
    DEFAULT_RECONNECT,
  ) as unknown as ReconnectOptions;
  if (r.maxIntervalMs < r.initialIntervalMs) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`reconnect.maxInterval\` (${r.maxIntervalMs} ms) is shorter than \`reconnect.initialInterval\` (${r.initialIntervalMs} ms). Raise \`reconnect.maxInterval\` or lower \`reconnect.initialInterval\`.`,
    );
  }
  return Object.freeze(r);
}

function compileLogger(value: unknown): ConnectionLogger {
  if (value === undefined) return defaultConnectionLogger;
  const methods = ['info', 'warn', 'error'] as const;
  if (typeof value !== 'object' || value === null || methods.some((m) => typeof (value as Record<string, unknown>)[m] !== 'function')) {
    throw invalidOption('logger', 'must be an object with `info`, `warn` and `error` methods `(message, meta) => void` (a pino or console-like logger).');
  }
  const l = value as ConnectionLogger;
  return Object.freeze({
    info: l.info.bind(l),
    warn: l.warn.bind(l),
    error: l.error.bind(l),
    ...(typeof l.debug === 'function' ? { debug: l.debug.bind(l) } : {}),
  });
}

function compileExpiryWarningDays(value: unknown): readonly number[] {
  if (value === undefined) return DEFAULT_EXPIRY_WARNING_DAYS;
  if (!Array.isArray(value) || value.some((d) => typeof d !== 'number' || !Number.isFinite(d) || d <= 0)) {
    throw invalidOption(
      'expiryWarningDays',
      `must be an array of positive numbers of days, e.g. [30, 7, 1], or [] for no warnings; got ${JSON.stringify(value)}.`,
    );
  }
  return Object.freeze([...new Set(value as number[])].sort((a, b) => b - a));
}

/**
 * Validates connection options and fills in defaults. PEM file paths are read here.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS` or `ERR_TLS_CONFIG`, naming the option
 */
export function compileConnectionOptions(options: ConnectionOptions = {}): CompiledConnectionOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'must be an object.');
  for (const key of Object.keys(options)) {
    if (OPTION_KEYS.includes(key)) continue;
    const hint = OFFICIAL_ONLY[key] ?? `Known options: ${OPTION_KEYS.map((k) => `\`${k}\``).join(', ')}.`;
    throw invalidOption(key, `is not a connection option. ${hint}`);
  }
  const apiKey = compileApiKey(options.apiKey);
  return withOptionsView({
    address: compileAddress(options.address),
    tls: compileTls(options.tls, apiKey !== undefined),
    apiKey,
    metadata: compileMetadata(options.metadata, apiKey !== undefined),
    connectTimeoutMs: options.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : parsePositiveDuration(options.connectTimeout, 'connectTimeout'),
    callTimeoutMs: options.callTimeout === undefined ? DEFAULT_CALL_TIMEOUT_MS : parsePositiveDuration(options.callTimeout, 'callTimeout'),
    longPollTimeoutMs: options.longPollTimeout === undefined ? DEFAULT_LONG_POLL_TIMEOUT_MS : parsePositiveDuration(options.longPollTimeout, 'longPollTimeout'),
    keepAlive: compileKeepAlive(options.keepAlive),
    reconnect: compileReconnect(options.reconnect),
    retry: compileRetry(options.retry),
    logger: compileLogger(options.logger),
    expiryWarningDays: compileExpiryWarningDays(options.expiryWarningDays),
    metrics: compileMetricsOption(options.metrics, 'metrics'),
  });
}

/**
 * Freezes compiled options with their redacted view: `util.inspect` and `JSON.stringify`
 * show `apiKey: '[redacted]'` (or `undefined`) and the TLS view. Use it for every copy
 * (a spread drops the view).
 */
export function withOptionsView(options: CompiledConnectionOptions): CompiledConnectionOptions {
  const copy = { ...options };
  defineRedactedView(copy, 'CompiledConnectionOptions', (o) => ({ ...o, apiKey: redactedIfSet(o.apiKey) }));
  return Object.freeze(copy);
}
