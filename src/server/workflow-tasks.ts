/**
 * Workflow tasks: handing a task to a poller (full or sticky partial history), its
 * completion with commands, its failure, and its timeouts.
 */
import { serverNow } from './clock';
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { EventType, makeEvent } from './history';
import type { JsonEvent } from './json-proto';
import type { PollRequestInfo, TaskRef } from './matching';
import { Enums, ms, ts } from './common';
import { encodePageToken, encodeTaskToken, openTaskToken } from './task-token';
import { invalidArgument, notFound } from './service-error';
import { isOpen, type ActivityState, type ExecutionState } from './state';
import { startEagerActivity } from './activities';
import { flushBuffered, scheduleWorkflowTask, terminateRun } from './workflows';
import { fieldViolation, limitsOf } from './request-limits';
import { applyCommands, validateCommands, isCloseCommand } from './commands';
import { finishCompletionMessages, readCompletionMessages, requestMessages, updatesArrivedDuringTask } from './update-protocol';
import { undelivered } from './update-registry';

const ET = EventType;
const Cause = Enums.WorkflowTaskFailedCause;

/** Events per page of history in a poll response; the rest is fetched with the page token. */
export const HISTORY_PAGE_SIZE = 1000;

/** Hands a scheduled workflow task to a poller; null when the task is stale. */
export function startWorkflowTask(engine: Engine, exec: ExecutionState, task: TaskRef, poll: PollRequestInfo): object | null {
  const wft = exec.wft;
  if (!isOpen(exec) || !wft || wft.startedEventId || wft.scheduledEventId !== task.scheduledEventId || wft.attempt !== task.attempt) return null;
  if (wft.taskQueue !== poll.queue) return null;
  if (wft.notBeforeMs && wft.notBeforeMs > serverNow()) return null;
  const now = serverNow();
  const requestId = randomUUID();
  const started = engine.appendEvent(
    exec,
    makeEvent(
      ET.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      {
        scheduledEventId: wft.scheduledEventId,
        identity: poll.identity,
        requestId,
        historySizeBytes: exec.historySizeBytes,
      },
      now,
    ),
  );
  wft.startedEventId = started.eventId;
  wft.startedTimeMs = now;
  wft.identity = poll.identity;
  wft.requestId = requestId;
  wft.stickyDeadlineMs = undefined;

  const all = engine.history(exec.runId);
  let events: JsonEvent[];
  let nextPageToken: string | undefined;
  if (wft.sticky && exec.lastCompletedStartedEventId > 0) {
    events = all.slice(exec.lastCompletedStartedEventId);
  } else if (all.length > HISTORY_PAGE_SIZE) {
    events = all.slice(0, HISTORY_PAGE_SIZE);
    nextPageToken = encodePageToken(engine.tokens, exec.namespace, exec.runId, HISTORY_PAGE_SIZE + 1, started.eventId);
  } else {
    events = all.slice();
  }
  return {
    taskToken: encodeTaskToken(engine.tokens, { k: 'w', n: exec.namespace, r: exec.runId, s: wft.scheduledEventId, a: wft.attempt, t: started.eventId }),
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: exec.workflowType },
    previousStartedEventId: exec.lastCompletedStartedEventId,
    startedEventId: started.eventId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events },
    nextPageToken,
    messages: requestMessages(exec, started.eventId),
    workflowExecutionTaskQueue: { name: exec.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduledTime: ts(wft.scheduledTimeMs),
    startedTime: ts(now),
  };
}

/** The run and its running workflow task named by a token, or NOT_FOUND. */
function runningTask(engine: Engine, tokenB64: string | undefined, namespace: string | undefined): ExecutionState {
  const token = openTaskToken(engine.tokens, tokenB64, 'w', namespace);
  const exec = engine.executions.get(token.r);
  const wft = exec?.wft;
  if (!exec || !isOpen(exec) || !wft || wft.scheduledEventId !== token.s || wft.startedEventId !== token.t || wft.attempt !== token.a) {
    throw notFound('Workflow task not found: it completed, failed or timed out already, or the workflow closed.');
  }
  return exec;
}

export function respondWorkflowTaskCompleted(engine: Engine, req: Record<string, any>): object {
  const exec = runningTask(engine, req.taskToken, req.namespace);
  const wft = exec.wft!;
  const commands: Array<Record<string, any>> = req.commands ?? [];

  const invalid = validateCommands(engine, exec, commands) ?? readCompletionMessages(exec, req.messages, commands);
  if (invalid?.terminate) {
    // As Temporal: the task fails with the command's BAD_…_ATTRIBUTES cause and the
    // workflow is terminated, since every retry of the task would send the same command.
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: invalid.cause,
        failure: { message: invalid.message, serverFailureInfo: { nonRetryable: true } },
        identity: req.identity,
      }),
    );
    exec.wft = undefined;
    terminateRun(engine, exec, `Workflow terminated: ${invalid.message}`, 'bastion-dev-server');
    throw invalidArgument(invalid.message);
  }
  if (invalid) {
    failWorkflowTask(engine, exec, { cause: invalid.cause, failure: { message: invalid.message }, identity: req.identity });
    throw invalidArgument(invalid.message);
  }
  if ((exec.buffered.length > 0 || updatesArrivedDuringTask(exec)) && commands.some(isCloseCommand)) {
    // New events arrived while the task ran: the workflow must see them before closing.
    failWorkflowTask(engine, exec, {
      cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
      failure: {
        message: 'The workflow tried to close while new events (such as signals or updates) were waiting; they are delivered in a new workflow task.',
      },
      identity: req.identity,
      keepAttempt: true,
    });
    return maybeReturnNewTask(engine, exec, req);
  }

  const completed = engine.appendEvent(
    exec,
    makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      identity: req.identity,
      binaryChecksum: req.binaryChecksum,
      workerVersion: req.workerVersionStamp,
      sdkMetadata: req.sdkMetadata,
      meteringMetadata: req.meteringMetadata,
    }),
  );
  exec.wft = undefined;
  exec.lastCompletedStartedEventId = wft.startedEventId!;
  exec.lastWorkflowTaskFailure = undefined;
  const stickyName = req.stickyAttributes?.workerTaskQueue?.name;
  exec.sticky = stickyName ? { queue: stickyName, scheduleToStartMs: ms(req.stickyAttributes.scheduleToStartTimeout) || 10_000 } : undefined;

  const eager: ActivityState[] = [];
  const post = applyCommands(engine, exec, commands, completed.eventId, req.identity, engine.eagerActivityExecution ? eager : undefined);
  if (isOpen(exec)) finishCompletionMessages(engine, exec, completed.eventId, wft.startedEventId!);
  if (isOpen(exec)) {
    const flushed = flushBuffered(engine, exec);
    if (flushed > 0 || req.forceCreateNewWorkflowTask || undelivered(exec).length > 0) scheduleWorkflowTask(engine, exec);
  }
  for (const action of post) action();
  const activityTasks: object[] = [];
  for (const act of eager) {
    const task = startEagerActivity(engine, exec, act, req.identity ?? '');
    if (task) activityTasks.push(task);
  }
  const response = maybeReturnNewTask(engine, exec, req) as { activityTasks: object[] };
  response.activityTasks = activityTasks;
  return response;
}

function maybeReturnNewTask(engine: Engine, exec: ExecutionState, req: Record<string, any>): object {
  const wft = exec.wft;
  if (!req.returnNewWorkflowTask || !wft || wft.startedEventId || !isOpen(exec) || wft.notBeforeMs) return { activityTasks: [] };
  const task = startWorkflowTask(
    engine,
    exec,
    { type: 'wft', runId: exec.runId, scheduledEventId: wft.scheduledEventId, attempt: wft.attempt },
    {
      identity: req.identity ?? '',
      queue: wft.taskQueue,
      namespace: exec.namespace,
      raw: {},
    },
  );
  return task ? { workflowTask: task, activityTasks: [] } : { activityTasks: [] };
}

export function respondWorkflowTaskFailed(engine: Engine, req: Record<string, any>): object {
  const exec = runningTask(engine, req.taskToken, req.namespace);
  // A failure too large (or nested too deep) to store is replaced, as Temporal does.
  const over = fieldViolation('temporal.api.failure.v1.Failure', req.failure, 'failure', limitsOf(engine));
  const failure = over ? { message: 'Failure exceeds size limit.', cause: { message: over.message }, serverFailureInfo: { nonRetryable: true } } : req.failure;
  failWorkflowTask(engine, exec, { cause: req.cause ?? Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, failure, identity: req.identity });
  return {};
}

/**
 * Ends the running workflow task with WorkflowTaskFailed (or WorkflowTaskTimedOut),
 * drops stickiness, writes buffered events and schedules the next attempt; attempts
 * from the third on wait a growing backoff (at most 10 s) so a broken workflow does
 * not spin.
 */
export function failWorkflowTask(
  engine: Engine,
  exec: ExecutionState,
  o: { cause?: number; failure?: object; identity?: string; timeout?: boolean; keepAttempt?: boolean },
): void {
  const wft = exec.wft!;
  if (o.timeout) {
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        timeoutType: Enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
      }),
    );
  } else {
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: o.cause,
        failure: o.failure,
        identity: o.identity,
      }),
    );
  }
  exec.wft = undefined;
  exec.sticky = undefined;
  exec.lastWorkflowTaskFailure = o.timeout
    ? 'the workflow task timed out'
    : String((o.failure as { message?: unknown } | undefined)?.message ?? 'the workflow task failed');
  flushBuffered(engine, exec);
  const attempt = o.keepAttempt ? 1 : wft.attempt + 1;
  const backoffMs = attempt >= 3 ? Math.min(10_000, 1000 * 2 ** (attempt - 3)) : 0;
  scheduleWorkflowTask(engine, exec, attempt, backoffMs ? serverNow() + backoffMs : undefined);
}

/** Timer: the running task passed its start-to-close timeout. */
export function workflowTaskTimedOut(engine: Engine, exec: ExecutionState): void {
  if (!exec.wft?.startedEventId) return;
  failWorkflowTask(engine, exec, { timeout: true });
}

/** Timer: a sticky task nobody picked up moves to the normal queue. */
export function stickyTaskExpired(engine: Engine, exec: ExecutionState): void {
  const wft = exec.wft;
  if (!wft || wft.startedEventId || !wft.sticky) return;
  moveToNormalQueue(engine, exec);
}

export function moveToNormalQueue(engine: Engine, exec: ExecutionState): void {
  const wft = exec.wft!;
  exec.sticky = undefined;
  wft.sticky = false;
  wft.taskQueue = exec.taskQueue;
  wft.stickyDeadlineMs = undefined;
  engine.touch(exec);
  if (!wft.notBeforeMs) {
    engine.dispatch(exec.namespace, 'workflow', exec.taskQueue, {
      type: 'wft',
      runId: exec.runId,
      scheduledEventId: wft.scheduledEventId,
      attempt: wft.attempt,
    });
  }
}
