/**
 * What every operator command shares: the Temporal CLI's connection flags and their
 * `TEMPORAL_*` variables (explicit flags win over the environment), the connection, and
 * the translation of server answers into messages a person can act on.
 */
import * as grpc from '@grpc/grpc-js';
import { BastionError, CliError } from '../common/errors';
import { google } from '../common/proto';
import { Connection } from '../connection/connection';
import { DEFAULT_ADDRESS, type ConnectionOptions } from '../connection/connection-options';
import type { TlsConfig } from '../connection/tls-credentials';
import type { FlagSpec, Flags } from './args';

/** The namespace when neither `--namespace` nor `TEMPORAL_NAMESPACE` names one. @default 'default' */
export const DEFAULT_NAMESPACE = 'default';

/** `--output` values; `text` is for people, `json` for programs. */
export type OutputFormat = 'text' | 'json';

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
  output: { value: true, alias: 'o' },
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
  -o, --output FORMAT     text (default) or json
`;

/** Resolved settings of an operator command. */
export interface OperatorSettings {
  readonly connection: ConnectionOptions;
  readonly namespace: string;
  readonly output: OutputFormat;
  /** Where each connection option came from (`--tls-ca-path`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`), for messages. */
  readonly sources: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Each TLS input: its flag, then its variables (the current name, `_DATA` for inline PEM, the CLI's older name). */
const TLS_INPUTS = [
  { option: 'tls.clientCertPair.crt', flag: 'tls-cert-path', env: ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CERT'] },
  { option: 'tls.clientCertPair.key', flag: 'tls-key-path', env: ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_KEY'] },
  { option: 'tls.serverRootCACertificate', flag: 'tls-ca-path', env: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_CA'] },
  { option: 'tls.serverNameOverride', flag: 'tls-server-name', env: ['TEMPORAL_TLS_SERVER_NAME'] },
] as const;

/**
 * Reads the connection flags, falling back to the environment, then to the defaults.
 * @throws {CliError} `ERR_CLI_USAGE` for an `--output` other than text or json, or an empty value
 */
export function operatorSettings(flags: Flags, env: Env = process.env): OperatorSettings {
  const sources: Record<string, string> = {};
  const pick = (option: string, flag: string, vars: readonly string[]): string | undefined => {
    const given = flags[flag];
    if (typeof given === 'string') {
      if (given.trim() === '') throw new CliError('ERR_CLI_USAGE', `Flag \`--${flag}\` needs a non-empty value.`);
      sources[option] = `--${flag}`;
      return given;
    }
    for (const name of vars) {
      const value = env[name];
      if (value !== undefined && value !== '') {
        sources[option] = name;
        return value;
      }
    }
    return undefined;
  };
  const address = pick('address', 'address', ['TEMPORAL_ADDRESS']) ?? DEFAULT_ADDRESS;
  const namespace = pick('namespace', 'namespace', ['TEMPORAL_NAMESPACE']) ?? DEFAULT_NAMESPACE;
  const apiKey = pick('apiKey', 'api-key', ['TEMPORAL_API_KEY']);
  const [crt, key, ca, serverName] = TLS_INPUTS.map((i) => pick(i.option, i.flag, i.env));
  const output = (flags.output as string | undefined) ?? 'text';
  if (output !== 'text' && output !== 'json') throw new CliError('ERR_CLI_USAGE', `\`--output\` must be text or json, got "${output}".`);

  let tlsOn: boolean | undefined;
  if (typeof flags.tls === 'boolean') {
    tlsOn = flags.tls;
    sources.tls = flags.tls ? '--tls' : '--tls=false';
  } else if (env.TEMPORAL_TLS !== undefined && env.TEMPORAL_TLS !== '') {
    // As the Temporal CLI and envconfig: only `1` and `true` turn TLS on.
    tlsOn = ['1', 'true'].includes(env.TEMPORAL_TLS.toLowerCase());
    sources.tls = 'TEMPORAL_TLS';
  }
  const inputs = { crt, key, ca, serverName };
  const set = TLS_INPUTS.map((i, n) => ({ ...i, value: [crt, key, ca, serverName][n] })).filter((i) => i.value !== undefined);
  if (tlsOn === false && set.length > 0) {
    // An explicit flag wins over the environment: `--tls=false` drops TLS inputs from variables.
    const fromFlags = set.filter((i) => sources[i.option] === `--${i.flag}`);
    const clash = sources.tls === '--tls=false' ? fromFlags : fromFlags.length > 0 ? [] : set;
    if (clash.length > 0) {
      const named = clash.map((i) => `\`${sources[i.option]}\``).join(', ');
      throw new CliError('ERR_CLI_USAGE', `\`${sources.tls}\` turns TLS off, but ${named} ${clash.length > 1 ? 'are' : 'is'} TLS input. Drop one of them.`);
    }
    if (sources.tls === '--tls=false') {
      for (const i of set) delete sources[i.option];
      inputs.crt = inputs.key = inputs.ca = inputs.serverName = undefined;
    } else {
      tlsOn = true; // TLS input given as flags wins over TEMPORAL_TLS=false
    }
  }
  let tls: ConnectionOptions['tls'];
  if (Object.values(inputs).some((v) => v !== undefined)) {
    const config: TlsConfig = {};
    if (inputs.ca !== undefined) config.serverRootCACertificate = inputs.ca;
    if (inputs.crt !== undefined || inputs.key !== undefined) config.clientCertPair = { crt: inputs.crt!, key: inputs.key! };
    if (inputs.serverName !== undefined) config.serverNameOverride = inputs.serverName;
    tls = config;
  } else if (tlsOn !== undefined) {
    tls = tlsOn;
  }
  const connection: ConnectionOptions = { address, ...(tls !== undefined ? { tls } : {}), ...(apiKey !== undefined ? { apiKey } : {}) };
  return { connection, namespace, output, sources };
}

/**
 * Connects, runs `fn`, and closes the connection whatever happens. Errors from the
 * connection name the flag or variable the user set rather than the library option.
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

/** Rewrites backticked option names (`tls.serverRootCACertificate`) as the flag or variable that set them. */
function withFlagNames(err: unknown, sources: Readonly<Record<string, string>>): unknown {
  if (!(err instanceof Error)) return err;
  const label = (option: string): string | undefined => {
    if (option === PAIR) return `${sources[`${PAIR}.crt`] ?? '--tls-cert-path'}\` and \`${sources[`${PAIR}.key`] ?? '--tls-key-path'}`;
    if (option === 'tls') return '--tls';
    if (option === 'tls: false') return '--tls=false';
    if (option === 'apiKey') return sources.apiKey ?? '--api-key';
    if (option === 'address') return sources.address ?? '--address';
    const input = TLS_INPUTS.find((i) => i.option === option);
    return sources[option] ?? (input ? `--${input.flag}` : undefined);
  };
  err.message = err.message
    .replace(/`([\w.]+(?:: false)?)`/g, (m, option: string) => {
      const l = label(option);
      return l ? `\`${l}\`` : m;
    })
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
    const namespaceMissing = types.includes('temporal.api.errordetails.v1.NamespaceNotFoundFailure') || (types.length === 0 && /namespace/i.test(details) && !/workflow/i.test(details));
    if (namespaceMissing) return new CliError('ERR_CLI_NOT_FOUND', `Namespace ${subject.namespace} was not found on the server. Check \`--namespace\` (or TEMPORAL_NAMESPACE).`, { cause: err });
    if (subject.workflowId !== undefined) {
      const run = subject.runId ? ` (run ${subject.runId})` : '';
      return new CliError('ERR_CLI_NOT_FOUND', `Workflow ${subject.workflowId}${run} was not found in namespace ${subject.namespace}. Check \`--workflow-id\`${subject.runId ? ', `--run-id`' : ''} and \`--namespace\`; \`bastion workflow list\` shows what exists.`, { cause: err });
    }
  }
  return new CliError('ERR_CLI_CALL_FAILED', `${subject.rpc} failed: ${grpc.status[e.code] ?? e.code}: ${details}`, { cause: err });
}
