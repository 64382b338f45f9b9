/**
 * `bastion workflow query`, `workflow stack` (the built-in `__stack_trace` query) and
 * `workflow count`, as the Temporal CLI's commands of the same names.
 */
import { CliError } from '../common/errors';
import { temporal, toNumber } from '../common/proto';
import { parseFlags, wantsHelp, type Flags } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { emit, print } from './output';
import { statusName } from './workflow-list';
import { EXECUTION_FLAGS, executionFromFlags } from './workflow-describe';
import { encodeInput, INPUT_FLAGS, INPUT_FLAGS_HELP, inputPayloads, payloadValues, remoteCodec, singleOrList } from './workflow-payloads';
import { required } from './workflow-result';

export const WORKFLOW_QUERY_HELP = `Usage: bastion workflow query --workflow-id ID --name QUERY [--input JSON]... [flags]

Queries a workflow execution (a worker must be polling its task queue) and prints the
answer, decoded with --codec-endpoint when given.

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)
  --name QUERY            the query type (required); --type is accepted too
${INPUT_FLAGS_HELP}
  --reject-condition C    not_open | not_completed_cleanly: refuse to query a run in that state

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow query -w order-1 --name status --output json
`;

export const WORKFLOW_STACK_HELP = `Usage: bastion workflow stack --workflow-id ID [--run-id RUN] [flags]

Asks the workflow's worker what the workflow is waiting on (the built-in __stack_trace
query): Bastion's worker lists pending timers, activities, child workflows and conditions;
the official worker answers with JavaScript stack traces.

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow stack -w order-1
`;

export const WORKFLOW_COUNT_HELP = `Usage: bastion workflow count [--query QUERY] [flags]

Counts workflow executions, optionally those matching a list filter.

Flags:
  -q, --query QUERY       a list filter, e.g. "ExecutionStatus = 'Running'"

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow count --query "WorkflowType = 'order'"
`;

const E = temporal.api.enums.v1;
const REJECT: Record<string, number> = {
  not_open: E.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN,
  not_completed_cleanly: E.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY,
};

interface QueryAnswer {
  values: unknown[];
  rejected?: string;
}

async function runQuery(flags: Flags, queryType: string): Promise<{ answer: QueryAnswer; output: ReturnType<typeof operatorSettings>['output'] }> {
  const execution = executionFromFlags(flags);
  const rejectFlag = flags['reject-condition'] as string | undefined;
  if (rejectFlag !== undefined && REJECT[rejectFlag] === undefined)
    throw new CliError('ERR_CLI_USAGE', `\`--reject-condition\` must be not_open or not_completed_cleanly, got "${rejectFlag}".`);
  const payloads = inputPayloads(flags);
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const codec = remoteCodec(settings);
  const answer = await withConnection(settings, async (connection) => {
    const args = await encodeInput(payloads, codec);
    const res = await connection.workflowService
      .queryWorkflow({
        namespace,
        execution,
        query: { queryType, queryArgs: args.length > 0 ? { payloads: args } : undefined },
        queryRejectCondition: rejectFlag ? REJECT[rejectFlag] : undefined,
      })
      .catch((err: unknown) => Promise.reject(queryFailed(err, queryType, namespace, execution)));
    if (res.queryRejected) return { values: [], rejected: statusName(res.queryRejected.status) };
    return { values: await payloadValues(res.queryResult?.payloads, codec) };
  });
  return { answer, output: settings.output };
}

function queryFailed(err: unknown, queryType: string, namespace: string, execution: { workflowId: string; runId?: string }): unknown {
  const e = err as { code?: unknown; details?: unknown };
  // The worker's answer to an unknown query type or a handler that threw comes back as INVALID_ARGUMENT.
  if (e?.code === 3 && typeof e.details === 'string') {
    return new CliError('ERR_CLI_CALL_FAILED', `Query ${queryType} of workflow ${execution.workflowId} failed: ${e.details}`, { cause: err });
  }
  return callFailed(err, { rpc: 'QueryWorkflow', namespace, ...execution });
}

export async function workflowQuery(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_QUERY_HELP);
    return 0;
  }
  const flags = parseFlags(
    argv,
    { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS, name: { value: true }, type: { value: true }, ...INPUT_FLAGS, 'reject-condition': { value: true } },
    'workflow query',
  );
  if (flags.name === undefined && typeof flags.type === 'string') flags.name = flags.type;
  const queryType = required(flags, 'name', 'the query type to ask (the name of a query handler)');
  const { answer, output } = await runQuery(flags, queryType);
  if (answer.rejected) {
    emit(output, { queryRejected: answer.rejected }, () => `Query rejected: the workflow is ${answer.rejected}.`);
    return 1;
  }
  const value = singleOrList(answer.values);
  emit(output, { queryResult: value }, () => `Query result:\n  ${JSON.stringify(value) ?? 'undefined'}`);
  return 0;
}

export async function workflowStack(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_STACK_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS }, 'workflow stack');
  const { answer, output } = await runQuery(flags, '__stack_trace');
  const value = singleOrList(answer.values);
  emit(output, { stackTrace: value }, () =>
    typeof value === 'string' ? (value === '' ? '(the worker sent an empty stack trace)' : value) : JSON.stringify(value, null, 2),
  );
  return 0;
}

export async function workflowCount(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_COUNT_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, query: { value: true, alias: 'q' } }, 'workflow count');
  const query = (flags.query as string | undefined) ?? '';
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const res = await withConnection(settings, (connection) =>
    connection.workflowService
      .countWorkflowExecutions({ namespace, query })
      .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'CountWorkflowExecutions', namespace }))),
  );
  const count = toNumber(res.count);
  emit(settings.output, { count }, () => `Total: ${count}`);
  return 0;
}
