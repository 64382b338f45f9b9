/**
 * Workflow update RPCs: UpdateWorkflowExecution, PollWorkflowExecutionUpdate and
 * update-with-start through ExecuteMultiOperation. An update is admitted into its run
 * (deduplicated by update id per run), carried to the worker by workflow tasks (see
 * update-protocol.ts), and the caller waits for the stage it asked for. When that stage
 * is not reached before the caller's deadline, the answer names the stage reached so
 * far, and the official client asks again, as it does with Temporal Server.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { checkBlobSize, Enums } from './common';
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

/** Temporal's limit on ids (`limit.maxIDLength`), update ids included. */
const MAX_UPDATE_ID_CHARS = 1000;

/**
 * Checks an update request as Temporal's frontend does, and returns its update id. An
 * empty id is replaced by a random UUID (written into the request), as Temporal does.
 * Waiting for ADMITTED only is refused with PERMISSION_DENIED, as Temporal refuses it.
 */
function checkRequest(engine: Engine, req: Record<string, any>): string {
  const meta = req.request?.meta;
  if (!meta) throw invalidArgument('`request.meta` is required: it carries the `updateId` (leave the id empty for the server to choose one).');
  const given = typeof meta.updateId === 'string' ? meta.updateId : '';
  if (given.length > MAX_UPDATE_ID_CHARS) {
    throw invalidArgument(`\`request.meta.updateId\` is ${given.length} characters long; the limit is ${MAX_UPDATE_ID_CHARS}. Use a shorter id.`);
  }
  const updateId = given || (meta.updateId = randomUUID());
  if (!req.request.input) throw invalidArgument('`request.input` is required: it carries the name of the update handler and its arguments.');
  if (!req.request.input.name) throw invalidArgument('`request.input.name` is required: pass the name of the update handler.');
  if (Number(req.waitPolicy?.lifecycleStage ?? 0) === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
    throw new ServiceError(
      grpc.status.PERMISSION_DENIED,
      '`waitPolicy.lifecycleStage` ADMITTED is not supported: Temporal does not wait for an update to be only admitted. Wait for ACCEPTED or COMPLETED; a call whose deadline nears is answered with the stage reached.',
    );
  }
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
  if (!req.updateRef) throw invalidArgument('`updateRef` is required: pass the workflow execution and the `updateId` to wait for.');
  const updateId = typeof req.updateRef.updateId === 'string' ? req.updateRef.updateId : '';
  const exec = engine.requireRun(req.namespace, req.updateRef.workflowExecution);
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
  // Bad input in one operation fails it and aborts the other, as Temporal answers.
  const updateId = asOperation(1, () => {
    const id = checkRequest(engine, update);
    if (update.workflowExecution?.workflowId && update.workflowExecution.workflowId !== start.workflowId)
      throw invalidArgument("`operations[1].updateWorkflow.workflowExecution.workflowId` must equal the start operation's `workflowId`.");
    if (update.workflowExecution?.runId) throw invalidArgument('`operations[1].updateWorkflow.workflowExecution.runId` must be empty for update-with-start.');
    return id;
  });
  asOperation(0, () => {
    if (!start.workflowIdConflictPolicy)
      throw invalidArgument('`operations[0].startWorkflow.workflowIdConflictPolicy` must be set for update-with-start (USE_EXISTING or FAIL).');
  });
  const { startResponse, exec } = engine.mutate(() => {
    const startResponse = asOperation(0, () => startWorkflowExecution(engine, start) as Record<string, any>);
    const exec = engine.findRun(req.namespace, start.workflowId)!;
    admit(engine, exec, updateId, update.request);
    return { startResponse, exec };
  });
  const updateResponse = await waitForStage(engine, exec, updateId, wantedStage(update), ctx);
  return { responses: [{ startWorkflow: startResponse }, { updateWorkflow: updateResponse }] };
}

/**
 * Runs one operation's step of a multi-operation; a failure fails that operation with its
 * status, and the other is aborted, in a `MultiOperationExecutionFailure` detail as
 * Temporal answers.
 */
function asOperation<T>(index: 0 | 1, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    const failed = { code: err.status, message: err.message, details: [] };
    const aborted = { code: grpc.status.ABORTED, message: 'Operation was aborted.', details: [] };
    throw new ServiceError(err.status, err.message, {
      typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
      value: { statuses: index === 0 ? [failed, aborted] : [aborted, failed] },
    });
  }
}
