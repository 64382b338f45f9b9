/**
 * `bastion workflow signal|cancel|terminate|delete`: the commands that act on one
 * execution and print what they did, as `temporal workflow signal|cancel|terminate|delete`.
 */
import { randomUUID } from 'node:crypto';
import { parseFlags, wantsHelp, type FlagSpec, type Flags } from './args';
import type { Connection } from '../connection/connection';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection, type OperatorSettings } from './operator-options';
import { emit, print } from './output';
import { EXECUTION_FLAGS, executionFromFlags } from './workflow-describe';
import { encodeInput, INPUT_FLAGS, INPUT_FLAGS_HELP, inputPayloads, remoteCodec } from './workflow-payloads';
import { required } from './workflow-result';

const IDENTITY = `bastion-cli@${process.pid}`;
const EXECUTION_HELP = `  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)`;

interface ControlCommand {
  name: string;
  help: string;
  flags: Record<string, FlagSpec>;
  /** The RPC's name, for messages. */
  rpc: string;
  /** What was done, for the text line: "Signalled", "Cancellation requested for". */
  done: string;
  call(connection: Connection, settings: OperatorSettings, execution: { workflowId: string; runId?: string }, flags: Flags): Promise<Record<string, unknown>>;
}

const help = (usage: string, about: string, flagLines: string, example: string) => `Usage: bastion workflow ${usage}

${about}

Flags:
${flagLines}

${CONNECTION_FLAGS_HELP}
Example:
  ${example}
`;

const COMMANDS: Record<string, ControlCommand> = {
  signal: {
    name: 'signal',
    help: help(
      'signal --workflow-id ID --name SIGNAL [--input JSON]... [flags]',
      'Sends a signal to a workflow execution.',
      `${EXECUTION_HELP}\n  --name SIGNAL           the signal name (required)\n${INPUT_FLAGS_HELP}`,
      'bastion workflow signal -w order-1 --name approve --input \'{"by":"ops"}\'',
    ),
    flags: { name: { value: true }, ...INPUT_FLAGS },
    rpc: 'SignalWorkflowExecution',
    done: 'Signalled',
    async call(connection, settings, execution, flags) {
      const signalName = required(flags, 'name', 'the signal name the workflow handles');
      const input = await encodeInput(inputPayloads(flags), remoteCodec(settings));
      await connection.workflowService.signalWorkflowExecution({
        namespace: settings.namespace,
        workflowExecution: execution,
        signalName,
        input: input.length > 0 ? { payloads: input } : undefined,
        identity: IDENTITY,
        requestId: randomUUID(),
      });
      return { signal: signalName };
    },
  },
  cancel: {
    name: 'cancel',
    help: help(
      'cancel --workflow-id ID [--run-id RUN] [--reason TEXT] [flags]',
      'Requests cancellation of a workflow execution; the workflow decides how to end.',
      `${EXECUTION_HELP}\n  --reason TEXT           why (recorded in the history)`,
      'bastion workflow cancel -w order-1 --reason "customer asked"',
    ),
    flags: { reason: { value: true } },
    rpc: 'RequestCancelWorkflowExecution',
    done: 'Cancellation requested for',
    async call(connection, settings, execution, flags) {
      await connection.workflowService.requestCancelWorkflowExecution({
        namespace: settings.namespace,
        workflowExecution: execution,
        identity: IDENTITY,
        requestId: randomUUID(),
        reason: (flags.reason as string | undefined) ?? '',
      });
      return {};
    },
  },
  terminate: {
    name: 'terminate',
    help: help(
      'terminate --workflow-id ID [--run-id RUN] [--reason TEXT] [flags]',
      'Terminates a workflow execution at once; no workflow code runs.',
      `${EXECUTION_HELP}\n  --reason TEXT           why (recorded in the history)`,
      'bastion workflow terminate -w order-1 --reason "stuck on a bad deploy"',
    ),
    flags: { reason: { value: true } },
    rpc: 'TerminateWorkflowExecution',
    done: 'Terminated',
    async call(connection, settings, execution, flags) {
      const reason = (flags.reason as string | undefined) ?? 'terminated by bastion workflow terminate';
      await connection.workflowService.terminateWorkflowExecution({ namespace: settings.namespace, workflowExecution: execution, reason, identity: IDENTITY });
      return { reason };
    },
  },
  delete: {
    name: 'delete',
    help: help(
      'delete --workflow-id ID [--run-id RUN] [flags]',
      'Deletes a workflow execution and its history (a running one is terminated first).',
      EXECUTION_HELP,
      'bastion workflow delete -w order-1',
    ),
    flags: {},
    rpc: 'DeleteWorkflowExecution',
    done: 'Deleted',
    async call(connection, settings, execution) {
      await connection.workflowService.deleteWorkflowExecution({ namespace: settings.namespace, workflowExecution: execution });
      return {};
    },
  },
};

async function runControl(c: ControlCommand, argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(c.help);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS, ...c.flags }, `workflow ${c.name}`);
  const execution = executionFromFlags(flags);
  const settings = operatorSettings(flags);
  const extra = await withConnection(settings, (connection) =>
    c
      .call(connection, settings, execution, flags)
      .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: c.rpc, namespace: settings.namespace, ...execution }))),
  );
  const result = { workflowId: execution.workflowId, ...(execution.runId ? { runId: execution.runId } : {}), namespace: settings.namespace, ...extra };
  const what = c.name === 'signal' ? ` with signal ${extra.signal as string}` : '';
  emit(
    settings.output,
    result,
    () => `${c.done} workflow ${execution.workflowId}${execution.runId ? ` (run ${execution.runId})` : ''} in namespace ${settings.namespace}${what}.`,
  );
  return 0;
}

export const workflowSignal = (argv: string[]): Promise<number> => runControl(COMMANDS.signal!, argv);
export const workflowCancel = (argv: string[]): Promise<number> => runControl(COMMANDS.cancel!, argv);
export const workflowTerminate = (argv: string[]): Promise<number> => runControl(COMMANDS.terminate!, argv);
export const workflowDelete = (argv: string[]): Promise<number> => runControl(COMMANDS.delete!, argv);
