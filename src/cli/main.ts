/** The `bastion` command line. */
import { BastionError } from '../common/errors';
import { startDev } from './server-start-dev';

const HELP = `Usage: bastion <command> [flags]

Commands:
  server start-dev   run the embedded Temporal-compatible development server

Run \`bastion <command> --help\` for a command's flags.
`;

export async function main(argv: string[]): Promise<number> {
  const [a, b, ...rest] = argv;
  try {
    if (a === 'server' && b === 'start-dev') return await startDev(rest);
    if (!a || a === '--help' || a === '-h' || a === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    process.stderr.write(`bastion: unknown command "${[a, b].filter(Boolean).join(' ')}".\n\n${HELP}`);
    return 2;
  } catch (err) {
    if (err instanceof BastionError) {
      process.stderr.write(`bastion: ${err.message}\n`);
      return err.code === 'ERR_CLI_USAGE' ? 2 : 1;
    }
    throw err;
  }
}
