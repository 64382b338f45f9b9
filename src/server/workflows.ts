/**
 * Workflow runs: starting, writing events (buffered while a workflow task runs),
 * scheduling workflow tasks, closing (with parent notification and parent close
 * policies), continue-as-new and workflow retries.
 */
import { serverNow } from './clock';
import { abortUpdates } from './update-protocol';
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { attrs, EventType, makeEvent } from './history';
import type { JsonEvent, NewEvent } from './json-proto';
import { dur, Enums, normalizeRetryPolicy, retryBackoffMs, retryDecision, Status, ts, retryPolicyToJson } from './common';
import { isOpen, type ExecutionState, type ParentRef } from './state';
import { continueCron } from './schedules/cron-workflows';

const ET = EventType;
const RS = Enums.RetryState;

export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
export const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;

export interface NewRun {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: object;
  header?: object;
  memo?: Record<string, any>;
  searchAttributes?: Record<string, any>;
  executionTimeoutMs: number;
  runTimeoutMs: number;
  taskTimeoutMs: number;
  retryPolicy?: Record<string, any>;
  identity?: string;
  requestId: string;
  parent?: ParentRef;
  runId?: string;
  firstRunId?: string;
  continuedExecutionRunId?: string;
  initiator?: number;
  continuedFailure?: object;
  lastCompletionResult?: object;
  attempt?: number;
  executionDeadlineMs?: number;
  firstTaskBackoffMs?: number;
  cronSchedule?: string;
  /** A signal written right after the start event (SignalWithStart). */
  signal?: { signalName: string; input?: object; identity?: string; header?: object };
}

/** Creates a run, writes WorkflowExecutionStarted and schedules the first workflow task. */
export function startRun(engine: Engine, r: NewRun): ExecutionState {
  const now = serverNow();
  const runId = r.runId ?? randomUUID();
  const taskTimeoutMs = Math.min(r.taskTimeoutMs || DEFAULT_WORKFLOW_TASK_TIMEOUT_MS, MAX_WORKFLOW_TASK_TIMEOUT_MS);
  const runTimeoutMs = r.runTimeoutMs || r.executionTimeoutMs || 0;
  const executionDeadlineMs = r.executionDeadlineMs ?? (r.executionTimeoutMs ? now + r.executionTimeoutMs : 0);
  const exec: ExecutionState = {
    namespace: r.namespace,
    workflowId: r.workflowId,
    runId,
    firstRunId: r.firstRunId ?? runId,
    workflowType: r.workflowType,
    taskQueue: r.taskQueue,
    status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTimeMs: now,
    executionTimeMs: now + (r.firstTaskBackoffMs ?? 0),
    startRequestId: r.requestId,
    workflowTaskTimeoutMs: taskTimeoutMs,
    cronSchedule: r.cronSchedule,
    executionTimeoutMs: r.executionTimeoutMs,
    runTimeoutMs,
    executionDeadlineMs,
    runDeadlineMs: runTimeoutMs ? now + (r.firstTaskBackoffMs ?? 0) + runTimeoutMs : 0,
    memo: r.memo,
    searchAttributes: r.searchAttributes,
    parent: r.parent,
    attempt: r.attempt ?? 1,
    retryPolicy: r.retryPolicy ? normalizeRetryPolicy(r.retryPolicy) : undefined,
    nextEventId: 1,
    lastCompletedStartedEventId: 0,
    buffered: [],
    activities: {},
    timers: {},
    children: {},
    cancelRequested: false,
    signalRequestIds: [],
    historySizeBytes: 0,
  };
  engine.addExecution(exec);
  engine.appendEvent(
    exec,
    makeEvent(
      ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      {
        workflowType: { name: r.workflowType },
        parentWorkflowNamespace: r.parent?.namespace,
        parentWorkflowNamespaceId: r.parent ? engine.namespaces.get(r.parent.namespace)?.id : undefined,
        parentWorkflowExecution: r.parent ? { workflowId: r.parent.workflowId, runId: r.parent.runId } : undefined,
        parentInitiatedEventId: r.parent?.initiatedEventId,
        taskQueue: { name: r.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: r.input,
        workflowExecutionTimeout: r.executionTimeoutMs ? dur(r.executionTimeoutMs) : undefined,
        workflowRunTimeout: runTimeoutMs ? dur(runTimeoutMs) : undefined,
        workflowTaskTimeout: dur(taskTimeoutMs),
        continuedExecutionRunId: r.continuedExecutionRunId,
        initiator: r.initiator,
        continuedFailure: r.continuedFailure,
        lastCompletionResult: r.lastCompletionResult,
        originalExecutionRunId: runId,
        identity: r.identity,
        firstExecutionRunId: exec.firstRunId,
        retryPolicy: exec.retryPolicy ? retryPolicyToJson(exec.retryPolicy) : undefined,
        attempt: exec.attempt,
        workflowExecutionExpirationTime: executionDeadlineMs ? ts(executionDeadlineMs) : undefined,
        firstWorkflowTaskBackoff: r.firstTaskBackoffMs ? dur(r.firstTaskBackoffMs) : undefined,
        cronSchedule: r.cronSchedule,
        memo: r.memo,
        searchAttributes: r.searchAttributes,
        header: r.header,
        workflowId: r.workflowId,
      },
      now,
    ),
  );
  if (r.signal) {
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: r.signal.signalName,
        input: r.signal.input,
        identity: r.signal.identity,
        header: r.signal.header,
      }),
    );
  }
  scheduleWorkflowTask(engine, exec, 1, r.firstTaskBackoffMs ? now + r.firstTaskBackoffMs : undefined);
  return exec;
}

/** Schedules a workflow task (on the sticky queue when the run has one). */
export function scheduleWorkflowTask(engine: Engine, exec: ExecutionState, attempt = 1, notBeforeMs?: number): void {
  if (exec.wft || !isOpen(exec)) return;
  const now = serverNow();
  const sticky = exec.sticky;
  const queue = sticky ? sticky.queue : exec.taskQueue;
  const ev = engine.appendEvent(
    exec,
    makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      taskQueue: sticky
        ? { name: queue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: exec.taskQueue }
        : { name: queue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      startToCloseTimeout: dur(exec.workflowTaskTimeoutMs),
      attempt,
    }),
  );
  exec.wft = {
    scheduledEventId: ev.eventId,
    attempt,
    taskQueue: queue,
    sticky: !!sticky,
    scheduledTimeMs: now,
    stickyDeadlineMs: sticky ? now + sticky.scheduleToStartMs : undefined,
    notBeforeMs: notBeforeMs && notBeforeMs > now ? notBeforeMs : undefined,
  };
  if (!exec.wft.notBeforeMs) dispatchWorkflowTask(engine, exec);
}

export function dispatchWorkflowTask(engine: Engine, exec: ExecutionState): void {
  const wft = exec.wft!;
  engine.dispatch(exec.namespace, 'workflow', wft.taskQueue, { type: 'wft', runId: exec.runId, scheduledEventId: wft.scheduledEventId, attempt: wft.attempt });
}

/**
 * Writes an event now, resolving references that were unknown while it was buffered:
 * an activity outcome's `startedEventId` of -1 is the event just before it (its
 * ActivityTaskStarted); a child outcome's is the child's ChildWorkflowExecutionStarted.
 */
export function writeEvent(engine: Engine, exec: ExecutionState, event: NewEvent): JsonEvent {
  const a = attrs(event);
  switch (event.eventType) {
    case ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
    case ET.EVENT_TYPE_ACTIVITY_TASK_FAILED:
    case ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
    case ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      if (a.startedEventId === -1) a.startedEventId = exec.nextEventId - 1;
      break;
    case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
    case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
    case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
    case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
    case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: {
      const child = exec.children[a.initiatedEventId];
      if (child) {
        a.startedEventId = child.startedEventId ?? 0;
        delete exec.children[a.initiatedEventId];
      }
      break;
    }
  }
  const written = engine.appendEvent(exec, event);
  if (event.eventType === ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
    const child = exec.children[a.initiatedEventId];
    if (child) child.startedEventId = written.eventId;
  }
  return written;
}

/**
 * Records events that come from outside the workflow (signals, activity and timer
 * outcomes, child events, cancel requests). While a workflow task runs they are
 * buffered and written when it completes; otherwise written now, and a workflow task
 * is scheduled so the workflow sees them.
 */
export function recordExternal(engine: Engine, exec: ExecutionState, ...events: Array<NewEvent>): void {
  if (!isOpen(exec)) return;
  if (exec.wft?.startedEventId) {
    exec.buffered.push(...events);
    engine.touch(exec);
    return;
  }
  for (const e of events) writeEvent(engine, exec, e);
  scheduleWorkflowTask(engine, exec);
}

/** Writes the buffered events (after a workflow task ended); returns how many. */
export function flushBuffered(engine: Engine, exec: ExecutionState): number {
  const events = exec.buffered;
  exec.buffered = [];
  for (const e of events) writeEvent(engine, exec, e);
  return events.length;
}

/**
 * Closes a run with its close event. A workflow task still running is failed first
 * (so the history stays replayable), then buffered events are written, then the close
 * event. Children follow their parent close policy; the parent hears of the close.
 */
export function closeRun(engine: Engine, exec: ExecutionState, status: number, closeEvent: NewEvent, fromWorkflowTask = false): JsonEvent {
  if (!fromWorkflowTask && exec.wft?.startedEventId) {
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        scheduledEventId: exec.wft.scheduledEventId,
        startedEventId: exec.wft.startedEventId,
        cause: Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        failure: { message: 'The workflow was closed while this workflow task was running.' },
        identity: 'bastion-dev-server',
      }),
    );
  }
  exec.wft = undefined;
  if (!fromWorkflowTask) flushBuffered(engine, exec);
  exec.buffered = [];
  const ev = writeEvent(engine, exec, closeEvent);
  exec.status = status;
  exec.closeTimeMs = serverNow();
  exec.closeEventId = ev.eventId;
  exec.activities = {};
  exec.timers = {};
  exec.sticky = undefined;
  abortUpdates(engine, exec);
  applyParentClosePolicy(engine, exec);
  if (status !== Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) notifyParent(engine, exec, status, attrs(closeEvent));
  engine.touch(exec);
  return ev;
}

function applyParentClosePolicy(engine: Engine, exec: ExecutionState): void {
  const P = Enums.ParentClosePolicy;
  for (const child of Object.values(exec.children)) {
    if (child.parentClosePolicy === P.PARENT_CLOSE_POLICY_ABANDON) continue;
    const target = engine.findRun(child.namespace, child.workflowId);
    if (!target || !isOpen(target) || target.firstRunId !== child.runId) continue;
    if (child.parentClosePolicy === P.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      requestCancel(engine, target, { identity: 'bastion-dev-server', cause: 'by parent close policy' });
    } else {
      terminateRun(engine, target, 'by parent close policy', 'bastion-dev-server');
    }
  }
}

function notifyParent(engine: Engine, exec: ExecutionState, status: number, closeAttrs: Record<string, any>): void {
  const p = exec.parent;
  if (!p) return;
  const parent = engine.executions.get(p.runId);
  if (!parent || !isOpen(parent) || !parent.children[p.initiatedEventId]) return;
  const common = {
    namespace: exec.namespace,
    namespaceId: engine.namespaces.get(exec.namespace)?.id,
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    workflowType: { name: exec.workflowType },
    initiatedEventId: p.initiatedEventId,
    startedEventId: -1,
  };
  let ev;
  switch (status) {
    case Status.WORKFLOW_EXECUTION_STATUS_COMPLETED:
      ev = makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, { ...common, result: closeAttrs.result });
      break;
    case Status.WORKFLOW_EXECUTION_STATUS_FAILED:
      ev = makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, { ...common, failure: closeAttrs.failure, retryState: closeAttrs.retryState });
      break;
    case Status.WORKFLOW_EXECUTION_STATUS_CANCELED:
      ev = makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, { ...common, details: closeAttrs.details });
      break;
    case Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      ev = makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, { ...common, retryState: closeAttrs.retryState });
      break;
    default:
      ev = makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, common);
  }
  recordExternal(engine, parent, ev);
}

export function terminateRun(engine: Engine, exec: ExecutionState, reason: string | undefined, identity: string | undefined, details?: object): void {
  closeRun(engine, exec, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED, makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, { reason, details, identity }));
}

export function requestCancel(
  engine: Engine,
  exec: ExecutionState,
  opts: { identity?: string; cause?: string; externalInitiatedEventId?: number; externalWorkflowExecution?: object },
): void {
  if (exec.cancelRequested) return;
  exec.cancelRequested = true;
  recordExternal(
    engine,
    exec,
    makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      cause: opts.cause,
      identity: opts.identity,
      externalInitiatedEventId: opts.externalInitiatedEventId,
      externalWorkflowExecution: opts.externalWorkflowExecution,
    }),
  );
}

/** Starts the next run of a chain (continue-as-new or retry), sharing the workflow id. */
export function startNextRun(engine: Engine, prev: ExecutionState, runId: string, over: Partial<NewRun>): ExecutionState {
  const started = attrs(engine.history(prev.runId)[0]!);
  return startRun(engine, {
    namespace: prev.namespace,
    workflowId: prev.workflowId,
    workflowType: prev.workflowType,
    taskQueue: prev.taskQueue,
    input: started.input,
    header: started.header,
    memo: prev.memo,
    searchAttributes: prev.searchAttributes,
    executionTimeoutMs: prev.executionTimeoutMs,
    runTimeoutMs: prev.runTimeoutMs,
    taskTimeoutMs: prev.workflowTaskTimeoutMs,
    retryPolicy: started.retryPolicy,
    requestId: randomUUID(),
    parent: prev.parent,
    runId,
    firstRunId: prev.firstRunId,
    continuedExecutionRunId: prev.runId,
    executionDeadlineMs: prev.executionDeadlineMs,
    identity: started.identity,
    cronSchedule: prev.cronSchedule,
    ...over,
  });
}

/**
 * Fails or times out a run; with a workflow retry policy that allows another attempt,
 * the failure event names the new run and the chain continues after the backoff.
 */
export function failRun(
  engine: Engine,
  exec: ExecutionState,
  kind: 'failed' | 'timedOut',
  failure: Record<string, any> | undefined,
  workflowTaskCompletedEventId?: number,
): void {
  let retryState: number = RS.RETRY_STATE_RETRY_POLICY_NOT_SET;
  let next: { runId: string; backoffMs: number } | undefined;
  if (exec.retryPolicy) {
    const d = retryDecision(exec.retryPolicy, exec.attempt, kind === 'failed' ? failure : { timeoutFailureInfo: {} });
    const backoffMs = retryBackoffMs(exec.retryPolicy, exec.attempt + 1);
    if (d.retry && (!exec.executionDeadlineMs || serverNow() + backoffMs < exec.executionDeadlineMs)) {
      retryState = RS.RETRY_STATE_IN_PROGRESS;
      next = { runId: randomUUID(), backoffMs };
    } else retryState = d.retry ? RS.RETRY_STATE_TIMEOUT : d.retryState;
  } else if (kind === 'timedOut') retryState = RS.RETRY_STATE_TIMEOUT;
  const status = kind === 'failed' ? Status.WORKFLOW_EXECUTION_STATUS_FAILED : Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
  const event =
    kind === 'failed'
      ? makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, { failure, retryState, workflowTaskCompletedEventId, newExecutionRunId: next?.runId })
      : makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, { retryState, newExecutionRunId: next?.runId });
  if (next) {
    // The parent hears only of the last run of the chain.
    const parent = exec.parent;
    exec.parent = undefined;
    closeRun(engine, exec, status, event, workflowTaskCompletedEventId !== undefined);
    exec.parent = parent;
    exec.newExecutionRunId = next.runId;
    startNextRun(engine, exec, next.runId, {
      attempt: exec.attempt + 1,
      initiator: Enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
      continuedFailure: failure,
      firstTaskBackoffMs: next.backoffMs,
    });
  } else if (exec.cronSchedule) {
    continueCron(engine, exec, status, event, workflowTaskCompletedEventId !== undefined, { continuedFailure: failure });
  } else {
    closeRun(engine, exec, status, event, workflowTaskCompletedEventId !== undefined);
  }
}
