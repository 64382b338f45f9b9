/** The `bastion` command line. */
import { BastionError } from '../common/errors';
import { wantsHelp } from './args';
import { codecServerCommand } from './codec-server';
import { certsInspect, certsVerify } from './certs-check';
import { certsCa, certsCsr, certsIssue, certsSign } from './certs-make';
import { certsP12 } from './certs-p12';
import { doctor } from './doctor';
import { CONNECTION_FLAGS_HELP } from './operator-options';
import { payloadDecode } from './payload-decode';
import { startDev } from './server-start-dev';
import { taskQueueDescribe } from './task-queue-describe';
import { workflowDescribe } from './workflow-describe';
import { workflowList } from './workflow-list';
import { workflowShow } from './workflow-show';

const HELP = `Usage: bastion <command> [flags]

Commands:
  codec-server          serve the codec endpoint for the Temporal Web UI and CLI (--keys)
  doctor                explain, step by step, why a connection fails (TCP, TLS, mTLS, namespace)
  payload decode        decrypt the payloads of a history JSON or a payloads body (--keys)
  server start-dev      run the embedded Temporal-compatible development server
  task-queue describe   list the workers polling a task queue
  workflow list         list workflow executions, optionally filtered by --query
  workflow describe     show an execution's status, pending activities and children
  workflow show         print an execution's event history (--output json for replay)
  certs ca | issue | csr | sign | inspect | verify | p12
                        the certificate toolkit: CAs, client/server certificates, requests,
                        PKCS#12, checks (including Temporal Cloud's CA rules)

The operator commands (task-queue, workflow) work against Bastion's dev server, Temporal
Server and Temporal Cloud.

${CONNECTION_FLAGS_HELP}
Run \`bastion <command> --help\` for a command's flags. Exit codes: 0 done, 1 failed
(not found, server unreachable, server error), 2 bad command or flags.
`;

type Command = (argv: string[]) => Promise<number>;

/** One-word commands (`bastion doctor`). */
const SINGLE_COMMANDS: Readonly<Record<string, Command>> = { doctor, 'codec-server': codecServerCommand };

const COMMANDS: Readonly<Record<string, Readonly<Record<string, Command>>>> = {
  payload: { decode: payloadDecode },
  server: { 'start-dev': startDev },
  'task-queue': { describe: taskQueueDescribe },
  workflow: { list: workflowList, describe: workflowDescribe, show: workflowShow },
  certs: { ca: certsCa, issue: certsIssue, csr: certsCsr, sign: certsSign, inspect: certsInspect, verify: certsVerify, p12: certsP12 },
};

/**
 * Runs one `bastion` command.
 * @param argv the arguments after `bastion`
 * @returns the exit code: 0 success, 1 failure, 2 usage error
 */
export async function main(argv: string[]): Promise<number> {
  const [a, b, ...rest] = argv;
  try {
    if (!a || a === '--help' || a === '-h' || a === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    const single = SINGLE_COMMANDS[a];
    if (single) return await single(argv.slice(1));
    const command = b === undefined ? undefined : COMMANDS[a]?.[b];
    if (command) return await command(rest);
    if (COMMANDS[a] && (b === undefined || wantsHelp([b]))) {
      const text = `Commands of \`bastion ${a}\`: ${Object.keys(COMMANDS[a]!).map((c) => `${a} ${c}`).join(', ')}.\n\n${HELP}`;
      if (b !== undefined) {
        process.stdout.write(text);
        return 0;
      }
      process.stderr.write(`bastion: \`${a}\` needs a command. ${text}`);
      return 2;
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
