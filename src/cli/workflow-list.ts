/** `bastion workflow list`: workflow executions, optionally filtered by a list query. */
import { CliError } from '../common/errors';
import { lookupType, temporal } from '../common/proto';
import type { TemporalTypes } from '../common/proto';
import { writeMessage, type ReflectedType } from '../converter/proto-json';
import { parseFlags, wantsHelp } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { emit, isoTime, print, shortEnumName, table } from './output';

export const WORKFLOW_LIST_HELP = `Usage: bastion workflow list [--query QUERY] [--limit N] [flags]

Lists workflow executions, newest first.

Flags:
  -q, --query QUERY       a list filter, e.g. "WorkflowType = 'order' AND ExecutionStatus = 'Running'"
  --limit N               print at most N executions (default: all)

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow list --query "ExecutionStatus = 'Failed'" --limit 20
`;

/** The largest page asked of the server. */
const PAGE_SIZE = 1000;

type ExecutionInfo = TemporalTypes.api.workflow.v1.IWorkflowExecutionInfo;

/** A status as the Temporal CLI prints it: `Running`, `Completed`, `ContinuedAsNew`. */
export function statusName(status: unknown): string {
  return shortEnumName(temporal.api.enums.v1.WorkflowExecutionStatus as unknown as Record<string, unknown>, status, 'WORKFLOW_EXECUTION_STATUS_');
}

export async function workflowList(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_LIST_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, query: { value: true, alias: 'q' }, limit: { value: true } }, 'workflow list');
  const limit = flags.limit === undefined ? Infinity : Number(flags.limit);
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1))
    throw new CliError('ERR_CLI_USAGE', `\`--limit\` must be a whole number of at least 1, got "${flags.limit}".`);
  const query = (flags.query as string | undefined) ?? '';
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const executions: ExecutionInfo[] = [];
  await withConnection(settings, async (connection) => {
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await connection.workflowService
        .listWorkflowExecutions({ namespace, query, pageSize: Math.min(PAGE_SIZE, limit - executions.length), nextPageToken })
        .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'ListWorkflowExecutions', namespace })));
      executions.push(...(res.executions ?? []).slice(0, limit - executions.length));
      nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    } while (nextPageToken && executions.length < limit);
  });
  if (settings.output !== 'text') {
    const type = lookupType('temporal.api.workflow.v1.WorkflowExecutionInfo') as unknown as ReflectedType;
    emit(
      settings.output,
      executions.map((e) => writeMessage(type, e as Record<string, unknown>)),
      () => undefined,
    );
    return 0;
  }
  if (executions.length === 0) {
    print(`No workflow executions in namespace ${namespace}${query ? ` match ${JSON.stringify(query)}` : ''}.`);
    return 0;
  }
  print(
    table(
      ['WORKFLOW ID', 'RUN ID', 'TYPE', 'STATUS', 'START TIME', 'CLOSE TIME'],
      executions.map((e) => [
        e.execution?.workflowId ?? '',
        e.execution?.runId ?? '',
        e.type?.name ?? '',
        statusName(e.status),
        isoTime(e.startTime),
        isoTime(e.closeTime),
      ]),
    ),
  );
  return 0;
}
