/** `bastion workflow start` and `workflow execute`, as `temporal workflow start|execute`. */
import { randomUUID } from 'node:crypto';
import { CliError } from '../common/errors';
import { parseDuration } from '../common/duration';
import { durationFromMs, temporal } from '../common/proto';
import { parseFlags, wantsHelp, type Flags } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { emit, fields, print } from './output';
import { awaitOutcome, printOutcome, required } from './workflow-result';
import { encodeInput, INPUT_FLAGS, INPUT_FLAGS_HELP, inputPayloads, remoteCodec } from './workflow-payloads';

const START_FLAGS_HELP = `Flags:
  -w, --workflow-id ID    the workflow id (default: a random UUID)
  --type TYPE             the workflow type (required)
  -t, --task-queue QUEUE  the task queue its workers poll (required)
${INPUT_FLAGS_HELP}
  --execution-timeout D   fail the workflow (all its runs) after D ("90s", "2h"; a bare
                          number is seconds)
  --run-timeout D         fail a single run after D
  --task-timeout D        the workflow task timeout (default 10s)
  --id-reuse-policy P     AllowDuplicate | AllowDuplicateFailedOnly | RejectDuplicate |
                          TerminateIfRunning
  --id-conflict-policy P  Fail | UseExisting | TerminateExisting`;

export const WORKFLOW_START_HELP = `Usage: bastion workflow start --type TYPE --task-queue QUEUE [--workflow-id ID] [--input JSON]... [flags]

Starts a workflow execution and prints its ids; does not wait for it.

${START_FLAGS_HELP}

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow start --type greeting --task-queue demo -w hello-1 --input '"Bastion"'
`;

export const WORKFLOW_EXECUTE_HELP = `Usage: bastion workflow execute --type TYPE --task-queue QUEUE [--workflow-id ID] [--input JSON]... [flags]

Starts a workflow execution, waits for it to close and prints its result (decoded with
--codec-endpoint when given) or its failure. Exit code 1 when the workflow did not
complete.

${START_FLAGS_HELP}

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow execute --type greeting --task-queue demo --input '"Bastion"' -o json
`;

const START_FLAGS = {
  'workflow-id': { value: true, alias: 'w' },
  type: { value: true },
  'task-queue': { value: true, alias: 't' },
  ...INPUT_FLAGS,
  'execution-timeout': { value: true },
  'run-timeout': { value: true },
  'task-timeout': { value: true },
  'id-reuse-policy': { value: true },
  'id-conflict-policy': { value: true },
} as const;

const E = temporal.api.enums.v1;

/** Enum values by the Temporal CLI's spelling (`RejectDuplicate`), case-insensitive. */
function policy(flags: Flags, flag: string, enumObject: Record<string, unknown>, prefix: string): number | undefined {
  const given = flags[flag];
  if (typeof given !== 'string') return undefined;
  const names = Object.keys(enumObject).filter((k) => k.startsWith(prefix) && !k.endsWith('_UNSPECIFIED'));
  const spelled = (k: string) =>
    k
      .slice(prefix.length)
      .toLowerCase()
      .replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
  const match = names.find((k) => spelled(k).toLowerCase() === given.toLowerCase() || k.slice(prefix.length).toLowerCase() === given.toLowerCase());
  if (!match) throw new CliError('ERR_CLI_USAGE', `\`--${flag}\` must be one of ${names.map(spelled).join(', ')}; got "${given}".`);
  return enumObject[match] as number;
}

/** A Temporal CLI duration: "30s", "2h", "1.5m", or a bare number of seconds. */
function duration(flags: Flags, flag: string): { seconds: number; nanos: number } | undefined {
  const given = flags[flag];
  if (typeof given !== 'string') return undefined;
  let msValue: number;
  try {
    msValue = /^\d+(\.\d+)?$/.test(given.trim()) ? Math.ceil(Number(given) * 1000) : parseDuration(given, flag);
  } catch {
    throw new CliError(
      'ERR_CLI_USAGE',
      `\`--${flag}\` must be a duration such as "30s", "5m" or "2h" (a bare number is seconds); got "${given.slice(0, 40)}".`,
    );
  }
  if (msValue <= 0) throw new CliError('ERR_CLI_USAGE', `\`--${flag}\` must be longer than zero.`);
  return durationFromMs(msValue);
}

async function start(argv: string[], command: 'start' | 'execute'): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...START_FLAGS }, `workflow ${command}`);
  const type = required(flags, 'type', 'the workflow type to start (its function name, or the name it is registered under)');
  const taskQueue = required(flags, 'task-queue', "the task queue the workflow's workers poll");
  const workflowId = typeof flags['workflow-id'] === 'string' && flags['workflow-id'] !== '' ? flags['workflow-id'] : randomUUID();
  const payloads = inputPayloads(flags);
  const request = {
    workflowId,
    workflowType: { name: type },
    taskQueue: { name: taskQueue, kind: E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    workflowExecutionTimeout: duration(flags, 'execution-timeout'),
    workflowRunTimeout: duration(flags, 'run-timeout'),
    workflowTaskTimeout: duration(flags, 'task-timeout'),
    workflowIdReusePolicy: policy(flags, 'id-reuse-policy', E.WorkflowIdReusePolicy as unknown as Record<string, unknown>, 'WORKFLOW_ID_REUSE_POLICY_'),
    workflowIdConflictPolicy: policy(
      flags,
      'id-conflict-policy',
      E.WorkflowIdConflictPolicy as unknown as Record<string, unknown>,
      'WORKFLOW_ID_CONFLICT_POLICY_',
    ),
  };
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const codec = remoteCodec(settings);
  return withConnection(settings, async (connection) => {
    const input = await encodeInput(payloads, codec);
    const res = await connection.workflowService
      .startWorkflowExecution({
        namespace,
        ...(request as object),
        input: input.length > 0 ? { payloads: input } : undefined,
        identity: `bastion-cli@${process.pid}`,
        requestId: randomUUID(),
      })
      .catch((err: unknown) => Promise.reject(startFailed(err, namespace, workflowId, type)));
    const started = { workflowId, runId: res.runId ?? '', type, namespace, taskQueue };
    if (command === 'start') {
      emit(
        settings.output,
        started,
        () =>
          `Running execution:\n${fields([
            ['Workflow ID', workflowId],
            ['Run ID', started.runId],
            ['Type', type],
            ['Namespace', namespace],
            ['Task queue', taskQueue],
          ])}`,
      );
      return 0;
    }
    if (settings.output === 'text')
      print(
        `Running execution:\n${fields([
          ['Workflow ID', workflowId],
          ['Run ID', started.runId],
          ['Type', type],
          ['Namespace', namespace],
          ['Task queue', taskQueue],
        ])}\n`,
      );
    const outcome = await awaitOutcome(connection, namespace, workflowId, started.runId, codec);
    return printOutcome(settings, outcome);
  });
}

function startFailed(err: unknown, namespace: string, workflowId: string, type: string): unknown {
  const e = err as { code?: unknown };
  if (e?.code === 6 /* ALREADY_EXISTS */) {
    return new CliError(
      'ERR_CLI_CALL_FAILED',
      `Workflow ${workflowId} is already running in namespace ${namespace} (type ${type}). Pass another \`--workflow-id\`, or \`--id-conflict-policy UseExisting\`.`,
      { cause: err },
    );
  }
  return callFailed(err, { rpc: 'StartWorkflowExecution', namespace });
}

export async function workflowStart(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_START_HELP);
    return 0;
  }
  return start(argv, 'start');
}

export async function workflowExecute(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_EXECUTE_HELP);
    return 0;
  }
  return start(argv, 'execute');
}
