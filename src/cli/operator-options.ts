/**
 * What every operator command shares: the Temporal CLI's connection flags over Temporal's
 * environment configuration (`temporal.toml` profiles and `TEMPORAL_*` variables, read by
 * `loadClientConnectConfig`; flags win over variables, variables over the file), the
 * connection, and the translation of server answers into messages a person can act on.
 */
import * as grpc from '@grpc/grpc-js';
import { BastionError, CliError } from '../common/errors';
import { google } from '../common/proto';
import { Connection } from '../connection/connection';
import { DEFAULT_ADDRESS, type ConnectionOptions } from '../connection/connection-options';
import { DEFAULT_NAMESPACE, loadClientConnectConfigWithFlags, type ConnectionFlagNames, type ConnectionFlags } from '../connection/envconfig';
import type { FlagSpec, Flags } from './args';

export { DEFAULT_NAMESPACE };

/** `--output` values, as the Temporal CLI's: `text` for people, `json`/`jsonl` for programs, `none` for nothing. */
export type OutputFormat = 'text' | 'json' | 'jsonl' | 'none';

const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'jsonl', 'none'];

/** Flags every operator command takes, as the Temporal CLI names them. */
export const CONNECTION_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  address: { value: true },
  namespace: { value: true, alias: 'n' },
  'api-key': { value: true },
  tls: {},
  'tls-cert-path': { value: true },
  'tls-key-path': { value: true },
  'tls-ca-path': { value: true },
  'tls-server-name': { value: true },
  profile: { value: true },
  'config-file': { value: true },
  output: { value: true, alias: 'o' },
  'grpc-meta': { value: true, repeatable: true },
  'codec-endpoint': { value: true },
  'codec-auth': { value: true },
});

/** The help text for {@link CONNECTION_FLAGS}. */
export const CONNECTION_FLAGS_HELP = `Connection flags (every operator command):
  --address HOST:PORT     server to call (env TEMPORAL_ADDRESS; default ${DEFAULT_ADDRESS})
  -n, --namespace NS      namespace (env TEMPORAL_NAMESPACE; default ${DEFAULT_NAMESPACE})
  --api-key KEY           sent as "authorization: Bearer KEY"; turns TLS on unless --tls=false
                          (env TEMPORAL_API_KEY)
  --tls                   use TLS with the system's root CAs (env TEMPORAL_TLS=true);
                          --tls=false forces plaintext
  --tls-cert-path FILE    client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)
  --tls-key-path FILE     its private key (env TEMPORAL_TLS_CLIENT_KEY_PATH)
  --tls-ca-path FILE      CA that issued the server's certificate (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)
  --tls-server-name NAME  name to check the server's certificate against (env TEMPORAL_TLS_SERVER_NAME)
  --profile NAME          profile of temporal.toml to use (env TEMPORAL_PROFILE; default "default")
  --config-file FILE      the temporal.toml to read (env TEMPORAL_CONFIG_FILE; default
                          ~/.config/temporalio/temporal.toml or the OS's equivalent)
  --grpc-meta KEY=VALUE   send this gRPC header with every call (repeatable)
  --codec-endpoint URL    decode (and encode) payloads through this remote codec server
                          (POST URL/decode, URL/encode), as the Web UI does (env
                          TEMPORAL_CODEC_ENDPOINT)
  --codec-auth VALUE      the Authorization header sent to the codec server, e.g.
                          "Bearer TOKEN" (env TEMPORAL_CODEC_AUTH)
  -o, --output FORMAT     text (default; also: table), json, jsonl (one JSON document a line) or none
Flags win over TEMPORAL_* variables, and variables over the profile.
`;

/** Resolved settings of an operator command. */
export interface OperatorSettings {
  readonly connection: ConnectionOptions;
  readonly namespace: string;
  readonly output: OutputFormat;
  /** `--codec-endpoint` and `--codec-auth`, when given. */
  readonly codec?: { readonly endpoint: string; readonly auth?: string };
  /**
   * Where each connection option came from, worded for messages and keyed by option
   * (`tls.serverRootCACertificate`): `` `--tls-ca-path` ``, `` `TEMPORAL_TLS_SERVER_CA_CERT_PATH` ``
   * or `` `tls.server_ca_cert_path` in profile "prod" of /home/u/.config/temporalio/temporal.toml ``.
   */
  readonly sources: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Each setting of the environment configuration and the flag that gives it. */
const FLAG_NAMES: ConnectionFlagNames = Object.freeze({
  profile: '--profile',
  configFile: '--config-file',
  address: '--address',
  namespace: '--namespace',
  apiKey: '--api-key',
  tls: '--tls',
  clientCertPath: '--tls-cert-path',
  clientKeyPath: '--tls-key-path',
  serverCaCertPath: '--tls-ca-path',
  serverName: '--tls-server-name',
});

/** The TLS inputs among the flags, by connection option, for `--tls=false` clashes and message fallbacks. */
const TLS_INPUTS = [
  { option: 'tls.clientCertPair.crt', key: 'clientCertPath' },
  { option: 'tls.clientCertPair.key', key: 'clientKeyPath' },
  { option: 'tls.serverRootCACertificate', key: 'serverCaCertPath' },
  { option: 'tls.serverNameOverride', key: 'serverName' },
] as const;

/**
 * Reads the connection flags over the environment configuration (the `temporal.toml`
 * profile chosen by `--profile` or `TEMPORAL_PROFILE`, then `TEMPORAL_*` variables), then
 * the defaults.
 * @throws {CliError} `ERR_CLI_USAGE` for an `--output` other than text or json, an empty
 *   value, or `--tls=false` with a TLS flag
 * @throws {ConfigError} from `loadClientConnectConfig`: an unreadable `--config-file`, a
 *   `--profile` the file lacks, a path and data for one item, a certificate without its key
 */
export function operatorSettings(flags: Flags, env: Env = process.env): OperatorSettings {
  const given: ConnectionFlags = {};
  for (const [key, flag] of Object.entries(FLAG_NAMES) as [keyof ConnectionFlags, string][]) {
    const value = flags[flag.slice(2)];
    if (key === 'tls') {
      if (typeof value === 'boolean') given.tls = value;
      continue;
    }
    if (typeof value !== 'string') continue;
    if (value.trim() === '') throw new CliError('ERR_CLI_USAGE', `Flag \`${flag}\` needs a non-empty value.`);
    given[key] = value;
  }
  // `table` is how the Temporal CLI's docs name its text output: the same here.
  const asked = (flags.output as string | undefined) ?? 'text';
  const output = asked === 'table' ? 'text' : asked;
  if (!OUTPUT_FORMATS.includes(output as OutputFormat))
    throw new CliError('ERR_CLI_USAGE', `\`--output\` must be text (or table), json, jsonl or none, got "${output}".`);
  if (given.tls === false) {
    // `--tls=false` drops TLS settings of the profile and variables, but two flags that disagree are a mistake.
    const clash = TLS_INPUTS.filter((i) => given[i.key] !== undefined).map((i) => `\`${FLAG_NAMES[i.key]}\``);
    if (clash.length > 0)
      throw new CliError(
        'ERR_CLI_USAGE',
        `\`--tls=false\` turns TLS off, but ${clash.join(', ')} ${clash.length > 1 ? 'are' : 'is'} TLS input. Drop one of them.`,
      );
  }
  const config = loadClientConnectConfigWithFlags({ env }, given, FLAG_NAMES);
  const metadata = grpcMetadata(flags['grpc-meta'] as string[] | undefined);
  const connection: ConnectionOptions = {
    ...config.connectionOptions,
    address: config.connectionOptions.address ?? DEFAULT_ADDRESS,
    ...(metadata ? { metadata: { ...config.connectionOptions.metadata, ...metadata } } : {}),
  };
  const sources = metadata ? { ...config.sources, metadata: '`--grpc-meta`' } : config.sources;
  const codec = codecSettings(flags, config.codec);
  return { connection, namespace: config.namespace, output: output as OutputFormat, sources, ...(codec ? { codec } : {}) };
}

/** `--grpc-meta KEY=VALUE` flags as connection metadata (the connection checks the names). */
function grpcMetadata(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError('ERR_CLI_USAGE', `\`--grpc-meta\` takes KEY=VALUE, got "${item.slice(0, 40)}". Example: --grpc-meta x-team=payments.`);
    out[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1);
  }
  return out;
}

/** `--codec-endpoint` / `--codec-auth` over the profile's `codec` and TEMPORAL_CODEC_ENDPOINT / TEMPORAL_CODEC_AUTH. */
export function codecSettings(flags: Flags, config: { endpoint?: string; auth?: string } | undefined): OperatorSettings['codec'] {
  const endpoint = (flags['codec-endpoint'] as string | undefined) ?? config?.endpoint;
  const auth = (flags['codec-auth'] as string | undefined) ?? config?.auth;
  if (!endpoint) {
    if (flags['codec-auth'] !== undefined) throw new CliError('ERR_CLI_USAGE', '`--codec-auth` is sent to the codec server; pass `--codec-endpoint URL` too.');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError('ERR_CLI_USAGE', `\`--codec-endpoint\` must be an http:// or https:// URL, got "${endpoint.slice(0, 80)}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('ERR_CLI_USAGE', `\`--codec-endpoint\` must be an http:// or https:// URL, got a ${url.protocol} URL.`);
  return auth ? { endpoint: endpoint.replace(/\/+$/, ''), auth } : { endpoint: endpoint.replace(/\/+$/, '') };
}

/**
 * Connects, runs `fn`, and closes the connection whatever happens. Errors from the
 * connection name the flag, variable or profile setting the user set rather than the
 * library option.
 * @throws {ConfigError} for unreadable or mismatched TLS files
 * @throws {ConnectionError} `ERR_CONNECT_FAILED` naming the address and the TLS state
 */
export async function withConnection<T>(settings: OperatorSettings, fn: (connection: Connection) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect(settings.connection);
  } catch (err) {
    throw withFlagNames(err, settings.sources);
  }
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

const PAIR = 'tls.clientCertPair';

/**
 * Rewrites backticked option names (`tls.serverRootCACertificate`) as what set them: the
 * flag, the variable, or the profile setting; an option nobody set is named by its flag.
 */
function withFlagNames(err: unknown, sources: Readonly<Record<string, string>>): unknown {
  if (!(err instanceof Error)) return err;
  const flag = (name: string): string => `\`${name}\``;
  const label = (option: string): string | undefined => {
    if (option === PAIR) return `${sources[`${PAIR}.crt`] ?? flag(FLAG_NAMES.clientCertPath)} and ${sources[`${PAIR}.key`] ?? flag(FLAG_NAMES.clientKeyPath)}`;
    if (option === 'tls') return flag('--tls');
    if (option === 'tls: false') return flag('--tls=false');
    if (option === 'apiKey') return sources.apiKey ?? flag(FLAG_NAMES.apiKey);
    if (option === 'address') return sources.address ?? flag(FLAG_NAMES.address);
    if (option === 'metadata') return sources.metadata;
    const input = TLS_INPUTS.find((i) => i.option === option);
    return sources[option] ?? (input ? flag(FLAG_NAMES[input.key]) : undefined);
  };
  err.message = err.message
    .replace(/`([\w.]+(?:: false)?)`/g, (m, option: string) => label(option) ?? m)
    .replace(/\b([Ss])et (`--[^`]+`)(?=[.,;]|$)/g, (_m, s: string, flag: string) => `${s === 'S' ? 'P' : 'p'}ass ${flag}`);
  return err;
}

/** What an RPC was about, to say what was not found. */
export interface CallSubject {
  readonly rpc: string;
  readonly namespace: string;
  readonly workflowId?: string;
  readonly runId?: string;
}

/** The type names of the `temporal.api.errordetails.v1` details on a gRPC error. */
function errorDetailTypes(err: { metadata?: grpc.Metadata }): string[] {
  const raw = err.metadata?.get?.('grpc-status-details-bin')?.[0];
  if (!raw || typeof raw === 'string') return [];
  try {
    const status = google.rpc.Status.decode(raw) as { details?: Array<{ type_url?: string; typeUrl?: string }> };
    return (status.details ?? []).map((d) => (d.type_url ?? d.typeUrl ?? '').replace(/^.*\//, ''));
  } catch {
    return [];
  }
}

/**
 * A server error as a Bastion error: NOT_FOUND names the workflow (or namespace) and
 * namespace; anything else names the RPC with the status and the server's message.
 * Bastion errors (a closed connection) pass through.
 */
export function callFailed(err: unknown, subject: CallSubject): unknown {
  if (err instanceof BastionError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown; metadata?: grpc.Metadata };
  if (typeof e?.code !== 'number') return err;
  const details = typeof e.details === 'string' && e.details !== '' ? e.details : String(e.message ?? '');
  if (e.code === grpc.status.NOT_FOUND) {
    const types = errorDetailTypes(e);
    const namespaceMissing =
      types.includes('temporal.api.errordetails.v1.NamespaceNotFoundFailure') ||
      (types.length === 0 && /namespace/i.test(details) && !/workflow/i.test(details));
    if (namespaceMissing)
      return new CliError(
        'ERR_CLI_NOT_FOUND',
        `Namespace ${subject.namespace} was not found on the server. Check \`--namespace\` (or TEMPORAL_NAMESPACE, or the profile's \`namespace\`).`,
        { cause: err },
      );
    if (subject.workflowId !== undefined) {
      const run = subject.runId ? ` (run ${subject.runId})` : '';
      return new CliError(
        'ERR_CLI_NOT_FOUND',
        `Workflow ${subject.workflowId}${run} was not found in namespace ${subject.namespace}. Check \`--workflow-id\`${subject.runId ? ', `--run-id`' : ''} and \`--namespace\`; \`bastion workflow list\` shows what exists.`,
        { cause: err },
      );
    }
  }
  return new CliError('ERR_CLI_CALL_FAILED', `${subject.rpc} failed: ${grpc.status[e.code] ?? e.code}: ${details}`, { cause: err });
}
