/**
 * Workflow update RPCs: UpdateWorkflowExecution, PollWorkflowExecutionUpdate and
 * update-with-start through ExecuteMultiOperation. An update is admitted into its run
 * (deduplicated by update id per run), carried to the worker by workflow tasks (see
 * update-protocol.ts), and the caller waits for the stage it asked for. When that stage
 * is not reached before the caller's deadline, the answer names the stage reached so
 * far, and the official client asks again, as it does with Temporal Server.
 */
import * as grpc from '@grpc/grpc-js';
import type { Engine } from './engine';
import { checkBlobSize, Enums, requireId } from './common';
import { ServiceError, echo, invalidArgument, notFound } from './service-error';
import { isOpen, type ExecutionState } from './state';
import { scheduleWorkflowTask } from './workflows';
import { startWorkflowExecution } from './workflow-api';
import { findUpdate, newUpdate, settledUpdate, stageOf } from './update-registry';

const Stage = Enums.UpdateWorkflowExecutionLifecycleStage;

export interface WaitContext {
  holdMs: number;
  onCancel(cb: () => void): void;
}

const closedError = () =>
  notFound('workflow execution already completed', {
    typeName: 'temporal.api.errordetails.v1.NotFoundFailure',
    value: { currentCluster: 'active', activeCluster: 'active' },
  });

function checkRequest(engine: Engine, req: Record<string, any>): string {
  const updateId = requireId(req.request?.meta?.updateId, 'request.meta.updateId');
  if (!req.request?.input?.name) throw invalidArgument('`request.input.name` is required: pass the name of the update handler.');
  checkBlobSize(engine.blobSizeLimitBytes, 'request.input.args', req.request.input.args);
  return updateId;
}

/** Admits the update into its run (or finds it, when the id is known); runs inside `engine.mutate`. */
function admit(engine: Engine, exec: ExecutionState, updateId: string, request: Record<string, any>): void {
  if (findUpdate(exec, updateId) || settledUpdate(engine, exec.runId, updateId)) return;
  if (!isOpen(exec)) throw closedError();
  newUpdate(exec, updateId, request);
  engine.touch(exec);
  // A task already scheduled (not started) carries it; a running one is followed by a new task.
  if (!exec.wft) scheduleWorkflowTask(engine, exec);
}

function response(exec: ExecutionState, updateId: string, stage: number, outcome?: object): object {
  return { updateRef: { workflowExecution: { workflowId: exec.workflowId, runId: exec.runId }, updateId }, stage, outcome };
}

/**
 * Waits until the update reaches `wanted` (or ends), at most `ctx.holdMs`; then answers
 * with the stage reached.
 */
function waitForStage(engine: Engine, exec: ExecutionState, updateId: string, wanted: number, ctx: WaitContext): Promise<object> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      fn();
    };
    const current = (): { stage: number; outcome?: object; error?: ServiceError } | undefined => {
      const live = engine.executions.get(exec.runId);
      const rec = live && findUpdate(live, updateId);
      if (rec) return { stage: stageOf(rec), outcome: rec.outcome };
      const settled = settledUpdate(engine, exec.runId, updateId);
      if (!settled) return undefined;
      if ('error' in settled) return { stage: 0, error: settled.error };
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: settled.outcome };
    };
    const check = () => {
      const now = current();
      if (!now) return finish(() => reject(notFound(`update "${echo(updateId)}" not found`)));
      if (now.error) return finish(() => reject(now.error));
      if (now.stage >= wanted || engine.closed) return finish(() => resolve(response(exec, updateId, now.stage, now.outcome)));
      unsubscribe = engine.onNextEvent(exec.runId, check);
    };
    const timer = setTimeout(() => {
      const now = current();
      finish(() =>
        now?.error
          ? reject(now.error)
          : resolve(response(exec, updateId, now?.stage ?? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED, now?.outcome)),
      );
    }, ctx.holdMs);
    ctx.onCancel(() => finish(() => reject(new ServiceError(grpc.status.CANCELLED, 'the caller cancelled the update call'))));
    check();
  });
}

function wantedStage(req: Record<string, any>): number {
  const s = Number(req.waitPolicy?.lifecycleStage ?? 0);
  return s > 0 ? s : Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
}

export function updateWorkflowExecution(engine: Engine, req: Record<string, any>, ctx: WaitContext): Promise<object> {
  engine.namespace(req.namespace);
  const updateId = checkRequest(engine, req);
  const exec = engine.mutate(() => {
    const run = engine.requireRun(req.namespace, req.workflowExecution);
    if (req.firstExecutionRunId && run.firstRunId !== req.firstExecutionRunId) {
      throw notFound(`workflow execution not found for workflow ID "${echo(run.workflowId)}" and first execution run ID "${echo(req.firstExecutionRunId)}"`);
    }
    admit(engine, run, updateId, req.request);
    return run;
  });
  return waitForStage(engine, exec, updateId, wantedStage(req), ctx);
}

export function pollWorkflowExecutionUpdate(engine: Engine, req: Record<string, any>, ctx: WaitContext): Promise<object> {
  engine.namespace(req.namespace);
  const updateId = requireId(req.updateRef?.updateId, 'updateRef.updateId');
  const exec = engine.requireRun(req.namespace, req.updateRef?.workflowExecution);
  if (!findUpdate(exec, updateId) && !settledUpdate(engine, exec.runId, updateId)) throw notFound(`update "${echo(updateId)}" not found`);
  const wanted = Number(req.waitPolicy?.lifecycleStage ?? 0);
  return waitForStage(engine, exec, updateId, wanted, ctx);
}

/**
 * Update-with-start: operation 0 starts the workflow (or, with conflict policy
 * USE_EXISTING, finds the running one), operation 1 updates it. Both happen in one
 * change, so the first workflow task already carries the update.
 */
export async function executeMultiOperation(engine: Engine, req: Record<string, any>, ctx: WaitContext): Promise<object> {
  engine.namespace(req.namespace);
  const ops: Array<Record<string, any>> = req.operations ?? [];
  if (ops.length !== 2 || !ops[0]?.startWorkflow || !ops[1]?.updateWorkflow) {
    throw invalidArgument('`operations` must be exactly [ { startWorkflow }, { updateWorkflow } ] (update-with-start); no other combination is supported.');
  }
  const start = { ...ops[0].startWorkflow, namespace: req.namespace };
  const update = { ...ops[1].updateWorkflow, namespace: req.namespace };
  const updateId = checkRequest(engine, update);
  if (update.workflowExecution?.workflowId && update.workflowExecution.workflowId !== start.workflowId)
    throw invalidArgument("`operations[1].updateWorkflow.workflowExecution.workflowId` must equal the start operation's `workflowId`.");
  if (update.workflowExecution?.runId) throw invalidArgument('`operations[1].updateWorkflow.workflowExecution.runId` must be empty for update-with-start.');
  if (!start.workflowIdConflictPolicy)
    throw invalidArgument('`operations[0].startWorkflow.workflowIdConflictPolicy` must be set for update-with-start (USE_EXISTING or FAIL).');
  const { startResponse, exec } = engine.mutate(() => {
    let startResponse: Record<string, any>;
    try {
      startResponse = startWorkflowExecution(engine, start) as Record<string, any>;
    } catch (err) {
      throw multiOperationError(err);
    }
    const exec = engine.findRun(req.namespace, start.workflowId)!;
    admit(engine, exec, updateId, update.request);
    return { startResponse, exec };
  });
  const updateResponse = await waitForStage(engine, exec, updateId, wantedStage(update), ctx);
  return { responses: [{ startWorkflow: startResponse }, { updateWorkflow: updateResponse }] };
}

/** A failed start, as Temporal reports a multi-operation failure: the start's status, the update aborted. */
function multiOperationError(err: unknown): unknown {
  if (!(err instanceof ServiceError)) return err;
  return new ServiceError(err.status, err.message, {
    typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
    value: {
      statuses: [
        { code: err.status, message: err.message, details: [] },
        { code: grpc.status.ABORTED, message: 'Operation was aborted.', details: [] },
      ],
    },
  });
}
