/**
 * Environment configuration, as in `@temporalio/envconfig` and the Temporal CLI: a profile
 * from `temporal.toml`, overridden by `TEMPORAL_*` variables, overridden by explicit
 * options, turned into {@link ConnectionOptions}. Values that may be secrets (API keys,
 * PEM data, codec auth) never appear in an error message. The CLI's connection flags are
 * one more layer over the variables ({@link loadClientConnectConfigWithFlags}), so there is
 * one reader of the file and the variables.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { watchCertificateFiles, type CertificateWatcher } from '../../certs/certificate-watcher';
import { ConfigError, invalidOption } from '../common/errors';
import type { ConnectionOptions } from './connection-options';
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

/** How often and how patiently watched certificate files are re-read; see `watchCertificateFiles` in `bastion/certs`. */
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

/** Where one setting came from: its layer, its bare name, and how a message names it. */
interface Source {
  layer: 'file' | 'env' | 'flag' | 'override';
  /** `tls.client_cert_path`, `TEMPORAL_ADDRESS`, `--address`. */
  name: string;
  /** The name in backticks, with the profile and file for a file setting. */
  text: string;
  /** For a file setting: `profile "prod" of /path/temporal.toml`. */
  where?: string;
}

/** One PEM item: given as a path or as inline data, never both. */
interface PemItem {
  path?: string;
  data?: string;
  source: Source;
}

/** A profile after reading the file, then each layer above it. */
interface ProfileSettings {
  address?: string;
  namespace?: string;
  apiKey?: string;
  metadata: Record<string, string>;
  /** `undefined`: TLS not mentioned; `true`/`false`: asked for, or disabled. */
  tlsEnabled?: boolean;
  clientCert?: PemItem;
  clientKey?: PemItem;
  serverCa?: PemItem;
  serverName?: string;
  disableHostVerification?: boolean;
  codec: CodecConfig;
  /** Keyed by connection option, as {@link ClientConnectConfig.sources}. */
  sources: Record<string, Source>;
}

const PROFILE_KEYS = ['address', 'namespace', 'api_key', 'grpc_meta', 'tls', 'codec'];
const TLS_KEYS = [
  'disabled', 'client_cert_path', 'client_cert_data', 'client_key_path', 'client_key_data',
  'server_ca_cert_path', 'server_ca_cert_data', 'server_name', 'disable_host_verification',
];
const CODEC_KEYS = ['endpoint', 'auth'];
const CERT = 'tls.clientCertPair.crt';
const KEY = 'tls.clientCertPair.key';
const CA = 'tls.serverRootCACertificate';
const SERVER_NAME = 'tls.serverNameOverride';

function envSource(name: string): Source {
  return { layer: 'env', name, text: `\`${name}\`` };
}

/**
 * Where `temporal.toml` is looked for when neither `configFile` nor `TEMPORAL_CONFIG_FILE`
 * names it: `$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on
 * macOS, `%APPDATA%` on Windows, then `temporalio/temporal.toml`.
 */
export function defaultConfigFilePath(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(env.USERPROFILE || os.homedir(), 'AppData', 'Roaming');
    return path.win32.join(appData, 'temporalio', 'temporal.toml');
  }
  const home = env.HOME || os.homedir();
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'temporalio', 'temporal.toml');
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.posix.join(home, '.config');
  return path.posix.join(xdg, 'temporalio', 'temporal.toml');
}

/** Reads and parses the file; `undefined` when an implicit (default-location) file is missing. */
function readConfigFile(file: string, explicitOption: string | undefined): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    if (code === 'ENOENT' && explicitOption === undefined) return undefined;
    const named = explicitOption ? `\`${explicitOption}\` names ${JSON.stringify(file)}, which` : `The config file ${JSON.stringify(file)}`;
    throw new ConfigError('ERR_INVALID_OPTION', `${named} could not be read (${code}). Check the path, or unset it to use the default location.`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // Only the first line: smol-toml appends the offending source line, which may hold a secret.
    const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    throw new ConfigError('ERR_INVALID_OPTION', `The config file ${JSON.stringify(file)} is not valid TOML: line ${err.line}, column ${err.column}: ${reason}. Fix the file (see docs/environment-configuration.md).`);
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function checkKeys(table: Record<string, unknown>, where: string, known: string[], file: string): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} is not a known setting. Known: ${known.map((k) => `\`${k}\``).join(', ')}.`);
  }
}

function stringAt(table: Record<string, unknown>, key: string, where: string, file: string): string | undefined {
  const value = table[key];
  if (value === undefined || typeof value === 'string') return value;
  throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} must be a string; got ${typeof value}.`);
}

function boolAt(table: Record<string, unknown>, key: string, where: string, file: string): boolean | undefined {
  const value = table[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} must be \`true\` or \`false\`; got ${typeof value}.`);
}

/** `x-Custom_Header` → `x-custom-header`, as the official SDK normalises `grpc_meta` names. */
function headerName(raw: string): string {
  return raw.toLowerCase().replace(/_/g, '-');
}

function pemItem(pathValue: string | undefined, dataValue: string | undefined, pathName: string, dataName: string, where: string, source: (isPath: boolean) => Source): PemItem | undefined {
  if (pathValue !== undefined && dataValue !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${pathName}\` and \`${dataName}\` are both set${where}. Set only one: a file path or the PEM data.`);
  }
  if (pathValue === undefined && dataValue === undefined) return undefined;
  return { path: pathValue, data: dataValue, source: source(pathValue !== undefined) };
}

function profileFromFile(doc: Record<string, unknown>, name: string, file: string): ProfileSettings | undefined {
  const profiles = doc.profile;
  if (profiles === undefined) return undefined;
  if (!isTable(profiles)) throw invalidOption('profile', `in ${JSON.stringify(file)} must be a table of profiles (\`[profile.NAME]\`).`);
  const raw = profiles[name];
  if (raw === undefined) return undefined;
  const where = `profile.${name}`;
  if (!isTable(raw)) throw invalidOption(where, `in ${JSON.stringify(file)} must be a table (\`[${where}]\`).`);
  checkKeys(raw, where, PROFILE_KEYS, file);
  const inProfile = `profile ${JSON.stringify(name)} of ${file}`;
  const at = (key: string): Source => ({ layer: 'file', name: key, text: `\`${key}\` in ${inProfile}`, where: inProfile });
  const settings: ProfileSettings = {
    address: stringAt(raw, 'address', where, file),
    namespace: stringAt(raw, 'namespace', where, file),
    apiKey: stringAt(raw, 'api_key', where, file),
    metadata: {},
    codec: {},
    sources: {},
  };
  if (settings.address !== undefined) settings.sources.address = at('address');
  if (settings.namespace !== undefined) settings.sources.namespace = at('namespace');
  if (settings.apiKey !== undefined) settings.sources.apiKey = at('api_key');
  if (raw.grpc_meta !== undefined) {
    if (!isTable(raw.grpc_meta)) throw invalidOption(`${where}.grpc_meta`, `in ${JSON.stringify(file)} must be a table of header names to strings.`);
    for (const key of Object.keys(raw.grpc_meta)) {
      const value = stringAt(raw.grpc_meta, key, `${where}.grpc_meta`, file)!;
      settings.metadata[headerName(key)] = value;
      settings.sources.metadata = at('grpc_meta');
    }
  }
  if (raw.tls !== undefined) {
    const tw = `${where}.tls`;
    if (!isTable(raw.tls)) throw invalidOption(tw, `in ${JSON.stringify(file)} must be a table (\`[${tw}]\`).`);
    const tls = raw.tls;
    checkKeys(tls, tw, TLS_KEYS, file);
    const inFile = ` in ${JSON.stringify(file)}`;
    const disabled = boolAt(tls, 'disabled', tw, file) === true;
    settings.tlsEnabled = !disabled;
    settings.sources.tls = at(disabled ? 'tls.disabled' : 'tls');
    const item = (stem: string): PemItem | undefined =>
      pemItem(stringAt(tls, `${stem}_path`, tw, file), stringAt(tls, `${stem}_data`, tw, file), `${tw}.${stem}_path`, `${stem}_data`, inFile, (isPath) => at(`tls.${stem}_${isPath ? 'path' : 'data'}`));
    settings.clientCert = item('client_cert');
    settings.clientKey = item('client_key');
    settings.serverCa = item('server_ca_cert');
    settings.serverName = stringAt(tls, 'server_name', tw, file);
    if (settings.serverName !== undefined) settings.sources[SERVER_NAME] = at('tls.server_name');
    settings.disableHostVerification = boolAt(tls, 'disable_host_verification', tw, file);
  }
  if (raw.codec !== undefined) {
    const cw = `${where}.codec`;
    if (!isTable(raw.codec)) throw invalidOption(cw, `in ${JSON.stringify(file)} must be a table (\`[${cw}]\`).`);
    checkKeys(raw.codec, cw, CODEC_KEYS, file);
    settings.codec = { endpoint: stringAt(raw.codec, 'endpoint', cw, file), auth: stringAt(raw.codec, 'auth', cw, file) };
  }
  return settings;
}

/** `1`/`true` → true, `0`/`false` → false (any case); anything else is an error, never a guess. */
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
    const item = pemItem(env[pathName] || undefined, env[dataName] || undefined, pathName, dataName, ' in the environment', (isPath) => envSource(isPath ? pathName : dataName));
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
    return new ConfigError('ERR_CONFLICTING_OPTIONS', `In ${where}, \`${name}\` sets the client ${has} but \`tls.${missing}_path\` (or \`${missing}_data\`) is not set. ${fix}`);
  }
  const missing = layer === 'flag' && names ? names[givenIsCert ? 'clientKeyPath' : 'clientCertPath'] : `TEMPORAL_TLS_CLIENT_${givenIsCert ? 'KEY' : 'CERT'}_PATH`;
  return new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${name}\` and \`${missing}\` must be given together; \`${missing}\` is missing, and no client ${lacks} is set anywhere else. ${fix}`);
}

function tlsOption(s: ProfileSettings, profile: string, names: ConnectionFlagNames | undefined): ConnectionOptions['tls'] {
  const tlsOn = s.tlsEnabled ?? (s.apiKey !== undefined ? true : undefined);
  if (tlsOn === undefined) return undefined;
  if (!tlsOn) return false;
  if (s.disableHostVerification === true) {
    throw invalidOption(
      `profile.${profile}.tls.disable_host_verification`,
      '(or `TEMPORAL_TLS_DISABLE_HOST_VERIFICATION`) is `true`, but Bastion does not turn off host verification. Set `server_name` (`TEMPORAL_TLS_SERVER_NAME`) to a name in the server\'s certificate instead.',
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
    throw invalidOption('watchCertificateFiles', `must be \`true\`, \`false\` or \`{ pollIntervalMs?, settleMs? }\`; got ${value === null ? 'null' : typeof value}.`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'pollIntervalMs' && key !== 'settleMs') throw invalidOption(`watchCertificateFiles.${key}`, 'is not an option. Known: `pollIntervalMs`, `settleMs`.');
  }
  return value as WatchCertificateFilesConfig;
}

function resolve(options: LoadClientConnectConfigOptions, flags: ConnectionFlags, names: ConnectionFlagNames | undefined): ClientConnectConfig {
  const env = options.env ?? process.env;
  const watch = watchOption(options.watchCertificateFiles);
  const profileOption = flags.profile !== undefined ? names!.profile : options.profile !== undefined ? 'profile' : 'TEMPORAL_PROFILE';
  const profile = flags.profile ?? options.profile ?? (env.TEMPORAL_PROFILE || undefined);
  const profileName = profile ?? DEFAULT_PROFILE;
  const fileOption = flags.configFile !== undefined ? names!.configFile : options.configFile !== undefined ? 'configFile' : env.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : undefined;
  const file = flags.configFile ?? options.configFile ?? (env.TEMPORAL_CONFIG_FILE || defaultConfigFilePath(env));
  const doc = readConfigFile(file, fileOption);

  let settings = doc ? profileFromFile(doc, profileName, file) : undefined;
  if (!settings && profile !== undefined && profile !== DEFAULT_PROFILE) {
    const known = doc && isTable(doc.profile) ? Object.keys(doc.profile) : [];
    const where = doc ? `${JSON.stringify(file)}, which has ${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'no profiles'}` : `${JSON.stringify(file)}, which does not exist`;
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
    for (const [option, item] of [[CERT, settings.clientCert], [KEY, settings.clientKey], [CA, settings.serverCa]] as const) {
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
  return result;
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
export function loadClientConnectConfigWithFlags(options: LoadClientConnectConfigOptions, flags: ConnectionFlags, names: ConnectionFlagNames): ClientConnectConfig {
  return resolve(options, flags, names);
}
