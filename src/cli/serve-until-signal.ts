/**
 * The tail the server commands share (`server start-dev`, `bastion-test-server`,
 * `codec-server`): announce where the server listens, serve until SIGINT or SIGTERM, then
 * close it; and the port flags they read.
 */
import { CliError } from '../common/errors';

/**
 * A port flag (`--port`, `--metrics-port`) as a number from 0 to 65535 (0 picks a free port).
 * @throws {CliError} `ERR_CLI_USAGE` for anything else
 */
export function portFlag(value: string | string[] | boolean, flag = 'port'): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError('ERR_CLI_USAGE', `\`--${flag}\` must be a number from 0 to 65535, got "${value}".`);
  return port;
}

/**
 * Writes `lines` to stdout, then waits for SIGINT or SIGTERM and closes `server` (a failed
 * close still ends the wait). `onSignal` adds handlers for other signals (SIGHUP to reload,
 * say) while the server runs; all are removed when it stops.
 *
 * @param name the server in the stop line: `received SIGTERM, closing the <name>`
 */
export function serveUntilSignal(
  server: { close(): Promise<void> },
  name: string,
  lines: readonly string[],
  onSignal: Partial<Record<NodeJS.Signals, () => void>> = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    const extra = Object.entries(onSignal) as Array<[NodeJS.Signals, () => void]>;
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`received ${signal}, closing the ${name}\n`);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      for (const [s, handler] of extra) process.removeListener(s, handler);
      server.close().then(resolve, resolve);
    };
    // Handlers first, then the lines: whoever waits for a line may signal at once.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (const [s, handler] of extra) process.on(s, handler);
    for (const line of lines) process.stdout.write(`${line}\n`);
  });
}
