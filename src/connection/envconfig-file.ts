/**
 * Reading `temporal.toml`: where it is, its profiles, and each setting with where it came
 * from. The layers above the file (variables, flags, overrides) are in `envconfig.ts`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError, invalidOption } from '../common/errors';
import type { CodecConfig } from './envconfig';

/** Where one setting came from: its layer, its bare name, and how a message names it. */
export interface Source {
  layer: 'file' | 'env' | 'flag' | 'override';
  /** `tls.client_cert_path`, `TEMPORAL_ADDRESS`, `--address`. */
  name: string;
  /** The name in backticks, with the profile and file for a file setting. */
  text: string;
  /** For a file setting: `profile "prod" of /path/temporal.toml`. */
  where?: string;
}

/** One PEM item: given as a path or as inline data, never both. */
export interface PemItem {
  path?: string;
  data?: string;
  source: Source;
}

/** A profile after reading the file, then each layer above it. */
export interface ProfileSettings {
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

export const PROFILE_KEYS = ['address', 'namespace', 'api_key', 'grpc_meta', 'tls', 'codec'];
export const TLS_KEYS = [
  'disabled',
  'client_cert_path',
  'client_cert_data',
  'client_key_path',
  'client_key_data',
  'server_ca_cert_path',
  'server_ca_cert_data',
  'server_name',
  'disable_host_verification',
];
export const CODEC_KEYS = ['endpoint', 'auth'];
export const CERT = 'tls.clientCertPair.crt';
export const KEY = 'tls.clientCertPair.key';
export const CA = 'tls.serverRootCACertificate';
export const SERVER_NAME = 'tls.serverNameOverride';

export function envSource(name: string): Source {
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
export function readConfigFile(file: string, explicitOption: string | undefined): Record<string, unknown> | undefined {
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
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `The config file ${JSON.stringify(file)} is not valid TOML: line ${err.line}, column ${err.column}: ${reason}. Fix the file (see docs/environment-configuration.md).`,
    );
  }
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function checkKeys(table: Record<string, unknown>, where: string, known: string[], file: string): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key))
      throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} is not a known setting. Known: ${known.map((k) => `\`${k}\``).join(', ')}.`);
  }
}

export function stringAt(table: Record<string, unknown>, key: string, where: string, file: string): string | undefined {
  const value = table[key];
  if (value === undefined || typeof value === 'string') return value;
  throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} must be a string; got ${typeof value}.`);
}

export function boolAt(table: Record<string, unknown>, key: string, where: string, file: string): boolean | undefined {
  const value = table[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidOption(`${where}.${key}`, `in ${JSON.stringify(file)} must be \`true\` or \`false\`; got ${typeof value}.`);
}

/** `x-Custom_Header` → `x-custom-header`, as the official SDK normalises `grpc_meta` names. */
export function headerName(raw: string): string {
  return raw.toLowerCase().replace(/_/g, '-');
}

export function pemItem(
  pathValue: string | undefined,
  dataValue: string | undefined,
  pathName: string,
  dataName: string,
  where: string,
  source: (isPath: boolean) => Source,
): PemItem | undefined {
  if (pathValue !== undefined && dataValue !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${pathName}\` and \`${dataName}\` are both set${where}. Set only one: a file path or the PEM data.`);
  }
  if (pathValue === undefined && dataValue === undefined) return undefined;
  return { path: pathValue, data: dataValue, source: source(pathValue !== undefined) };
}

export function profileFromFile(doc: Record<string, unknown>, name: string, file: string): ProfileSettings | undefined {
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
      pemItem(stringAt(tls, `${stem}_path`, tw, file), stringAt(tls, `${stem}_data`, tw, file), `${tw}.${stem}_path`, `${stem}_data`, inFile, (isPath) =>
        at(`tls.${stem}_${isPath ? 'path' : 'data'}`),
      );
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
