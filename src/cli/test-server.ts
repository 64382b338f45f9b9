/**
 * `bastion-test-server <port> [flags]`: the dev server with time skipping, started the way
 * the official `@temporalio/testing` starts Temporal's Java test server
 * (`createTimeSkipping()` runs `<exe> <port> [extraArgs]` and connects to 127.0.0.1:<port>).
 */
import { CliError } from '../common/errors';
import { DevServer } from '../server/dev-server';
import { consoleLogger } from '../server/logger';
import { TimeSkippingClock } from '../server/clock';
import { parseFlags, wantsHelp } from './args';
import { serveUntilSignal } from './serve-until-signal';
import { cliLogLevel } from './server-start-dev';

export const TEST_SERVER_HELP = `Usage: bastion-test-server <port> [flags]

Bastion's dev server with time skipping, command-line compatible with Temporal's test
server (the one @temporalio/testing's createTimeSkipping() downloads): point
\`executable: { type: 'existing-path', path }\` at this file and no download happens.
Time skipping starts locked (count 1), as the test server's does; the official
TestWorkflowEnvironment unlocks it while it waits for a result.

Flags:
  --enable-time-skipping  start with time skipping unlocked (count 0)
  --ip IP                 address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --namespace NS          create this namespace too (repeatable; "default" always exists)
  --log-level LEVEL       debug | info | warn | error | off (default warn)
`;

export async function testServerMain(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(TEST_SERVER_HELP);
    return 0;
  }
  const [portText, ...rest] = argv;
  const port = Number(portText);
  if (portText === undefined || !/^\d+$/.test(portText) || port > 65535)
    throw new CliError(
      'ERR_CLI_USAGE',
      `\`bastion-test-server\` takes the port first, a number from 0 to 65535 (got "${portText ?? ''}"). Run \`bastion-test-server --help\`.`,
    );
  const f = parseFlags(
    rest,
    { 'enable-time-skipping': {}, ip: { value: true }, namespace: { value: true, repeatable: true }, 'log-level': { value: true } },
    'bastion-test-server',
  );
  const server = await DevServer.start({
    ip: f.ip as string | undefined,
    port,
    namespaces: (f.namespace as string[] | undefined) ?? [],
    logger: consoleLogger(cliLogLevel(f['log-level'] as string | undefined)),
    timeSkipping: true,
  });
  if (f['enable-time-skipping'] === true) (server.clock as TimeSkippingClock).unlock();
  await serveUntilSignal(server, 'test server', [`bastion test server listening on ${server.address} (time skipping)`]);
  return 0;
}
