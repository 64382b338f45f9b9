/** `bastion workflow describe`: one execution's status, pending activities and children. */
import { CliError } from '../common/errors';
import { lookupType, temporal, toNumber, type TemporalTypes } from '../common/proto';
import { writeMessage, type ReflectedType } from '../converter/proto-json';
import { parseFlags, wantsHelp, type Flags } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { ago, emit, failureText, fields, isoTime, print, shortEnumName, table, timestampMs } from './output';
import { decodePayloadsIn } from './remote-codec';
import { remoteCodec } from './workflow-payloads';
import { statusName } from './workflow-list';

export const WORKFLOW_DESCRIBE_HELP = `Usage: bastion workflow describe --workflow-id ID [--run-id RUN] [flags]

Shows a workflow execution: status, type, task queue, start and close times, history
length, a workflow task that keeps failing (attempt, cause and last failure), pending
activities (with their attempt and last failure) and pending children.
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
  if (typeof workflowId !== 'string' || workflowId === '')
    throw new CliError('ERR_CLI_USAGE', '`--workflow-id` is required: the id of the workflow execution.');
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
  const { res, lastTaskFailure } = await withConnection(settings, async (connection) => {
    const described = await connection.workflowService
      .describeWorkflowExecution({ namespace, execution })
      .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'DescribeWorkflowExecution', namespace, ...execution })));
    // A workflow task that keeps failing retries silently on the server: show why.
    const attempt = Number(described.pendingWorkflowTask?.attempt ?? 0);
    const failed =
      attempt > 1
        ? await lastWorkflowTaskFailure(connection, namespace, {
            workflowId: execution.workflowId,
            runId: described.workflowExecutionInfo?.execution?.runId ?? execution.runId,
          })
        : undefined;
    return { res: described, lastTaskFailure: failed };
  });
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
  print(
    fields([
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
    ]),
  );
  const activities = res.pendingActivities ?? [];
  print(`\nPending activities: ${activities.length}`);
  if (activities.length > 0) {
    print(
      table(
        ['ACTIVITY ID', 'TYPE', 'STATE', 'ATTEMPT', 'LAST FAILURE'],
        activities.map((a) => [
          a.activityId ?? '',
          a.activityType?.name ?? '',
          shortEnumName(E.PendingActivityState as unknown as Record<string, unknown>, a.state, 'PENDING_ACTIVITY_STATE_'),
          a.maximumAttempts ? `${a.attempt ?? 1} of ${a.maximumAttempts}` : String(a.attempt ?? 1),
          a.lastFailure ? failureText(a.lastFailure) : '-',
        ]),
        '  ',
      ),
    );
  }
  const wft = res.pendingWorkflowTask;
  if (wft && Number(wft.attempt ?? 0) > 1) {
    print(`\nWorkflow task: failing, attempt ${Number(wft.attempt)} (the server retries it until the worker's code or the workflow is fixed)`);
    if (lastTaskFailure) {
      print(
        fields([
          ['Cause', shortEnumName(E.WorkflowTaskFailedCause as unknown as Record<string, unknown>, lastTaskFailure.cause, 'WORKFLOW_TASK_FAILED_CAUSE_')],
          ['Last failure', failureText(lastTaskFailure.failure as never, 400)],
          ['Worker', lastTaskFailure.identity || '-'],
        ]),
      );
    }
  }
  const children = res.pendingChildren ?? [];
  print(`\nPending children: ${children.length}`);
  if (children.length > 0) {
    print(
      table(
        ['WORKFLOW ID', 'RUN ID', 'TYPE'],
        children.map((c) => [c.workflowId ?? '', c.runId ?? '', c.workflowTypeName ?? '']),
        '  ',
      ),
    );
  }
  return 0;
}

/** The last WorkflowTaskFailed event of a run (its cause, failure and the failing worker), if any. */
async function lastWorkflowTaskFailure(
  connection: Parameters<Parameters<typeof withConnection>[1]>[0],
  namespace: string,
  execution: { workflowId: string; runId?: string },
): Promise<TemporalTypes.api.history.v1.IWorkflowTaskFailedEventAttributes | undefined> {
  let last: TemporalTypes.api.history.v1.IWorkflowTaskFailedEventAttributes | undefined;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution, nextPageToken });
    for (const e of page.history?.events ?? []) if (e.workflowTaskFailedEventAttributes) last = e.workflowTaskFailedEventAttributes;
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return last;
}
