/**
 * Queries: QueryWorkflow hands a query task to a worker (on the run's sticky queue when
 * it has one, else the normal queue with the full history) and waits for
 * RespondQueryTaskCompleted. Queries are not persisted: a restart drops them and the
 * caller sees an error, as with a lost connection.
 */
import { serverNow } from './clock';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Engine } from './engine';
import type { PollRequestInfo, TaskRef } from './matching';
import { Enums, checkBlobSize, ts } from './common';
import { encodeTaskToken, openTaskToken } from './task-token';
import { ServiceError, failedPrecondition, invalidArgument, notFound, echo } from './service-error';
import { fieldViolation, limitsOf } from './request-limits';
import { isOpen, type ExecutionState } from './state';

interface PendingQuery {
  id: string;
  runId: string;
  query: Record<string, any>;
  resolve(result: object): void;
  reject(err: Error): void;
  taken: boolean;
}

const pending = new WeakMap<Engine, Map<string, PendingQuery>>();

function queriesOf(engine: Engine): Map<string, PendingQuery> {
  let m = pending.get(engine);
  if (!m) {
    m = new Map();
    pending.set(engine, m);
  }
  return m;
}

export async function queryWorkflow(engine: Engine, req: Record<string, any>, onCancel: (cb: () => void) => void, timeoutMs: number): Promise<object> {
  engine.namespace(req.namespace);
  const exec = engine.requireRun(req.namespace, req.execution);
  if (!req.query?.queryType) throw invalidArgument('`query.queryType` is required.');
  checkBlobSize(engine.blobSizeLimitBytes, 'query.queryArgs', req.query.queryArgs);
  const R = Enums.QueryRejectCondition;
  if (req.queryRejectCondition === R.QUERY_REJECT_CONDITION_NOT_OPEN && !isOpen(exec)) return Promise.resolve({ queryRejected: { status: exec.status } });
  if (
    req.queryRejectCondition === R.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
    !isOpen(exec) &&
    exec.status !== Enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
  ) {
    return Promise.resolve({ queryRejected: { status: exec.status } });
  }
  // As Temporal: a run whose workflow task keeps failing cannot answer; say so at once, with why.
  if (isOpen(exec) && exec.wft && exec.wft.attempt > 1 && exec.lastWorkflowTaskFailure !== undefined) {
    throw failedPrecondition(
      `Cannot query workflow due to Workflow Task in failed state (attempt ${exec.wft.attempt}): ${echo(exec.lastWorkflowTaskFailure, 400)}`,
    );
  }
  if (isOpen(exec) && exec.lastCompletedStartedEventId === 0) await firstTaskCompleted(engine, exec, timeoutMs, onCancel);
  const id = randomUUID();
  return new Promise<object>((resolve, reject) => {
    const q: PendingQuery = { id, runId: exec.runId, query: req.query, resolve, reject, taken: false };
    const all = queriesOf(engine);
    all.set(id, q);
    const timer = setTimeout(() => {
      all.delete(id);
      reject(
        new ServiceError(
          grpc.status.DEADLINE_EXCEEDED,
          `No worker answered query "${req.query.queryType}" in time; is a worker polling task queue "${echo(exec.taskQueue)}"?`,
        ),
      );
    }, timeoutMs);
    const settle = () => clearTimeout(timer);
    q.resolve = (r) => {
      settle();
      all.delete(id);
      resolve(r);
    };
    q.reject = (e) => {
      settle();
      all.delete(id);
      reject(e);
    };
    onCancel(() => {
      settle();
      all.delete(id);
    });
    const queue = isOpen(exec) && exec.sticky ? exec.sticky.queue : exec.taskQueue;
    engine.mutate(() => engine.dispatch(exec.namespace, 'workflow', queue, { type: 'query', runId: exec.runId, scheduledEventId: 0, attempt: 0, queryId: id }));
  });
}

/**
 * A run answers queries once its first workflow task completed; until then the query
 * waits (as Temporal's does), up to the caller's deadline.
 */
function firstTaskCompleted(engine: Engine, exec: ExecutionState, timeoutMs: number, onCancel: (cb: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        failedPrecondition(
          `The workflow has not completed its first workflow task, so it cannot answer queries yet; is a worker polling task queue "${echo(exec.taskQueue)}"?`,
        ),
      );
    }, timeoutMs);
    const check = () => {
      if (!isOpen(exec) || exec.lastCompletedStartedEventId > 0 || engine.closed) {
        clearTimeout(timer);
        resolve();
      } else if (exec.lastWorkflowTaskFailure !== undefined) {
        clearTimeout(timer);
        reject(failedPrecondition(`Cannot query workflow due to Workflow Task in failed state: ${echo(exec.lastWorkflowTaskFailure, 400)}`));
      } else unsubscribe = engine.onNextEvent(exec.runId, check);
    };
    onCancel(() => {
      clearTimeout(timer);
      unsubscribe();
    });
    check();
  });
}

/** Hands a query task to a poller; null when nobody waits for it any more. */
export function startQueryTask(engine: Engine, exec: ExecutionState, task: TaskRef, poll: PollRequestInfo): object | null {
  const q = queriesOf(engine).get(task.queryId!);
  if (!q || q.taken) return null;
  q.taken = true;
  const all = engine.history(exec.runId);
  const sticky = isOpen(exec) && exec.sticky?.queue === poll.queue;
  const events = sticky ? all.slice(exec.lastCompletedStartedEventId) : all.slice();
  return {
    taskToken: encodeTaskToken(engine.tokens, { k: 'q', n: exec.namespace, r: exec.runId, s: 0, a: 0, q: q.id }),
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: exec.workflowType },
    previousStartedEventId: exec.lastCompletedStartedEventId,
    startedEventId: exec.lastCompletedStartedEventId,
    attempt: 1,
    history: { events },
    query: q.query,
    workflowExecutionTaskQueue: { name: exec.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduledTime: ts(serverNow()),
    startedTime: ts(serverNow()),
  };
}

export function respondQueryTaskCompleted(engine: Engine, req: Record<string, any>): object {
  const t = openTaskToken(engine.tokens, req.taskToken, 'q', req.namespace);
  const q = queriesOf(engine).get(t.q ?? '');
  if (!q) throw notFound('Query task not found: the query was answered already, or its caller gave up.');
  const limits = limitsOf(engine);
  const over =
    fieldViolation('temporal.api.common.v1.Payloads', req.queryResult, 'queryResult', limits) ??
    fieldViolation('temporal.api.failure.v1.Failure', req.failure, 'failure', limits);
  if (over) {
    // As Temporal: an answer too large to send back fails the query, and the worker is done with it.
    q.reject(
      new ServiceError(grpc.status.INVALID_ARGUMENT, `The query answer is too large: ${over.message}`, {
        typeName: 'temporal.api.errordetails.v1.QueryFailedFailure',
        value: {},
      }),
    );
    return {};
  }
  if (req.completedType === Enums.QueryResultType.QUERY_RESULT_TYPE_FAILED) {
    q.reject(
      new ServiceError(grpc.status.INVALID_ARGUMENT, req.errorMessage || 'query failed', {
        typeName: 'temporal.api.errordetails.v1.QueryFailedFailure',
        value: req.failure ? { failure: req.failure } : {},
      }),
    );
  } else {
    q.resolve({ queryResult: req.queryResult });
  }
  return {};
}

/** Fails every waiting query (server shutting down). */
export function rejectAllQueries(engine: Engine, err: Error): void {
  for (const q of [...queriesOf(engine).values()]) q.reject(err);
}
