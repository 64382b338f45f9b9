/**
 * `NativeConnectOptions` → {@link compileNativeOptions} → a fully defaulted form. The
 * connection options go through Bastion's own `compileConnectionOptions` (and a profile
 * through `loadClientConnectConfig`), so a bad certificate, key or address fails with the
 * same code and sentence as `Connection.connect`.
 */
import type { MetricsOptions } from '../src/observability/metrics-options';
import { ConfigError, invalidOption } from '../src/common/errors';
import { parsePositiveDuration, type Duration } from '../src/common/duration';
import { compileConnectionOptions, type CompiledConnectionOptions, type ConnectionLogger, type ConnectionOptions } from '../src/connection/connection-options';
import { loadClientConnectConfig } from '../src/connection/envconfig';
import type { TlsConfig } from '../src/connection/tls-credentials';
import { isCertificateSource, watchCertificateFiles, type CertificateWatcher, type WatchCertificateFilesOptions } from '../certs/certificate-watcher';

/**
 * How long an old `NativeConnection` stays open after the workers moved off it.
 * Core's calls already in flight (long polls included) hold their own handle on the old
 * channel and finish on it whatever happens to the JavaScript object; the grace is for
 * JavaScript code that read `.connection` before the swap (a Client built on it, a call
 * about to be sent) — 10 s is the longest Core retries an ordinary call (its default
 * `max_elapsed_time`).
 * @default 10_000 (10 s)
 */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

/** Options of `connectNative`. */
export interface NativeConnectOptions {
  /** `host:port` of the Temporal frontend. @default the profile's, else '127.0.0.1:7233' */
  address?: string;
  /** As in `Connection.connect`: `false`, `true`, or `{ serverRootCACertificate, clientCertPair, serverNameOverride }` (PEM text, Buffers or file paths; `clientCertPair` may be a `CertificateWatcher`). */
  tls?: boolean | TlsConfig;
  /** Sent as `authorization: Bearer <apiKey>`; change it later with `setApiKey`. A string (Core takes no function). */
  apiKey?: string;
  /** Extra gRPC headers on every call. */
  metadata?: Record<string, string>;
  /** A profile of `temporal.toml` (and `TEMPORAL_*` variables), read through `loadClientConnectConfig`; explicit options win. @default `TEMPORAL_PROFILE`, else 'default' */
  profile?: string;
  /** The `temporal.toml` to read. @default `TEMPORAL_CONFIG_FILE`, else the platform's default path */
  configFile?: string;
  /**
   * Follow the client certificate files: `{ crt, key, ca? }` (paths; `ca` is the CA that
   * must have issued each new certificate), or `true` to watch the paths the profile or
   * `TEMPORAL_TLS_CLIENT_CERT_PATH`/`_KEY_PATH` name. Each valid new pair is rotated in.
   */
  watchCertificateFiles?: true | Omit<WatchCertificateFilesOptions, 'logger'>;
  /** Days before the client certificate's `notAfter` at which a warning is logged; `[]` for none. @default [30, 7, 1] */
  expiryWarningDays?: number[];
  /**
   * Where the connectivity metrics go (`x509_cert_not_after` of the client certificate,
   * rotations applied and refused, TLS handshake failures), as for `Connection.connect`:
   * `{ registry }`, `{ meterProvider }`, `{ recorder }` or `false`.
   * @default the process-wide metrics of `Runtime.install({ telemetryOptions })`
   */
  metrics?: MetricsOptions | false;
  /** Rotations (info), refusals and expiry warnings (warn). Never given a secret. @default the process logger */
  logger?: ConnectionLogger;
  /** Limit of connecting and of the proving `GetSystemInfo` call, at start and at each rotation. @default '10s' */
  connectTimeout?: Duration;
  /** How long a replaced connection stays open before it is closed. @default '10s' ({@link DEFAULT_CLOSE_GRACE_MS}) */
  closeGracePeriod?: Duration;
}

/** Options after validation. */
export interface CompiledNativeOptions {
  readonly connection: CompiledConnectionOptions;
  readonly namespace: string;
  /** The profile read, when one was (`profile`, `configFile` or `TEMPORAL_PROFILE`). */
  readonly profile: string | undefined;
  readonly closeGraceMs: number;
  /** A watcher this manager created (and closes). */
  readonly ownWatcher: CertificateWatcher | undefined;
}

const OWN_KEYS = ['profile', 'configFile', 'watchCertificateFiles', 'closeGracePeriod'];
const PASSED_KEYS = ['address', 'tls', 'apiKey', 'metadata', 'expiryWarningDays', 'logger', 'connectTimeout', 'metrics'];
const NOT_IN_CORE: Readonly<Record<string, string>> = {
  callTimeout: 'Core sets the deadline of its calls itself (70 s for long polls); wrap client calls in `connection.withDeadline`.',
  longPollTimeout: 'Core uses 70 s for its long polls.',
  keepAlive: 'Core keeps its own HTTP/2 keepalive; it is not configurable through `NativeConnection`.',
  reconnect: 'Core reconnects with its own backoff.',
  retry: 'Core retries with its own policy (docs/native-engine.md says how).',
};

/**
 * Validates `connectNative` options: Bastion's connection checks, then the profile.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS`, `ERR_TLS_CONFIG` as `Connection.connect`
 * @throws {CertsError} `ERR_CERTS_WATCH` when watched files do not hold a usable pair now
 */
export function compileNativeOptions(options: NativeConnectOptions = {}): CompiledNativeOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidOption('options', 'must be an object.');
  for (const key of Object.keys(options)) {
    if (OWN_KEYS.includes(key) || PASSED_KEYS.includes(key)) continue;
    const hint = NOT_IN_CORE[key] ?? `Known options: ${[...PASSED_KEYS, ...OWN_KEYS].map((k) => `\`${k}\``).join(', ')}.`;
    throw invalidOption(key, `is not an option of \`connectNative\`. ${hint}`);
  }
  if (options.apiKey !== undefined && typeof options.apiKey !== 'string') {
    throw invalidOption('apiKey', 'must be a string for the native engine (Core takes no function); call `setApiKey(key)` when it changes.');
  }
  const closeGraceMs = options.closeGracePeriod === undefined ? DEFAULT_CLOSE_GRACE_MS : parsePositiveDuration(options.closeGracePeriod, 'closeGracePeriod');
  const explicit: ConnectionOptions = {};
  for (const key of PASSED_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) (explicit as Record<string, unknown>)[key] = value;
  }
  const watch = options.watchCertificateFiles;
  if (watch !== undefined && watch !== true && (typeof watch !== 'object' || watch === null || Array.isArray(watch)))
    throw invalidOption('watchCertificateFiles', "must be `true` (the profile's paths) or `{ crt, key, ca? }` (paths of PEM files).");
  const givenPair = typeof options.tls === 'object' ? options.tls.clientCertPair : undefined;
  if (watch !== undefined && givenPair !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      '`watchCertificateFiles` and `tls.clientCertPair` both give the client certificate. Pass the files to `watchCertificateFiles` only.',
    );
  }
  if ((watch as unknown) === false) throw invalidOption('watchCertificateFiles', 'must be `true` or `{ crt, key, ca? }`; leave it out to watch nothing.');

  const useProfile = options.profile !== undefined || options.configFile !== undefined || watch === true || process.env.TEMPORAL_PROFILE !== undefined;
  let namespace = 'default';
  let profile: string | undefined;
  let ownWatcher: CertificateWatcher | undefined;
  let merged: ConnectionOptions = explicit;
  if (useProfile) {
    const loaded = loadClientConnectConfig({
      profile: options.profile,
      configFile: options.configFile,
      overrides: explicit,
      watchCertificateFiles: watch === true,
    });
    merged = loaded.connectionOptions;
    namespace = loaded.namespace;
    profile = loaded.profile;
    ownWatcher = loaded.certificateWatcher;
    if (watch === true && !ownWatcher) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        `\`watchCertificateFiles: true\` found no client certificate files to watch in profile "${loaded.profile}" or \`TEMPORAL_TLS_CLIENT_CERT_PATH\`/\`TEMPORAL_TLS_CLIENT_KEY_PATH\`. Name them there, or pass \`watchCertificateFiles: { crt, key }\`.`,
      );
    }
  }
  if (watch !== undefined && watch !== true) {
    ownWatcher = watchCertificateFiles({ ...watch });
    const base = merged.tls;
    merged = { ...merged, tls: { ...(typeof base === 'object' ? base : {}), clientCertPair: ownWatcher } };
  }
  let connection: CompiledConnectionOptions;
  try {
    connection = compileConnectionOptions(merged);
  } catch (err) {
    ownWatcher?.close();
    throw err;
  }
  return Object.freeze({ connection, namespace, profile, closeGraceMs, ownWatcher });
}

/** Whether the client pair of `tls` comes from a watcher. */
export function watchedSource(tls: CompiledConnectionOptions['tls']): CertificateWatcher | undefined {
  const source = tls?.clientCertSource;
  return isCertificateSource(source) ? source : undefined;
}
