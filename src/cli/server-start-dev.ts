/** `bastion server start-dev`: the embedded development server, as `temporal server start-dev`. */
import * as fs from 'node:fs';
import { CliError } from '../common/errors';
import type { DevServerApiKey } from '../server/api-keys';
import { DevServer, DEFAULT_DEV_SERVER_PORT } from '../server/dev-server';
import { consoleLogger, type Logger, type LogLevel } from '../server/logger';
import { parseFlags, wantsHelp } from './args';
import { portFlag, serveUntilSignal } from './serve-until-signal';

export const START_DEV_HELP = `Usage: bastion server start-dev [flags]

Starts Bastion's embedded Temporal-compatible development server (development and CI only;
production runs on Temporal Server or Temporal Cloud).

Flags:
  --ip IP                 address to listen on (default 127.0.0.1)
  --port PORT             port to listen on (default 7233; 0 = any free port)
  --db-filename FILE      keep state in this SQLite file (default: in memory)
  --namespace NS          create this namespace too (repeatable; "default" always exists)
  --tls-cert FILE         serve TLS with this certificate chain (needs --tls-key)
  --tls-key FILE          private key of --tls-cert
  --tls-client-ca FILE    require client certificates issued by a CA in this bundle (mTLS)
  --log-level LEVEL       debug | info | warn | error | off (default warn; refused TLS
                          handshakes are logged at warn, with peer and reason)
  --blob-size-limit BYTES largest payload blob accepted (default 2097152)
  --handshake-timeout D   close a connection that has not completed TLS and started
                          HTTP/2 within D, e.g. 10s (default 10s; stops slow-loris clients)
  --no-eager-activities   hand every activity to an activity poll, even when the worker
                          asks for eager execution (default: eager, up to 3 per task)
  --time-skipping         a virtual clock that skips to the next timer, timeout or retry
                          while nothing runs, and Temporal's TestService (lock, unlock,
                          sleep), as Temporal's test server; starts locked (docs/testing.md)
  --log-format FORMAT     accepted (pretty | json); Bastion writes one line format
  --api-keys-file FILE    require "authorization: Bearer <key>" with one of the keys in FILE
                          (one per line; "key namespace1,namespace2" limits a key to those
                          namespaces; # starts a comment), as Temporal Cloud's API keys
  --metrics-port PORT     serve /metrics (RPC counts and latencies, tasks dispatched, backlog
                          per task queue) and /healthz, /readyz on this port (needs prom-client)

Flags of \`temporal server start-dev\` that mean nothing here (--dynamic-config-value,
--headless, --ui-port, --ui-ip, --http-port, --search-attribute,
--sqlite-pragma, --log-config, ...) are accepted and reported once at debug level, so
harnesses written for the Temporal CLI (@temporalio/testing's createLocal) run unchanged.

With TLS, SIGHUP re-reads --tls-cert, --tls-key and --tls-client-ca and serves the new
material without a restart (new handshakes use it; open connections carry on). Material
that fails its checks is reported on stderr and the old material stays in force.
`;

/** Reads `--api-keys-file`: one key per line, optionally followed by a comma-separated namespace list. */
function readApiKeysFile(file: string): DevServerApiKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('ERR_CLI_USAGE', `\`--api-keys-file\` ${file} could not be read (${(err as NodeJS.ErrnoException).code ?? 'read error'}).`);
  }
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [key, namespaces] = line.split(/\s+/, 2) as [string, string | undefined];
      return namespaces ? { key, namespaces: namespaces.split(',').filter(Boolean) } : key;
    });
  if (keys.length === 0) throw new CliError('ERR_CLI_USAGE', `\`--api-keys-file\` ${file} holds no key.`);
  return keys;
}

/**
 * Flags of the Temporal CLI's `server start-dev` that Bastion accepts and ignores (the
 * official `@temporalio/testing` passes several of them; users add others as `extraArgs`).
 */
export const TEMPORAL_CLI_ACCEPTED_FLAGS: Record<string, { value?: boolean; repeatable?: boolean }> = {
  'dynamic-config-value': { value: true, repeatable: true },
  'search-attribute': { value: true, repeatable: true },
  'sqlite-pragma': { value: true, repeatable: true },
  headless: {},
  'ui-port': { value: true },
  'ui-ip': { value: true },
  'ui-public-path': { value: true },
  'ui-asset-path': { value: true },
  'ui-codec-endpoint': { value: true },
  'http-port': { value: true },
  'log-config': {},
};

/** Maps the Temporal CLI's `--log-level` names onto Bastion's (`never` is `off`). */
export function cliLogLevel(value: string | undefined): LogLevel {
  const level = value === 'never' ? 'off' : (value ?? 'warn');
  if (!['debug', 'info', 'warn', 'error', 'off'].includes(level))
    throw new CliError('ERR_CLI_USAGE', `\`--log-level\` must be debug, info, warn, error, off or never, got "${level}".`);
  return level as LogLevel;
}

/** Writes one debug line naming the accepted-but-ignored flags that were given. */
export function reportIgnoredFlags(f: Record<string, unknown>, names: string[], logger: Logger): void {
  const given = names.filter((n) => f[n] !== undefined);
  if (given.length) logger.debug('flags accepted for compatibility with the Temporal CLI and ignored', { flags: given.map((n) => `--${n}`).join(' ') });
}

export async function startDev(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(START_DEV_HELP);
    return 0;
  }
  const f = parseFlags(
    argv,
    {
      ip: { value: true },
      port: { value: true },
      'db-filename': { value: true },
      namespace: { value: true, repeatable: true },
      'tls-cert': { value: true },
      'tls-key': { value: true },
      'tls-client-ca': { value: true },
      'log-level': { value: true },
      'blob-size-limit': { value: true },
      ...TEMPORAL_CLI_ACCEPTED_FLAGS,
      'log-format': { value: true },
      'time-skipping': {},
      'api-keys-file': { value: true },
      'no-eager-activities': {},
      'handshake-timeout': { value: true },
      'metrics-port': { value: true },
    },
    'server start-dev',
  );
  const port = f.port === undefined ? DEFAULT_DEV_SERVER_PORT : portFlag(f.port);
  const level = cliLogLevel(f['log-level'] as string | undefined);
  const format = f['log-format'] as string | undefined;
  if (format !== undefined && !['pretty', 'json'].includes(format))
    throw new CliError('ERR_CLI_USAGE', `\`--log-format\` must be pretty or json, got "${format}".`);
  const logger = consoleLogger(level);
  reportIgnoredFlags(f, [...Object.keys(TEMPORAL_CLI_ACCEPTED_FLAGS), 'log-format'], logger);
  if (!!f['tls-cert'] !== !!f['tls-key']) throw new CliError('ERR_CLI_USAGE', '`--tls-cert` and `--tls-key` go together: pass both.');
  if (f['tls-client-ca'] && !f['tls-cert']) throw new CliError('ERR_CLI_USAGE', '`--tls-client-ca` needs `--tls-cert` and `--tls-key`: mTLS runs over TLS.');
  const blob = f['blob-size-limit'] === undefined ? undefined : Number(f['blob-size-limit']);
  const metricsPort = f['metrics-port'] === undefined ? undefined : portFlag(f['metrics-port'], 'metrics-port');
  const server = await DevServer.start({
    ip: f.ip as string | undefined,
    port,
    dbFilename: f['db-filename'] as string | undefined,
    namespaces: (f.namespace as string[] | undefined) ?? [],
    tls: f['tls-cert'] ? { cert: f['tls-cert'] as string, key: f['tls-key'] as string, clientCa: f['tls-client-ca'] as string | undefined } : undefined,
    logger,
    timeSkipping: f['time-skipping'] === true,
    blobSizeLimitBytes: blob,
    apiKeys: f['api-keys-file'] ? readApiKeysFile(f['api-keys-file'] as string) : undefined,
    eagerActivityExecution: !f['no-eager-activities'],
    handshakeTimeout: f['handshake-timeout'] as string | undefined,
    metricsPort,
  }).catch((err) => {
    throw withFlagNames(err);
  });
  const tlsFiles = f['tls-cert']
    ? { cert: f['tls-cert'] as string, key: f['tls-key'] as string, clientCa: f['tls-client-ca'] as string | undefined }
    : undefined;
  const reload = (): void => {
    if (!tlsFiles) {
      process.stderr.write('received SIGHUP; the dev server runs without TLS, nothing to reload\n');
      return;
    }
    try {
      server.setTlsConfig(tlsFiles);
      process.stderr.write('received SIGHUP, TLS material reloaded\n');
    } catch (err) {
      process.stderr.write(`received SIGHUP, TLS material NOT reloaded (the old material stays in force): ${(withFlagNames(err) as Error).message}\n`);
    }
  };
  const lines = [
    ...(server.metricsAddress ? [`bastion dev server metrics on http://${server.metricsAddress}/metrics`] : []),
    `bastion dev server listening on ${server.address}`,
  ];
  await serveUntilSignal(server, 'dev server', lines, { SIGHUP: reload });
  return 0;
}

const FLAG_FOR_OPTION: Record<string, string> = {
  'tls.cert': '--tls-cert',
  'tls.key': '--tls-key',
  'tls.clientCa': '--tls-client-ca',
  blobSizeLimitBytes: '--blob-size-limit',
  handshakeTimeout: '--handshake-timeout',
  ip: '--ip',
  port: '--port',
  metricsPort: '--metrics-port',
};

/** Library errors name options (`tls.cert`); on the command line, name the flag instead. */
function withFlagNames(err: unknown): unknown {
  if (err instanceof Error) err.message = err.message.replace(/`([\w.]+)`/g, (m, name: string) => (FLAG_FOR_OPTION[name] ? `\`${FLAG_FOR_OPTION[name]}\`` : m));
  return err;
}
