/** `bastion workflow describe`: one execution's status, pending activities and children. */
import { CliError } from '../common/errors';
import { lookupType, temporal, toNumber } from '../common/proto';
import { writeMessage, type ReflectedType } from '../converter/proto-json';
import { parseFlags, wantsHelp, type Flags } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { ago, emit, failureText, fields, isoTime, print, shortEnumName, table, timestampMs } from './output';
import { decodePayloadsIn } from './remote-codec';
import { remoteCodec } from './workflow-payloads';
import { statusName } from './workflow-list';

export const WORKFLOW_DESCRIBE_HELP = `Usage: bastion workflow describe --workflow-id ID [--run-id RUN] [flags]

Shows a workflow execution: status, type, task queue, start and close times, history
length, pending activities (with their attempt and last failure) and pending children.
With --output json, prints the DescribeWorkflowExecution response as proto3 JSON.

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow describe --workflow-id order-1234
`;

/** `--workflow-id` and `--run-id`, shared by `describe` and `show`. */
export const EXECUTION_FLAGS = { 'workflow-id': { value: true, alias: 'w' }, 'run-id': { value: true, alias: 'r' } } as const;

/** The execution named by `--workflow-id` / `--run-id`. */
export function executionFromFlags(flags: Flags): { workflowId: string; runId?: string } {
  const workflowId = flags['workflow-id'];
  if (typeof workflowId !== 'string' || workflowId === '') throw new CliError('ERR_CLI_USAGE', '`--workflow-id` is required: the id of the workflow execution.');
  const runId = typeof flags['run-id'] === 'string' && flags['run-id'] !== '' ? flags['run-id'] : undefined;
  return runId ? { workflowId, runId } : { workflowId };
}

const E = temporal.api.enums.v1;

export async function workflowDescribe(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_DESCRIBE_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS }, 'workflow describe');
  const execution = executionFromFlags(flags);
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const res = await withConnection(settings, (connection) =>
    connection.workflowService
      .describeWorkflowExecution({ namespace, execution })
      .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'DescribeWorkflowExecution', namespace, ...execution }))),
  );
  const codec = remoteCodec(settings);
  if (codec) await decodePayloadsIn(res, codec);
  if (settings.output !== 'text') {
    const type = lookupType('temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse') as unknown as ReflectedType;
    emit(settings.output, writeMessage(type, res as unknown as Record<string, unknown>), () => undefined);
    return 0;
  }
  const info = res.workflowExecutionInfo ?? {};
  const now = Date.now();
  const closeMs = timestampMs(info.closeTime);
  print('Execution');
  print(fields([
    ['Workflow ID', info.execution?.workflowId ?? execution.workflowId],
    ['Run ID', info.execution?.runId ?? '-'],
    ['Type', info.type?.name ?? '-'],
    ['Status', statusName(info.status)],
    ['Task queue', info.taskQueue || res.executionConfig?.taskQueue?.name || '-'],
    ['Namespace', namespace],
    ['Start time', isoTime(info.startTime)],
    ['Close time', closeMs === undefined ? '-' : `${isoTime(info.closeTime)} (${ago(closeMs, now)})`],
    ['History length', String(toNumber(info.historyLength))],
    ...(info.parentExecution?.workflowId ? [['Parent', `${info.parentExecution.workflowId} (run ${info.parentExecution.runId})`] as const] : []),
  ]));
  const activities = res.pendingActivities ?? [];
  print(`\nPending activities: ${activities.length}`);
  if (activities.length > 0) {
    print(table(
      ['ACTIVITY ID', 'TYPE', 'STATE', 'ATTEMPT', 'LAST FAILURE'],
      activities.map((a) => [
        a.activityId ?? '',
        a.activityType?.name ?? '',
        shortEnumName(E.PendingActivityState as unknown as Record<string, unknown>, a.state, 'PENDING_ACTIVITY_STATE_'),
        a.maximumAttempts ? `${a.attempt ?? 1} of ${a.maximumAttempts}` : String(a.attempt ?? 1),
        a.lastFailure ? failureText(a.lastFailure) : '-',
      ]),
      '  ',
    ));
  }
  const children = res.pendingChildren ?? [];
  print(`\nPending children: ${children.length}`);
  if (children.length > 0) {
    print(table(['WORKFLOW ID', 'RUN ID', 'TYPE'], children.map((c) => [c.workflowId ?? '', c.runId ?? '', c.workflowTypeName ?? '']), '  '));
  }
  return 0;
}
