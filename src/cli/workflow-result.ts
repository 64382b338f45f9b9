/**
 * `bastion workflow result`: waits for an execution to close (following continue-as-new
 * and retries to the last run) and prints its result or failure, as `temporal workflow
 * result`. `workflow execute` ends the same way.
 */
import type { PayloadCodec } from '../../codecs/payload-codec';
import { CliError } from '../common/errors';
import { temporal, toNumber } from '../common/proto';
import type { Connection } from '../connection/connection';
import type { ProtoFailure } from '../converter';
import { parseFlags, wantsHelp } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection, type OperatorSettings } from './operator-options';
import { emit, failureText, fields, print } from './output';
import { decodePayloadsIn } from './remote-codec';
import { EXECUTION_FLAGS, executionFromFlags } from './workflow-describe';
import { payloadValues, remoteCodec, singleOrList } from './workflow-payloads';

export const WORKFLOW_RESULT_HELP = `Usage: bastion workflow result --workflow-id ID [--run-id RUN] [flags]

Waits for a workflow execution to close and prints its result (decoded with
--codec-endpoint when given), or its failure. Follows continue-as-new and retries to the
last run. Exit code 1 when the workflow did not complete (failed, cancelled, terminated,
timed out).

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow result --workflow-id order-1234 --output json
`;

const ET = temporal.api.enums.v1.EventType;
const CLOSE_STATUS: Readonly<Record<number, string>> = {
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'COMPLETED',
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]: 'FAILED',
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED]: 'CANCELED',
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]: 'TERMINATED',
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]: 'TIMED_OUT',
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW]: 'CONTINUED_AS_NEW',
};

/** How an execution ended, as `--output json` prints it. */
export interface ExecutionOutcome {
  workflowId: string;
  runId: string;
  status: string;
  /** The result's value (one payload) or values (several); present when COMPLETED. */
  result?: unknown;
  /** The failure in one line, for FAILED; the reason for TERMINATED. */
  failure?: string;
  /** The failure as the server sent it (payloads decoded), for FAILED. */
  failureDetails?: unknown;
}

type Attributes = Record<string, any>;

/** Waits for the close event of the last run of `workflowId`, starting at `runId`. */
export async function awaitOutcome(
  connection: Connection,
  namespace: string,
  workflowId: string,
  runId: string | undefined,
  codec: PayloadCodec | undefined,
): Promise<ExecutionOutcome> {
  let run = runId;
  for (;;) {
    let event: Record<string, any> | undefined;
    let token: Uint8Array | undefined;
    while (!event) {
      const res = await connection.workflowService
        .getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId, runId: run },
          waitNewEvent: true,
          nextPageToken: token,
          historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        })
        .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'GetWorkflowExecutionHistory', namespace, workflowId, runId: run })));
      event = (res.history?.events ?? [])[0] as Record<string, any> | undefined;
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    }
    const type = toNumber(event.eventType);
    const key = Object.keys(event).find((k) => k.endsWith('EventAttributes') && event![k]);
    const a: Attributes = (key ? event[key] : undefined) ?? {};
    if (a.newExecutionRunId && type !== ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
      run = a.newExecutionRunId;
      continue;
    }
    const outcome: ExecutionOutcome = { workflowId, runId: run ?? '', status: CLOSE_STATUS[type] ?? String(type) };
    if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) outcome.result = singleOrList(await payloadValues(a.result?.payloads, codec));
    else if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED) {
      const failure = a.failure as ProtoFailure;
      if (codec) await decodePayloadsIn(failure, codec);
      outcome.failure = failureText(failure, 500);
      outcome.failureDetails = {
        message: failure?.message ?? '',
        type: (failure as { applicationFailureInfo?: { type?: string } })?.applicationFailureInfo?.type || undefined,
      };
    } else if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) outcome.failure = `terminated${a.reason ? `: ${a.reason}` : ''}`;
    else if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED) outcome.failure = 'cancelled';
    else if (type === ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT) outcome.failure = 'timed out';
    return outcome;
  }
}

/** The run id of the current run, when the caller did not name one (for output). */
export async function currentRunId(connection: Connection, namespace: string, workflowId: string): Promise<string> {
  const res = await connection.workflowService
    .describeWorkflowExecution({ namespace, execution: { workflowId } })
    .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'DescribeWorkflowExecution', namespace, workflowId })));
  return res.workflowExecutionInfo?.execution?.runId ?? '';
}

/** Prints an outcome and returns the exit code: 0 completed, 1 anything else. */
export function printOutcome(settings: OperatorSettings, outcome: ExecutionOutcome): number {
  emit(settings.output, outcome, () => {
    const rows: Array<[string, string]> = [
      ['Status', outcome.status],
      ['Run ID', outcome.runId || '-'],
    ];
    if (outcome.status === 'COMPLETED') rows.push(['Result', JSON.stringify(outcome.result) ?? 'undefined']);
    if (outcome.failure) rows.push(['Failure', outcome.failure]);
    return `Results:\n${fields(rows)}`;
  });
  if (outcome.status === 'COMPLETED') return 0;
  if (settings.output !== 'text')
    process.stderr.write(
      `bastion: workflow ${outcome.workflowId} ${outcome.status.toLowerCase().replace('_', ' ')}${outcome.failure ? `: ${outcome.failure}` : ''}\n`,
    );
  return 1;
}

export async function workflowResult(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_RESULT_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS }, 'workflow result');
  const execution = executionFromFlags(flags);
  const settings = operatorSettings(flags);
  const codec = remoteCodec(settings);
  const outcome = await withConnection(settings, async (connection) => {
    const runId = execution.runId ?? (await currentRunId(connection, settings.namespace, execution.workflowId));
    return awaitOutcome(connection, settings.namespace, execution.workflowId, runId, codec);
  });
  return printOutcome(settings, outcome);
}

/** Throws the usage error for a missing required value flag. */
export function required(flags: Record<string, unknown>, name: string, what: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new CliError('ERR_CLI_USAGE', `\`--${name}\` is required: ${what}.`);
  return v;
}
