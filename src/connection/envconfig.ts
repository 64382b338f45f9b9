/**
 * Environment configuration, as in `@temporalio/envconfig` and the Temporal CLI: a profile
 * from `temporal.toml`, overridden by `TEMPORAL_*` variables, overridden by explicit
 * options, turned into {@link ConnectionOptions}. Values that may be secrets (API keys,
 * PEM data, codec auth) never appear in an error message. The CLI's connection flags are
 * one more layer over the variables ({@link loadClientConnectConfigWithFlags}), so there is
 * one reader of the file and the variables.
 */
import { isCertificateSource, watchCertificateFiles, type CertificateWatcher } from '../../certs/certificate-watcher';
import { defineRedactedView, REDACTED, redactedIfSet } from '../common/redact';
import { ConfigError, invalidOption } from '../common/errors';
import type { ConnectionOptions } from './connection-options';
import {
  CA,
  CERT,
  defaultConfigFilePath,
  envSource,
  headerName,
  isTable,
  KEY,
  pemItem,
  profileFromFile,
  readConfigFile,
  SERVER_NAME,
  type PemItem,
  type ProfileSettings,
  type Source,
} from './envconfig-file';
import type { PemSource, TlsConfig } from './tls-credentials';

/**
 * The profile used when none is named.
 * @default 'default'
 */
export const DEFAULT_PROFILE = 'default';

/**
 * The namespace used when neither the profile nor `TEMPORAL_NAMESPACE` gives one.
 * @default 'default'
 */
export const DEFAULT_NAMESPACE = 'default';

/** A remote codec server, for tools such as the Web UI and the CLI. */
export interface CodecConfig {
  endpoint?: string;
  /** The `Authorization` header value sent to the codec server. */
  auth?: string;
}

/** How often and how patiently watched certificate files are re-read; see `watchCertificateFiles` in `bastion-temporal/certs`. */
export interface WatchCertificateFilesConfig {
  /** @default DEFAULT_WATCH_POLL_INTERVAL_MS (10 s) */
  pollIntervalMs?: number;
  /** @default DEFAULT_WATCH_SETTLE_MS (100 ms) */
  settleMs?: number;
}

/** Options of {@link loadClientConnectConfig}. */
export interface LoadClientConnectConfigOptions {
  /** @default `TEMPORAL_PROFILE`, else `'default'` */
  profile?: string;
  /** @default `TEMPORAL_CONFIG_FILE`, else {@link defaultConfigFilePath} */
  configFile?: string;
  /** The environment to read `TEMPORAL_*` variables from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Wins over the file and the environment; `metadata` is merged header by header. */
  overrides?: ConnectionOptions & { namespace?: string };
  /**
   * Follow the client certificate and key files: when both come as paths (`client_cert_path`
   * and `client_key_path`, or `TEMPORAL_TLS_CLIENT_CERT_PATH` and `_KEY_PATH`),
   * `tls.clientCertPair` is a `CertificateWatcher` that the connection rotates to whenever
   * the files are replaced. Nothing is watched without a client certificate or when
   * `overrides.tls` is given; PEM data (`_data`, `_DATA`) is an error, as there is no file.
   * @default false
   */
  watchCertificateFiles?: boolean | WatchCertificateFilesConfig;
}

/** What {@link loadClientConnectConfig} returns. */
export interface ClientConnectConfig {
  /** Pass to `Connection.connect`. */
  connectionOptions: ConnectionOptions;
  namespace: string;
  /** The profile that was selected (it need not exist in the file). */
  profile: string;
  /** The file that was read; absent when none was. */
  configFile?: string;
  /** Present when the profile or environment names a codec server. */
  codec?: CodecConfig;
  /**
   * Where each setting came from, keyed by connection option (`address`, `namespace`,
   * `apiKey`, `metadata`, `tls`, `tls.clientCertPair.crt`, `tls.clientCertPair.key`,
   * `tls.serverRootCACertificate`, `tls.serverNameOverride`), worded for a message:
   * `` `TEMPORAL_ADDRESS` `` or `` `tls.client_cert_path` in profile "prod" of /home/u/.config/temporalio/temporal.toml ``.
   * Settings left at their defaults are absent. Never holds a value.
   */
  sources: Readonly<Record<string, string>>;
  /** The watcher in `connectionOptions.tls.clientCertPair` with `watchCertificateFiles`; `close()` it when done. */
  certificateWatcher?: CertificateWatcher;
}

/**
 * @internal The command line's connection flags: one more layer, over the environment,
 * applied item by item before the result is checked (as the Temporal CLI applies its flags
 * to the profile). Only the CLI uses it.
 */
export interface ConnectionFlags {
  profile?: string;
  configFile?: string;
  address?: string;
  namespace?: string;
  apiKey?: string;
  /** `true`: TLS on; `false`: plaintext, whatever the file and environment say. */
  tls?: boolean;
  clientCertPath?: string;
  clientKeyPath?: string;
  serverCaCertPath?: string;
  serverName?: string;
}

/** @internal How messages name each of {@link ConnectionFlags} (`--tls-ca-path`). */
export type ConnectionFlagNames = Readonly<Record<keyof ConnectionFlags, string>>;

function envBool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw invalidOption(name, `must be \`1\`, \`true\`, \`0\` or \`false\`; got ${JSON.stringify(value)}.`);
}

/** The environment's PEM item, trying each name pair in turn (new names, then the CLI's older ones). */
function envPemItem(env: Record<string, string | undefined>, ...pairs: [string, string][]): PemItem | undefined {
  for (const [pathName, dataName] of pairs) {
    const item = pemItem(env[pathName] || undefined, env[dataName] || undefined, pathName, dataName, ' in the environment', (isPath) =>
      envSource(isPath ? pathName : dataName),
    );
    if (item) return item;
  }
  return undefined;
}

function applyEnv(s: ProfileSettings, env: Record<string, string | undefined>): void {
  const get = (name: string, option?: string): string | undefined => {
    const value = env[name] || undefined;
    if (value !== undefined && option) s.sources[option] = envSource(name);
    return value;
  };
  s.address = get('TEMPORAL_ADDRESS', 'address') ?? s.address;
  s.namespace = get('TEMPORAL_NAMESPACE', 'namespace') ?? s.namespace;
  s.apiKey = get('TEMPORAL_API_KEY', 'apiKey') ?? s.apiKey;
  const cert = envPemItem(env, ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'], ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CERT_DATA']);
  const key = envPemItem(env, ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA'], ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_KEY_DATA']);
  const ca = envPemItem(env, ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'], ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CA_DATA']);
  const serverName = get('TEMPORAL_TLS_SERVER_NAME', SERVER_NAME);
  const disableHostVerification = envBool(env, 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION');
  s.clientCert = cert ?? s.clientCert;
  s.clientKey = key ?? s.clientKey;
  s.serverCa = ca ?? s.serverCa;
  s.serverName = serverName ?? s.serverName;
  s.disableHostVerification = disableHostVerification ?? s.disableHostVerification;
  const firstTlsVar = (cert ?? key ?? ca)?.source ?? (serverName !== undefined ? envSource('TEMPORAL_TLS_SERVER_NAME') : undefined);
  if (firstTlsVar && s.tlsEnabled === undefined) {
    s.tlsEnabled = true;
    s.sources.tls = firstTlsVar;
  }
  const tlsVar = envBool(env, 'TEMPORAL_TLS');
  if (tlsVar !== undefined) {
    s.tlsEnabled = tlsVar;
    s.sources.tls = envSource('TEMPORAL_TLS');
  }
  s.codec.endpoint = get('TEMPORAL_CODEC_ENDPOINT') ?? s.codec.endpoint;
  s.codec.auth = get('TEMPORAL_CODEC_AUTH') ?? s.codec.auth;
  const prefix = 'TEMPORAL_GRPC_META_';
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || name.length === prefix.length || value === undefined) continue;
    const header = headerName(name.slice(prefix.length));
    if (value === '') delete s.metadata[header];
    else s.metadata[header] = value;
    s.sources.metadata = envSource(name);
  }
}

/** The CLI's flags over the environment, item by item; any TLS flag turns TLS on unless `--tls=false`. */
function applyFlags(s: ProfileSettings, flags: ConnectionFlags, names: ConnectionFlagNames): void {
  const flag = (key: keyof ConnectionFlags, text = names[key]): Source => ({ layer: 'flag', name: text, text: `\`${text}\`` });
  if (flags.address !== undefined) [s.address, s.sources.address] = [flags.address, flag('address')];
  if (flags.namespace !== undefined) [s.namespace, s.sources.namespace] = [flags.namespace, flag('namespace')];
  if (flags.apiKey !== undefined) [s.apiKey, s.sources.apiKey] = [flags.apiKey, flag('apiKey')];
  if (flags.clientCertPath !== undefined) s.clientCert = { path: flags.clientCertPath, source: flag('clientCertPath') };
  if (flags.clientKeyPath !== undefined) s.clientKey = { path: flags.clientKeyPath, source: flag('clientKeyPath') };
  if (flags.serverCaCertPath !== undefined) s.serverCa = { path: flags.serverCaCertPath, source: flag('serverCaCertPath') };
  if (flags.serverName !== undefined) [s.serverName, s.sources[SERVER_NAME]] = [flags.serverName, flag('serverName')];
  const firstTlsFlag = (['clientCertPath', 'clientKeyPath', 'serverCaCertPath', 'serverName'] as const).find((k) => flags[k] !== undefined);
  if (flags.tls !== undefined) {
    s.tlsEnabled = flags.tls;
    s.sources.tls = flag('tls', flags.tls ? names.tls : `${names.tls}=false`);
  } else if (firstTlsFlag) {
    s.tlsEnabled = true;
    s.sources.tls = flag(firstTlsFlag);
  }
}

function pemSource(item: PemItem | undefined): PemSource | undefined {
  if (!item) return undefined;
  // Paths go through as-is: Connection reads PEM files itself and names them in its errors.
  return item.path ?? Buffer.from(item.data!, 'utf8');
}

/** A client certificate without its key (or the reverse), named in the layer that set it. */
function halfPairError(given: PemItem, givenIsCert: boolean, names: ConnectionFlagNames | undefined): InstanceType<typeof ConfigError> {
  const [has, lacks] = givenIsCert ? ['certificate', 'key'] : ['key', 'certificate'];
  const fix = `A client certificate and its private key go together: set both.`;
  const { layer, name, where } = given.source;
  if (layer === 'file') {
    const missing = givenIsCert ? 'client_key' : 'client_cert';
    return new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `In ${where}, \`${name}\` sets the client ${has} but \`tls.${missing}_path\` (or \`${missing}_data\`) is not set. ${fix}`,
    );
  }
  const missing =
    layer === 'flag' && names ? names[givenIsCert ? 'clientKeyPath' : 'clientCertPath'] : `TEMPORAL_TLS_CLIENT_${givenIsCert ? 'KEY' : 'CERT'}_PATH`;
  return new ConfigError(
    'ERR_CONFLICTING_OPTIONS',
    `\`${name}\` and \`${missing}\` must be given together; \`${missing}\` is missing, and no client ${lacks} is set anywhere else. ${fix}`,
  );
}

function tlsOption(s: ProfileSettings, profile: string, names: ConnectionFlagNames | undefined): ConnectionOptions['tls'] {
  const tlsOn = s.tlsEnabled ?? (s.apiKey !== undefined ? true : undefined);
  if (tlsOn === undefined) return undefined;
  if (!tlsOn) return false;
  if (s.disableHostVerification === true) {
    throw invalidOption(
      `profile.${profile}.tls.disable_host_verification`,
      "(or `TEMPORAL_TLS_DISABLE_HOST_VERIFICATION`) is `true`, but Bastion does not turn off host verification. Set `server_name` (`TEMPORAL_TLS_SERVER_NAME`) to a name in the server's certificate instead.",
    );
  }
  const tls: TlsConfig = {};
  const ca = pemSource(s.serverCa);
  if (ca !== undefined) tls.serverRootCACertificate = ca;
  if (s.serverName !== undefined) tls.serverNameOverride = s.serverName;
  const crt = pemSource(s.clientCert);
  const key = pemSource(s.clientKey);
  if (s.clientCert && !s.clientKey) throw halfPairError(s.clientCert, true, names);
  if (s.clientKey && !s.clientCert) throw halfPairError(s.clientKey, false, names);
  if (crt !== undefined && key !== undefined) tls.clientCertPair = { crt, key };
  return tls;
}

/** The `watchCertificateFiles` option, checked; `undefined` when off. */
function watchOption(value: unknown): WatchCertificateFilesConfig | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (!isTable(value)) {
    throw invalidOption(
      'watchCertificateFiles',
      `must be \`true\`, \`false\` or \`{ pollIntervalMs?, settleMs? }\`; got ${value === null ? 'null' : typeof value}.`,
    );
  }
  for (const key of Object.keys(value)) {
    if (key !== 'pollIntervalMs' && key !== 'settleMs')
      throw invalidOption(`watchCertificateFiles.${key}`, 'is not an option. Known: `pollIntervalMs`, `settleMs`.');
  }
  return value as WatchCertificateFilesConfig;
}

function resolve(options: LoadClientConnectConfigOptions, flags: ConnectionFlags, names: ConnectionFlagNames | undefined): ClientConnectConfig {
  const env = options.env ?? process.env;
  const watch = watchOption(options.watchCertificateFiles);
  const profileOption = flags.profile !== undefined ? names!.profile : options.profile !== undefined ? 'profile' : 'TEMPORAL_PROFILE';
  const profile = flags.profile ?? options.profile ?? (env.TEMPORAL_PROFILE || undefined);
  const profileName = profile ?? DEFAULT_PROFILE;
  const fileOption =
    flags.configFile !== undefined
      ? names!.configFile
      : options.configFile !== undefined
        ? 'configFile'
        : env.TEMPORAL_CONFIG_FILE
          ? 'TEMPORAL_CONFIG_FILE'
          : undefined;
  const file = flags.configFile ?? options.configFile ?? (env.TEMPORAL_CONFIG_FILE || defaultConfigFilePath(env));
  const doc = readConfigFile(file, fileOption);

  let settings = doc ? profileFromFile(doc, profileName, file) : undefined;
  if (!settings && profile !== undefined && profile !== DEFAULT_PROFILE) {
    const known = doc && isTable(doc.profile) ? Object.keys(doc.profile) : [];
    const where = doc
      ? `${JSON.stringify(file)}, which has ${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'no profiles'}`
      : `${JSON.stringify(file)}, which does not exist`;
    throw invalidOption(profileOption, `names profile \`${profileName}\`, which is not in ${where}. Use one of those, or add \`[profile.${profileName}]\`.`);
  }
  settings ??= { metadata: {}, codec: {}, sources: {} };
  applyEnv(settings, env);
  if (names) applyFlags(settings, flags, names);
  const sources = settings.sources;

  const connectionOptions: ConnectionOptions = {};
  if (settings.address !== undefined) connectionOptions.address = settings.address;
  if (settings.apiKey !== undefined) connectionOptions.apiKey = settings.apiKey;
  const tls = tlsOption(settings, profileName, names);
  if (tls !== undefined) connectionOptions.tls = tls;
  if (Object.keys(settings.metadata).length > 0) connectionOptions.metadata = settings.metadata;
  else delete sources.metadata;
  if (typeof tls === 'object') {
    for (const [option, item] of [
      [CERT, settings.clientCert],
      [KEY, settings.clientKey],
      [CA, settings.serverCa],
    ] as const) {
      if (item) sources[option] = item.source;
    }
  } else {
    for (const option of [CERT, KEY, CA, SERVER_NAME]) delete sources[option];
    if (tls === undefined) delete sources.tls;
  }

  const { namespace: nsOverride, metadata: metaOverride, ...rest } = options.overrides ?? {};
  const overridden = (option: string): Source => ({ layer: 'override', name: `overrides.${option}`, text: `\`overrides.${option}\`` });
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    (connectionOptions as Record<string, unknown>)[key] = value;
    if (key === 'tls') for (const option of [CERT, KEY, CA, SERVER_NAME]) delete sources[option];
    sources[key] = overridden(key);
  }
  if (metaOverride !== undefined) {
    connectionOptions.metadata = { ...connectionOptions.metadata, ...metaOverride };
    sources.metadata = overridden('metadata');
  }
  if (nsOverride !== undefined) sources.namespace = overridden('namespace');

  const result: ClientConnectConfig = {
    connectionOptions,
    namespace: nsOverride ?? settings.namespace ?? DEFAULT_NAMESPACE,
    profile: profileName,
    sources: Object.fromEntries(Object.entries(sources).map(([option, source]) => [option, source.text])),
  };
  if (doc) result.configFile = file;
  if (settings.codec.endpoint !== undefined || settings.codec.auth !== undefined) {
    result.codec = {};
    if (settings.codec.endpoint !== undefined) result.codec.endpoint = settings.codec.endpoint;
    if (settings.codec.auth !== undefined) result.codec.auth = settings.codec.auth;
  }
  // Last, so that no watcher is left running when something above throws.
  if (watch && typeof connectionOptions.tls === 'object' && rest.tls === undefined && settings.clientCert && settings.clientKey) {
    const inline = [settings.clientCert, settings.clientKey].find((item) => item.path === undefined);
    if (inline) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        `\`watchCertificateFiles\` is on, but ${inline.source.text} gives the client ${inline === settings.clientCert ? 'certificate' : 'key'} as PEM data, so there is no file to watch. Give the certificate and key as file paths (\`client_cert_path\` and \`client_key_path\`, or \`TEMPORAL_TLS_CLIENT_CERT_PATH\` and \`TEMPORAL_TLS_CLIENT_KEY_PATH\`), or turn \`watchCertificateFiles\` off.`,
      );
    }
    const watcher = watchCertificateFiles({ crt: settings.clientCert.path!, key: settings.clientKey.path!, ...watch });
    connectionOptions.tls.clientCertPair = watcher;
    result.certificateWatcher = watcher;
  }
  return withConfigView(result);
}

/** A PEM input as a view: the path when it is one, else `[PEM, N characters]` (a certificate) or `[redacted]` (a key). */
function pemView(value: unknown, secret: boolean): unknown {
  if (typeof value === 'string' && !value.includes('-----BEGIN')) return value;
  if (value === undefined) return undefined;
  return secret
    ? REDACTED
    : `[PEM, ${typeof value === 'string' || Buffer.isBuffer(value) ? value.length : 0} ${Buffer.isBuffer(value) ? 'bytes' : 'characters'}]`;
}

/**
 * Gives the loaded configuration (and the `connectionOptions`, client pair and codec
 * settings in it) redacted views: `console.log` and `JSON.stringify` show paths, sources
 * and `[redacted]` for the API key, the client key given as data and the codec `auth`,
 * while the values themselves stay readable as properties.
 */
function withConfigView(config: ClientConnectConfig): ClientConnectConfig {
  const options = config.connectionOptions;
  const tls = options.tls;
  if (typeof tls === 'object' && tls.clientCertPair && !isCertificateSource(tls.clientCertPair)) {
    defineRedactedView(tls.clientCertPair, 'ClientCertPair', (p) => ({ crt: pemView(p.crt, false), key: pemView(p.key, true) }));
  }
  if (typeof tls === 'object') defineRedactedView(tls, 'TlsConfig', (t) => ({ ...t, serverRootCACertificate: pemView(t.serverRootCACertificate, false) }));
  defineRedactedView(options, 'ConnectionOptions', (o) => ({ ...o, apiKey: redactedIfSet(o.apiKey) }));
  if (config.codec) defineRedactedView(config.codec, 'CodecConfig', (c) => ({ ...c, auth: redactedIfSet(c.auth) }));
  return defineRedactedView(config, 'ClientConnectConfig', (c) => ({ ...c }));
}

/**
 * Loads connection settings the way `@temporalio/envconfig` and the Temporal CLI do:
 * a profile of `temporal.toml`, then `TEMPORAL_*` variables, then `overrides`.
 *
 * ```ts
 * const { connectionOptions, namespace, certificateWatcher } = loadClientConnectConfig({ watchCertificateFiles: true });
 * const connection = await Connection.connect(connectionOptions);
 * // … later: await connection.close(); certificateWatcher?.close();
 * ```
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` for an unreadable or malformed file, a named
 *   profile the file lacks, or a value of the wrong form; `ERR_CONFLICTING_OPTIONS` when a
 *   path and data are both given for one PEM item, a client certificate lacks its key, or
 *   `watchCertificateFiles` is on for a pair given as PEM data
 * @throws {CertsError} `ERR_CERTS_WATCH` with `watchCertificateFiles` when the files cannot be
 *   read now or do not hold a usable client pair; `ERR_CERTS_INVALID_OPTION` for a bad interval
 */
export function loadClientConnectConfig(options: LoadClientConnectConfigOptions = {}): ClientConnectConfig {
  return resolve(options, {}, undefined);
}

/**
 * @internal {@link loadClientConnectConfig} with the command line's flags as the top layer,
 * applied item by item before the result is checked; messages name the flags by `names`.
 * @throws {ConfigError} as {@link loadClientConnectConfig}
 */
export function loadClientConnectConfigWithFlags(
  options: LoadClientConnectConfigOptions,
  flags: ConnectionFlags,
  names: ConnectionFlagNames,
): ClientConnectConfig {
  return resolve(options, flags, names);
}
