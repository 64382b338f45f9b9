/**
 * Environment configuration, as in `@temporalio/envconfig` and the Temporal CLI: a profile
 * from `temporal.toml`, overridden by `TEMPORAL_*` variables, overridden by explicit
 * options, turned into {@link ConnectionOptions}. Values that may be secrets (API keys,
 * PEM data, codec auth) never appear in an error message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
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
}

/** One PEM item: given as a path or as inline data, never both. */
interface PemItem {
  path?: string;
  data?: string;
}

/** A profile after reading the file, before the environment is applied. */
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
}

const PROFILE_KEYS = ['address', 'namespace', 'api_key', 'grpc_meta', 'tls', 'codec'];
const TLS_KEYS = [
  'disabled', 'client_cert_path', 'client_cert_data', 'client_key_path', 'client_key_data',
  'server_ca_cert_path', 'server_ca_cert_data', 'server_name', 'disable_host_verification',
];
const CODEC_KEYS = ['endpoint', 'auth'];

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

function pemItem(pathValue: string | undefined, dataValue: string | undefined, pathName: string, dataName: string, where: string): PemItem | undefined {
  if (pathValue !== undefined && dataValue !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${pathName}\` and \`${dataName}\` are both set${where}. Set only one: a file path or the PEM data.`);
  }
  if (pathValue === undefined && dataValue === undefined) return undefined;
  return { path: pathValue, data: dataValue };
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
  const settings: ProfileSettings = {
    address: stringAt(raw, 'address', where, file),
    namespace: stringAt(raw, 'namespace', where, file),
    apiKey: stringAt(raw, 'api_key', where, file),
    metadata: {},
    codec: {},
  };
  if (raw.grpc_meta !== undefined) {
    if (!isTable(raw.grpc_meta)) throw invalidOption(`${where}.grpc_meta`, `in ${JSON.stringify(file)} must be a table of header names to strings.`);
    for (const key of Object.keys(raw.grpc_meta)) {
      const value = stringAt(raw.grpc_meta, key, `${where}.grpc_meta`, file)!;
      settings.metadata[headerName(key)] = value;
    }
  }
  if (raw.tls !== undefined) {
    const tw = `${where}.tls`;
    if (!isTable(raw.tls)) throw invalidOption(tw, `in ${JSON.stringify(file)} must be a table (\`[${tw}]\`).`);
    const tls = raw.tls;
    checkKeys(tls, tw, TLS_KEYS, file);
    const inFile = ` in ${JSON.stringify(file)}`;
    settings.tlsEnabled = boolAt(tls, 'disabled', tw, file) !== true;
    settings.clientCert = pemItem(stringAt(tls, 'client_cert_path', tw, file), stringAt(tls, 'client_cert_data', tw, file), `${tw}.client_cert_path`, 'client_cert_data', inFile);
    settings.clientKey = pemItem(stringAt(tls, 'client_key_path', tw, file), stringAt(tls, 'client_key_data', tw, file), `${tw}.client_key_path`, 'client_key_data', inFile);
    settings.serverCa = pemItem(stringAt(tls, 'server_ca_cert_path', tw, file), stringAt(tls, 'server_ca_cert_data', tw, file), `${tw}.server_ca_cert_path`, 'server_ca_cert_data', inFile);
    settings.serverName = stringAt(tls, 'server_name', tw, file);
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
    const item = pemItem(env[pathName] || undefined, env[dataName] || undefined, pathName, dataName, ' in the environment');
    if (item) return item;
  }
  return undefined;
}

function applyEnv(s: ProfileSettings, env: Record<string, string | undefined>): void {
  const get = (name: string): string | undefined => env[name] || undefined;
  s.address = get('TEMPORAL_ADDRESS') ?? s.address;
  s.namespace = get('TEMPORAL_NAMESPACE') ?? s.namespace;
  s.apiKey = get('TEMPORAL_API_KEY') ?? s.apiKey;
  const cert = envPemItem(env, ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'], ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CERT_DATA']);
  const key = envPemItem(env, ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA'], ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_KEY_DATA']);
  const ca = envPemItem(env, ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'], ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CA_DATA']);
  const serverName = get('TEMPORAL_TLS_SERVER_NAME');
  const disableHostVerification = envBool(env, 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION');
  s.clientCert = cert ?? s.clientCert;
  s.clientKey = key ?? s.clientKey;
  s.serverCa = ca ?? s.serverCa;
  s.serverName = serverName ?? s.serverName;
  s.disableHostVerification = disableHostVerification ?? s.disableHostVerification;
  const anyTlsVar = cert ?? key ?? ca ?? serverName ?? disableHostVerification;
  if (anyTlsVar !== undefined && s.tlsEnabled === undefined) s.tlsEnabled = true;
  s.tlsEnabled = envBool(env, 'TEMPORAL_TLS') ?? s.tlsEnabled;
  s.codec.endpoint = get('TEMPORAL_CODEC_ENDPOINT') ?? s.codec.endpoint;
  s.codec.auth = get('TEMPORAL_CODEC_AUTH') ?? s.codec.auth;
  const prefix = 'TEMPORAL_GRPC_META_';
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || name.length === prefix.length || value === undefined) continue;
    const header = headerName(name.slice(prefix.length));
    if (value === '') delete s.metadata[header];
    else s.metadata[header] = value;
  }
}

function pemSource(item: PemItem | undefined): PemSource | undefined {
  if (!item) return undefined;
  // Paths go through as-is: Connection reads PEM files itself and names them in its errors.
  return item.path ?? Buffer.from(item.data!, 'utf8');
}

function tlsOption(s: ProfileSettings, profile: string): ConnectionOptions['tls'] {
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
  if ((crt === undefined) !== (key === undefined)) {
    const [given, missing] = crt !== undefined ? ['client_cert', 'client_key'] : ['client_key', 'client_cert'];
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`profile.${profile}.tls.${given}_path|_data\` is set but \`${missing}_path|_data\` is not (or the \`TEMPORAL_TLS_${missing.toUpperCase()}_*\` variable). A client certificate and its key go together: set both.`,
    );
  }
  if (crt !== undefined && key !== undefined) tls.clientCertPair = { crt, key };
  return tls;
}

/**
 * Loads connection settings the way `@temporalio/envconfig` and the Temporal CLI do:
 * a profile of `temporal.toml`, then `TEMPORAL_*` variables, then `overrides`.
 *
 * ```ts
 * const { connectionOptions, namespace } = loadClientConnectConfig();
 * const connection = await Connection.connect(connectionOptions);
 * ```
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` for an unreadable or malformed file, a named
 *   profile the file lacks, or a value of the wrong form; `ERR_CONFLICTING_OPTIONS` when a
 *   path and data are both given for one PEM item, or a client certificate lacks its key
 */
export function loadClientConnectConfig(options: LoadClientConnectConfigOptions = {}): ClientConnectConfig {
  const env = options.env ?? process.env;
  const profile = options.profile ?? (env.TEMPORAL_PROFILE || undefined);
  const profileName = profile ?? DEFAULT_PROFILE;
  const explicitOption = options.configFile !== undefined ? 'configFile' : env.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : undefined;
  const file = options.configFile ?? (env.TEMPORAL_CONFIG_FILE || defaultConfigFilePath(env));
  const doc = readConfigFile(file, explicitOption);

  let settings = doc ? profileFromFile(doc, profileName, file) : undefined;
  if (!settings && profile !== undefined && profile !== DEFAULT_PROFILE) {
    const known = doc && isTable(doc.profile) ? Object.keys(doc.profile) : [];
    const source = options.profile !== undefined ? '`profile`' : '`TEMPORAL_PROFILE`';
    const where = doc ? `${JSON.stringify(file)}, which has ${known.length ? known.map((k) => `\`${k}\``).join(', ') : 'no profiles'}` : `${JSON.stringify(file)}, which does not exist`;
    throw invalidOption(source === '`profile`' ? 'profile' : 'TEMPORAL_PROFILE', `names profile \`${profileName}\`, which is not in ${where}. Use one of those, or add \`[profile.${profileName}]\`.`);
  }
  settings ??= { metadata: {}, codec: {} };
  applyEnv(settings, env);

  const connectionOptions: ConnectionOptions = {};
  if (settings.address !== undefined) connectionOptions.address = settings.address;
  if (settings.apiKey !== undefined) connectionOptions.apiKey = settings.apiKey;
  const tls = tlsOption(settings, profileName);
  if (tls !== undefined) connectionOptions.tls = tls;
  if (Object.keys(settings.metadata).length > 0) connectionOptions.metadata = settings.metadata;

  const { namespace: nsOverride, metadata: metaOverride, ...rest } = options.overrides ?? {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (connectionOptions as Record<string, unknown>)[key] = value;
  }
  if (metaOverride !== undefined) connectionOptions.metadata = { ...connectionOptions.metadata, ...metaOverride };

  const result: ClientConnectConfig = { connectionOptions, namespace: nsOverride ?? settings.namespace ?? DEFAULT_NAMESPACE, profile: profileName };
  if (doc) result.configFile = file;
  if (settings.codec.endpoint !== undefined || settings.codec.auth !== undefined) {
    result.codec = {};
    if (settings.codec.endpoint !== undefined) result.codec.endpoint = settings.codec.endpoint;
    if (settings.codec.auth !== undefined) result.codec.auth = settings.codec.auth;
  }
  return result;
}
