/**
 * Update-with-start: `client.workflow.executeUpdateWithStart(update, { args,
 * startWorkflowOperation })` starts the workflow (or, with conflict policy USE_EXISTING,
 * finds the running one) and sends the update in one ExecuteMultiOperation call, as the
 * official client does. `startWorkflowOperation.workflowHandle()` resolves once the
 * server answered, whether or not the update succeeds.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { temporal, type TemporalTypes } from '../common/proto';
import { invalidOption } from '../common/errors';
import type { UpdateDefinition, Workflow } from '../common/definitions';
import type { WorkflowClient, WorkflowHandle, WorkflowStartOptions } from './client';
import { WorkflowExecutionAlreadyStartedError } from './errors';
import { encodeStage, updateHandle, updateRequest, updateRpcError, type WorkflowUpdateHandle, type WorkflowUpdateStage } from './update-handle';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** A conflict policy by name (as the official client takes it) or by enum value. */
export type WorkflowIdConflictPolicyName = 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING';

/** Converts a conflict policy name to its enum value (numbers pass through). */
export function conflictPolicyValue(p: number | WorkflowIdConflictPolicyName | undefined): number | undefined {
  if (p === undefined || typeof p === 'number') return p;
  const v = (temporal.api.enums.v1.WorkflowIdConflictPolicy as unknown as Record<string, number>)[`WORKFLOW_ID_CONFLICT_POLICY_${p}`];
  if (v === undefined) throw invalidOption('workflowIdConflictPolicy', `must be FAIL, USE_EXISTING or TERMINATE_EXISTING (got ${JSON.stringify(p)}).`);
  return v;
}

/** How update-with-start starts its workflow; `workflowIdConflictPolicy` is required. */
export class WithStartWorkflowOperation<W extends Workflow = Workflow> {
  private used = false;
  private resolveHandle!: (h: WorkflowHandle<W>) => void;
  private rejectHandle!: (err: unknown) => void;
  private readonly handlePromise: Promise<WorkflowHandle<W>>;

  constructor(
    readonly workflowTypeOrFunc: string | W,
    readonly options: WorkflowStartOptions<W> & { workflowIdConflictPolicy: number | WorkflowIdConflictPolicyName },
  ) {
    this.handlePromise = new Promise((resolve, reject) => {
      this.resolveHandle = resolve;
      this.rejectHandle = reject;
    });
    this.handlePromise.catch(() => undefined);
  }

  /** The started (or existing) workflow's handle, once the server answered. */
  workflowHandle(): Promise<WorkflowHandle<W>> {
    return this.handlePromise;
  }

  /** @internal */
  take(): { resolve: (h: WorkflowHandle<W>) => void; reject: (err: unknown) => void } {
    if (this.used) throw invalidOption('startWorkflowOperation', 'was used already: create a new WithStartWorkflowOperation for each call.');
    this.used = true;
    return { resolve: this.resolveHandle, reject: this.rejectHandle };
  }
}

export interface UpdateWithStartOptions<W extends Workflow = Workflow> {
  args?: unknown[];
  updateId?: string;
  startWorkflowOperation: WithStartWorkflowOperation<W>;
}

/** Sends update-with-start until the update is at least ACCEPTED; returns its handle. */
export async function startUpdateWithStart<Ret, W extends Workflow>(
  client: WorkflowClient,
  def: UpdateDefinition<Ret, any[]> | string,
  o: UpdateWithStartOptions<W> & { waitForStage: WorkflowUpdateStage },
  makeHandle: (workflowId: string, runId: string | undefined) => WorkflowHandle<W>,
): Promise<WorkflowUpdateHandle<Ret>> {
  const op = o?.startWorkflowOperation;
  if (!(op instanceof WithStartWorkflowOperation))
    throw invalidOption(
      'startWorkflowOperation',
      'is required: pass `new WithStartWorkflowOperation(workflow, { workflowId, taskQueue, workflowIdConflictPolicy })`.',
    );
  if (!op.options.workflowIdConflictPolicy)
    throw invalidOption('startWorkflowOperation.options.workflowIdConflictPolicy', 'is required for update-with-start: USE_EXISTING or FAIL.');
  const settle = op.take();
  const workflowId = op.options.workflowId;
  const exec = { workflowId };
  let seen = false;
  try {
    const start = await client.startRequest(op.workflowTypeOrFunc, {
      ...op.options,
      workflowIdConflictPolicy: conflictPolicyValue(op.options.workflowIdConflictPolicy),
    });
    const update = await updateRequest(client, exec, {
      name: typeof def === 'string' ? def : def.name,
      args: o.args ?? [],
      updateId: o.updateId,
      stage: o.waitForStage === 'COMPLETED' ? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED : encodeStage(o.waitForStage),
    });
    let res: TemporalTypes.api.workflowservice.v1.IExecuteMultiOperationResponse;
    let updateRes: TemporalTypes.api.workflowservice.v1.IUpdateWorkflowExecutionResponse | null | undefined;
    do {
      res = await client.connection.workflowService.executeMultiOperation({
        namespace: client.namespace,
        operations: [{ startWorkflow: start as never }, { updateWorkflow: update as never }],
      });
      if (!seen) {
        seen = true;
        settle.resolve(makeHandle(workflowId, res.responses?.[0]?.startWorkflow?.runId ?? undefined));
      }
      updateRes = res.responses?.[1]?.updateWorkflow;
    } while (Number(updateRes?.stage ?? 0) < Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    const runId = updateRes?.updateRef?.workflowExecution?.runId ?? undefined;
    return updateHandle<Ret>(client, update.request.meta.updateId, { workflowId, runId }, updateRes?.outcome ?? undefined);
  } catch (err) {
    let e = err;
    if ((err as { code?: number }).code === grpcStatus.ALREADY_EXISTS) {
      e = new WorkflowExecutionAlreadyStartedError(
        `Workflow execution already started: ${(err as { details?: string }).details ?? ''}`,
        workflowId,
        typeof op.workflowTypeOrFunc === 'string' ? op.workflowTypeOrFunc : op.workflowTypeOrFunc.name,
      );
    } else if ((err as { code?: number }).code !== undefined) e = updateRpcError(err, exec);
    if (!seen) settle.reject(e);
    throw e;
  }
}
