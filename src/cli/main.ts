/** The `bastion` command line. */
import { BastionError } from '../common/errors';
import { wantsHelp } from './args';
import { CONNECTION_FLAGS_HELP } from './operator-options';

const HELP = `Usage: bastion <command> [flags]

Commands:
  codec-server          serve the codec endpoint for the Temporal Web UI and CLI (--keys)
  doctor                explain, step by step, why a connection fails (TCP, TLS, mTLS, namespace)
  payload decode        decrypt the payloads of a history JSON or a payloads body (--keys)
  server start-dev      run the embedded Temporal-compatible development server
  task-queue describe   list the workers polling a task queue
  workflow start        start a workflow execution (--type, --task-queue, --input)
  workflow execute      start one and wait for its result
  workflow result       wait for an execution to close and print its result
  workflow signal       send a signal (--name, --input)
  workflow query        query an execution (--name, --input)
  workflow update execute
                        send an update and print its result (--name, --input)
  workflow stack        ask the worker what an execution is waiting on (__stack_trace)
  workflow cancel       request cancellation
  workflow terminate    terminate at once (--reason)
  workflow delete       delete an execution and its history
  workflow list         list workflow executions, optionally filtered by --query
  workflow count        count workflow executions, optionally filtered by --query
  workflow describe     show an execution's status, pending activities and children
  workflow show         print an execution's event history (--output json for replay)
  schedule create | describe | list | count | trigger | backfill | pause | unpause | toggle | delete
                        schedules (flags as \`temporal schedule\` spells them)
  operator namespace list | describe | create
                        the server's namespaces
  certs ca | issue | csr | sign | inspect | verify | p12
                        the certificate toolkit: CAs, client/server certificates, requests,
                        PKCS#12, checks (including Temporal Cloud's CA rules)

The operator commands (task-queue, workflow, schedule, operator) work against Bastion's dev server,
Temporal Server and Temporal Cloud.

${CONNECTION_FLAGS_HELP}
Run \`bastion <command> --help\` for a command's flags; \`bastion --version\` prints the
version. Exit codes: 0 done, 1 failed
(not found, server unreachable, server error), 2 bad command or flags.
`;

type Command = (argv: string[]) => Promise<number>;

/**
 * A command whose module loads only when it runs: `bastion server start-dev` must accept
 * connections within the official testing harness's start-up window, without loading the
 * certificate toolkit, the codec server or the doctor first.
 */
function lazy(load: () => Command): Command {
  return (argv) => load()(argv);
}

/** One-word commands (`bastion doctor`). */
const SINGLE_COMMANDS: Readonly<Record<string, Command>> = {
  doctor: lazy(() => require('./doctor').doctor),
  'codec-server': lazy(() => require('./codec-server').codecServerCommand),
};

const COMMANDS: Readonly<Record<string, Readonly<Record<string, Command>>>> = {
  payload: { decode: lazy(() => require('./payload-decode').payloadDecode) },
  server: { 'start-dev': lazy(() => require('./server-start-dev').startDev) },
  'task-queue': { describe: lazy(() => require('./task-queue-describe').taskQueueDescribe) },
  workflow: {
    start: lazy(() => require('./workflow-start').workflowStart),
    execute: lazy(() => require('./workflow-start').workflowExecute),
    result: lazy(() => require('./workflow-result').workflowResult),
    signal: lazy(() => require('./workflow-control').workflowSignal),
    query: lazy(() => require('./workflow-query').workflowQuery),
    update: lazy(() => require('./workflow-update').workflowUpdate),
    stack: lazy(() => require('./workflow-query').workflowStack),
    cancel: lazy(() => require('./workflow-control').workflowCancel),
    terminate: lazy(() => require('./workflow-control').workflowTerminate),
    delete: lazy(() => require('./workflow-control').workflowDelete),
    list: lazy(() => require('./workflow-list').workflowList),
    count: lazy(() => require('./workflow-query').workflowCount),
    describe: lazy(() => require('./workflow-describe').workflowDescribe),
    show: lazy(() => require('./workflow-show').workflowShow),
  },
  certs: {
    ca: lazy(() => require('./certs-make').certsCa),
    issue: lazy(() => require('./certs-make').certsIssue),
    csr: lazy(() => require('./certs-make').certsCsr),
    sign: lazy(() => require('./certs-make').certsSign),
    inspect: lazy(() => require('./certs-check').certsInspect),
    verify: lazy(() => require('./certs-check').certsVerify),
    p12: lazy(() => require('./certs-p12').certsP12),
  },
  schedule: Object.fromEntries(
    ['create', 'describe', 'list', 'count', 'trigger', 'backfill', 'pause', 'unpause', 'toggle', 'delete'].map((name) => [
      name,
      lazy(() => (require('./schedule-commands').SCHEDULE_COMMANDS as Record<string, Command>)[name]!),
    ]),
  ),
};

/** Three-word commands (`bastion operator namespace list`). */
const NESTED_COMMANDS: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, Command>>>>>> = {
  operator: {
    namespace: {
      list: lazy(() => require('./namespace-commands').namespaceList),
      describe: lazy(() => require('./namespace-commands').namespaceDescribe),
      create: lazy(() => require('./namespace-commands').namespaceCreate),
    },
  },
};

/** This package's version, from its package.json. */
export function version(): string {
  // dist/src/cli/main.js and src/cli/main.ts are both three levels below the package root.
  return (require('../../../package.json') as { version: string }).version;
}

/** One line about an unknown command, and where to look. */
function unknownCommand(words: string, known: readonly string[]): number {
  const list = known.length > 0 ? ` Commands: ${known.join(', ')}.` : '';
  process.stderr.write(`bastion: unknown command "${words}".${list} Run \`bastion --help\`.\n`);
  return 2;
}

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
    if (a === '--version' || a === '-v' || a === 'version') {
      process.stdout.write(`bastion version ${version()}\n`);
      return 0;
    }
    const single = SINGLE_COMMANDS[a];
    if (single) return await single(argv.slice(1));
    const nested = NESTED_COMMANDS[a];
    if (nested) {
      const group = b === undefined ? undefined : nested[b];
      const [c, ...more] = rest;
      const command = group && c !== undefined ? group[c] : undefined;
      if (command) return await command(more);
      if (group && (c === undefined || wantsHelp([c]))) {
        const text = `Commands of \`bastion ${a} ${b}\`: ${Object.keys(group)
          .map((x) => `${a} ${b} ${x}`)
          .join(', ')}. Run \`bastion ${a} ${b} <command> --help\` for one's flags.\n`;
        if (c !== undefined) {
          process.stdout.write(text);
          return 0;
        }
        process.stderr.write(`bastion: \`${a} ${b}\` needs a command. ${text}`);
        return 2;
      }
      if (group)
        return unknownCommand(
          `${a} ${b} ${c}`,
          Object.keys(group).map((x) => `${a} ${b} ${x}`),
        );
      return unknownCommand(
        [a, b].filter(Boolean).join(' '),
        Object.keys(nested).map((x) => `${a} ${x}`),
      );
    }
    const command = b === undefined ? undefined : COMMANDS[a]?.[b];
    if (command) return await command(rest);
    if (COMMANDS[a] && (b === undefined || wantsHelp([b]))) {
      const text = `Commands of \`bastion ${a}\`: ${Object.keys(COMMANDS[a]!)
        .map((c) => `${a} ${c}`)
        .join(', ')}. Run \`bastion ${a} <command> --help\` for one's flags.\n`;
      if (b !== undefined) {
        process.stdout.write(text);
        return 0;
      }
      process.stderr.write(`bastion: \`${a}\` needs a command. ${text}`);
      return 2;
    }
    if (COMMANDS[a])
      return unknownCommand(
        `${a} ${b}`,
        Object.keys(COMMANDS[a]!).map((c) => `${a} ${c}`),
      );
    return unknownCommand(a, []);
  } catch (err) {
    if (err instanceof BastionError) {
      process.stderr.write(`bastion: ${err.message}\n`);
      return err.code === 'ERR_CLI_USAGE' ? 2 : 1;
    }
    throw err;
  }
}
