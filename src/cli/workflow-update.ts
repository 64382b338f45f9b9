/**
 * `bastion workflow update execute`, as the Temporal CLI's `temporal workflow update
 * execute`: sends an update, waits for it to complete and prints its result. The
 * shorter `bastion workflow update --name …` is accepted too.
 */
import { randomUUID } from 'node:crypto';
import { CliError } from '../common/errors';
import { temporal } from '../common/proto';
import { parseFlags, wantsHelp } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { emit, failureText, print } from './output';
import { EXECUTION_FLAGS, executionFromFlags } from './workflow-describe';
import { encodeInput, INPUT_FLAGS, INPUT_FLAGS_HELP, inputPayloads, payloadValues, remoteCodec, singleOrList } from './workflow-payloads';
import { required } from './workflow-result';

export const WORKFLOW_UPDATE_HELP = `Usage: bastion workflow update execute --workflow-id ID --name UPDATE [--input JSON]... [flags]

Sends an update to a workflow execution, waits for it to complete (a worker must be
polling the workflow's task queue) and prints its result, decoded with --codec-endpoint
when given. The Temporal CLI spells it \`temporal workflow update execute\`; Bastion
accepts \`bastion workflow update --name ...\` as well.

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)
  --name UPDATE           the update name (required); --type is accepted too
${INPUT_FLAGS_HELP}
  --update-id ID          the update id (default: a random UUID); the same id is applied once
  --first-execution-run-id RUN
                          send only if the workflow's first run is RUN

${CONNECTION_FLAGS_HELP}
Example:
  bastion workflow update execute -w order-1 --name addItem --input '"book"' --output json
`;

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

export async function workflowUpdate(argv: string[]): Promise<number> {
  const args = argv[0] === 'execute' ? argv.slice(1) : argv;
  if (argv[0] && !argv[0].startsWith('-') && argv[0] !== 'execute') {
    throw new CliError('ERR_CLI_USAGE', `\`bastion workflow update ${argv[0]}\` is not supported; use \`bastion workflow update execute\`.`);
  }
  if (wantsHelp(args)) {
    print(WORKFLOW_UPDATE_HELP);
    return 0;
  }
  const flags = parseFlags(
    args,
    {
      ...CONNECTION_FLAGS,
      ...EXECUTION_FLAGS,
      name: { value: true },
      type: { value: true },
      ...INPUT_FLAGS,
      'update-id': { value: true },
      'first-execution-run-id': { value: true },
    },
    'workflow update execute',
  );
  if (flags.name === undefined && typeof flags.type === 'string') flags.name = flags.type;
  const name = required(flags, 'name', 'the update to send (the name of an update handler)');
  const execution = executionFromFlags(flags);
  const updateId = typeof flags['update-id'] === 'string' ? flags['update-id'] : randomUUID();
  const payloads = inputPayloads(flags);
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const codec = remoteCodec(settings);
  const outcome = await withConnection(settings, async (connection) => {
    const input = await encodeInput(payloads, codec);
    const svc = connection.workflowService;
    const fail = (err: unknown) => Promise.reject(callFailed(err, { rpc: 'UpdateWorkflowExecution', namespace, ...execution }));
    let res;
    do {
      res = await svc
        .updateWorkflowExecution({
          namespace,
          workflowExecution: execution,
          firstExecutionRunId: typeof flags['first-execution-run-id'] === 'string' ? flags['first-execution-run-id'] : undefined,
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
          request: { meta: { updateId, identity: 'bastion-cli' }, input: { name, args: input.length > 0 ? { payloads: input } : undefined } },
        })
        .catch(fail);
    } while (Number(res.stage ?? 0) < Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    let found = res.outcome;
    const runId = res.updateRef?.workflowExecution?.runId ?? execution.runId;
    while (!found) {
      const polled = await svc
        .pollWorkflowExecutionUpdate({
          namespace,
          updateRef: { workflowExecution: { workflowId: execution.workflowId, runId }, updateId },
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
        })
        .catch(fail);
      found = polled.outcome;
    }
    if (found.failure) return { failure: found.failure };
    return { values: await payloadValues(found.success?.payloads, codec) };
  });
  if ('failure' in outcome) {
    throw new CliError('ERR_CLI_CALL_FAILED', `Update ${name} (id ${updateId}) of workflow ${execution.workflowId} failed: ${failureText(outcome.failure)}`);
  }
  const value = singleOrList(outcome.values);
  emit(
    settings.output,
    { name, updateId, result: value },
    () => `Update result:\n  Name      ${name}\n  UpdateID  ${updateId}\n  Result    ${JSON.stringify(value) ?? 'undefined'}`,
  );
  return 0;
}
