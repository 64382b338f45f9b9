/**
 * Activities: scheduling, handing attempts to pollers, heartbeats, completion, failure
 * with retries per RetryPolicy, cancellation, and the four timeouts. ActivityTaskStarted
 * is written when the activity finally settles (with its attempt and last failure), as
 * Temporal does for activities with a retry policy, so retries leave no events behind.
 */
import { serverNow } from './clock';
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { EventType, makeEvent } from './history';
import type { PollRequestInfo, TaskRef } from './matching';
import { dur, Enums, ms, normalizeRetryPolicy, retryBackoffMs, retryDecision, retryPolicyToJson, ts } from './common';
import { invalidArgument, notFound } from './service-error';
import { encodeTaskToken, openTaskToken } from './task-token';
import { fieldViolation, limitsOf, type LimitViolation } from './request-limits';
import { isOpen, type ActivityState, type ExecutionState } from './state';
import { recordExternal } from './workflows';

const ET = EventType;
const RS = Enums.RetryState;
const TT = Enums.TimeoutType;

/**
 * Activity tasks handed back in one RespondWorkflowTaskCompleted response at most
 * (eager activity execution; Temporal's `system.maxActivityEagerExecution`… is per
 * deployment, 3 is a common setting).
 */
export const MAX_EAGER_ACTIVITIES_PER_TASK = 3;

/**
 * Schedules an activity. With `eager` (the command asked for eager execution, on the
 * workflow's own task queue, within the per-response limit) the attempt is not put on the
 * queue: the caller starts it with {@link startEagerActivity} and returns it in the
 * workflow task's response. Returns the activity.
 */
export function scheduleActivity(engine: Engine, exec: ExecutionState, a: Record<string, any>, completedId: number, eager = false): ActivityState {
  const now = serverNow();
  // Temporal's defaulting: schedule-to-close bounds everything; start-to-close falls back to it.
  const scheduleToCloseMs = ms(a.scheduleToCloseTimeout);
  const startToCloseMs = ms(a.startToCloseTimeout) || scheduleToCloseMs;
  const scheduleToStartMs = ms(a.scheduleToStartTimeout) || scheduleToCloseMs;
  const heartbeatMs = ms(a.heartbeatTimeout);
  const retryPolicy = normalizeRetryPolicy(a.retryPolicy);
  const taskQueue = a.taskQueue?.name || exec.taskQueue;
  const ev = engine.appendEvent(
    exec,
    makeEvent(
      ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      {
        activityId: a.activityId,
        activityType: a.activityType,
        taskQueue: { name: taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        header: a.header,
        input: a.input,
        scheduleToCloseTimeout: dur(scheduleToCloseMs),
        scheduleToStartTimeout: dur(scheduleToStartMs),
        startToCloseTimeout: dur(startToCloseMs),
        heartbeatTimeout: heartbeatMs ? dur(heartbeatMs) : undefined,
        workflowTaskCompletedEventId: completedId,
        retryPolicy: retryPolicyToJson(retryPolicy),
        useWorkflowBuildId: a.useWorkflowBuildId,
        priority: a.priority,
      },
      now,
    ),
  );
  const act: ActivityState = {
    scheduledEventId: ev.eventId,
    activityId: a.activityId,
    activityType: a.activityType.name,
    taskQueue,
    attempt: 1,
    firstScheduledTimeMs: now,
    scheduledTimeMs: now,
    scheduleToCloseMs,
    scheduleToStartMs,
    startToCloseMs,
    heartbeatMs,
    retryPolicy,
    cancelRequested: false,
  };
  exec.activities[ev.eventId] = act;
  if (!eager) dispatchActivity(engine, exec, act);
  return act;
}

/**
 * Starts an activity scheduled eagerly, for the worker that completed the workflow task,
 * and returns its task (a PollActivityTaskQueue response). When the run closed meanwhile,
 * null. If the response never reaches the worker, the attempt times out after its
 * start-to-close timeout and is retried, as Temporal does with lost eager tasks.
 */
export function startEagerActivity(engine: Engine, exec: ExecutionState, act: ActivityState, identity: string): object | null {
  const started = startAttempt(
    engine,
    exec,
    { type: 'activity', runId: exec.runId, scheduledEventId: act.scheduledEventId, attempt: act.attempt },
    {
      identity,
      queue: act.taskQueue,
      namespace: exec.namespace,
      raw: {},
    },
  );
  if (started) engine.activityStarts.eager++;
  return started;
}

function dispatchActivity(engine: Engine, exec: ExecutionState, act: ActivityState): void {
  engine.dispatch(exec.namespace, 'activity', act.taskQueue, {
    type: 'activity',
    runId: exec.runId,
    scheduledEventId: act.scheduledEventId,
    attempt: act.attempt,
  });
}

/** Hands an activity attempt to a poller; null when stale. */
export function startActivityTask(engine: Engine, exec: ExecutionState, task: TaskRef, poll: PollRequestInfo): object | null {
  const started = startAttempt(engine, exec, task, poll);
  if (started) engine.activityStarts.byPoll++;
  return started;
}

function startAttempt(engine: Engine, exec: ExecutionState, task: TaskRef, poll: PollRequestInfo): object | null {
  const act = exec.activities[task.scheduledEventId];
  if (!isOpen(exec) || !act || act.attempt !== task.attempt || act.startedTimeMs || act.retryAtMs || act.taskQueue !== poll.queue) return null;
  const now = serverNow();
  act.startedTimeMs = now;
  act.startedIdentity = poll.identity;
  act.lastWorkerIdentity = poll.identity;
  act.startedRequestId = randomUUID();
  act.lastHeartbeatTimeMs = undefined;
  engine.touch(exec);
  const scheduled = engine.history(exec.runId)[act.scheduledEventId - 1]!.activityTaskScheduledEventAttributes;
  return {
    taskToken: encodeTaskToken(engine.tokens, { k: 'a', n: exec.namespace, r: exec.runId, s: act.scheduledEventId, a: act.attempt }),
    workflowNamespace: exec.namespace,
    workflowType: { name: exec.workflowType },
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    activityType: { name: act.activityType },
    activityId: act.activityId,
    header: scheduled.header,
    input: scheduled.input,
    heartbeatDetails: act.heartbeatDetails,
    scheduledTime: ts(act.firstScheduledTimeMs),
    currentAttemptScheduledTime: ts(act.scheduledTimeMs),
    startedTime: ts(now),
    attempt: act.attempt,
    scheduleToCloseTimeout: dur(act.scheduleToCloseMs),
    startToCloseTimeout: dur(act.startToCloseMs),
    heartbeatTimeout: dur(act.heartbeatMs),
    retryPolicy: retryPolicyToJson(act.retryPolicy),
    priority: scheduled.priority,
  };
}

/** The run and started activity a token (or an id triple) names; NOT_FOUND when gone. */
function startedActivity(engine: Engine, req: Record<string, any>, byId: boolean): { exec: ExecutionState; act: ActivityState } {
  let exec: ExecutionState | undefined;
  let act: ActivityState | undefined;
  if (byId) {
    engine.namespace(req.namespace);
    if (!req.workflowId) throw invalidArgument('`workflowId` is required.');
    if (!req.activityId) throw invalidArgument('`activityId` is required.');
    exec = engine.findRun(req.namespace, req.workflowId, req.runId);
    act = exec ? Object.values(exec.activities).find((x) => x.activityId === req.activityId) : undefined;
    if (act && !act.startedTimeMs) act = undefined;
  } else {
    const t = openTaskToken(engine.tokens, req.taskToken, 'a', req.namespace);
    exec = engine.executions.get(t.r);
    act = exec?.activities[t.s];
    if (act && (act.attempt !== t.a || !act.startedTimeMs)) act = undefined;
  }
  if (!exec || !isOpen(exec) || !act) throw notFound('Activity task not found: it completed, timed out or was retried already, or the workflow closed.');
  return { exec, act };
}

function startedEvent(act: ActivityState) {
  return makeEvent(
    ET.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    {
      scheduledEventId: act.scheduledEventId,
      identity: act.startedIdentity,
      requestId: act.startedRequestId,
      attempt: act.attempt,
      lastFailure: act.lastFailure,
    },
    act.startedTimeMs,
  );
}

const PAYLOADS = 'temporal.api.common.v1.Payloads';
const FAILURE = 'temporal.api.failure.v1.Failure';

/** A non-retryable server failure, as Temporal records an activity whose report broke a limit. */
function limitFailure(message: string, over: LimitViolation): Record<string, any> {
  return { message, source: 'bastion-dev-server', cause: { message: over.message }, serverFailureInfo: { nonRetryable: true } };
}

export function heartbeat(engine: Engine, req: Record<string, any>, byId: boolean): object {
  const { exec, act } = startedActivity(engine, req, byId);
  const over = fieldViolation(PAYLOADS, req.details, 'details', limitsOf(engine));
  if (over) {
    // As Temporal: the activity fails at once and the worker is told to stop it.
    failAttempt(engine, exec, act, limitFailure('Heartbeat details exceed size limit.', over), req.identity, false);
    return { cancelRequested: true, activityPaused: false, activityReset: false };
  }
  if (req.details) act.heartbeatDetails = req.details;
  act.lastHeartbeatTimeMs = serverNow();
  engine.touch(exec);
  return { cancelRequested: act.cancelRequested, activityPaused: false, activityReset: false };
}

export function completeActivity(engine: Engine, req: Record<string, any>, byId: boolean): object {
  const { exec, act } = startedActivity(engine, req, byId);
  const over = fieldViolation(PAYLOADS, req.result, 'result', limitsOf(engine));
  if (over) {
    // As Temporal: a result that cannot be stored fails the activity (not retried).
    failAttempt(engine, exec, act, limitFailure('Complete result exceeds size limit.', over), req.identity, false);
    return {};
  }
  delete exec.activities[act.scheduledEventId];
  act.startedIdentity = req.identity || act.startedIdentity;
  recordExternal(
    engine,
    exec,
    startedEvent(act),
    makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      result: req.result,
      scheduledEventId: act.scheduledEventId,
      startedEventId: -1,
      identity: req.identity,
    }),
  );
  return {};
}

export function cancelActivity(engine: Engine, req: Record<string, any>, byId: boolean): object {
  const { exec, act } = startedActivity(engine, req, byId);
  const over = fieldViolation(PAYLOADS, req.details, 'details', limitsOf(engine));
  if (over) {
    failAttempt(engine, exec, act, limitFailure('Cancel details exceed size limit.', over), req.identity, false);
    return {};
  }
  delete exec.activities[act.scheduledEventId];
  recordExternal(
    engine,
    exec,
    startedEvent(act),
    makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      details: req.details,
      latestCancelRequestedEventId: act.cancelRequestedEventId ?? 0,
      scheduledEventId: act.scheduledEventId,
      startedEventId: -1,
      identity: req.identity,
    }),
  );
  return {};
}

export function failActivity(engine: Engine, req: Record<string, any>, byId: boolean): object {
  const { exec, act } = startedActivity(engine, req, byId);
  const limits = limitsOf(engine);
  const detailsOver = fieldViolation(PAYLOADS, req.lastHeartbeatDetails, 'lastHeartbeatDetails', limits);
  if (req.lastHeartbeatDetails && !detailsOver) act.heartbeatDetails = req.lastHeartbeatDetails;
  // A failure too large (or nested too deep) to store is replaced, as Temporal does.
  const failureOver = fieldViolation(FAILURE, req.failure, 'failure', limits);
  const failure = failureOver
    ? limitFailure('Failure exceeds size limit.', failureOver)
    : detailsOver
      ? limitFailure('Heartbeat details exceed size limit.', detailsOver)
      : (req.failure ?? { message: 'activity failed (no failure given)' });
  failAttempt(engine, exec, act, failure, req.identity, false);
  return { failures: [] };
}

/**
 * An attempt failed (or timed out): retry after the policy's backoff when it allows and
 * the schedule-to-close deadline leaves room; otherwise settle the activity as failed.
 */
function failAttempt(
  engine: Engine,
  exec: ExecutionState,
  act: ActivityState,
  failure: Record<string, any>,
  identity: string | undefined,
  timedOut: boolean,
): void {
  const d = act.cancelRequested ? { retry: false as const, retryState: RS.RETRY_STATE_CANCEL_REQUESTED } : retryDecision(act.retryPolicy, act.attempt, failure);
  const now = serverNow();
  const app = failure.applicationFailureInfo;
  const backoffMs = ms(app?.nextRetryDelay) || retryBackoffMs(act.retryPolicy, act.attempt + 1);
  const deadline = act.scheduleToCloseMs ? act.firstScheduledTimeMs + act.scheduleToCloseMs : 0;
  if (d.retry && (!deadline || now + backoffMs < deadline)) {
    act.attempt += 1;
    act.lastFailure = failure;
    act.startedTimeMs = undefined;
    act.startedIdentity = undefined;
    act.lastHeartbeatTimeMs = undefined;
    act.retryAtMs = now + backoffMs;
    act.scheduledTimeMs = act.retryAtMs;
    engine.touch(exec);
    return;
  }
  const retryState = d.retry ? RS.RETRY_STATE_TIMEOUT : d.retryState;
  delete exec.activities[act.scheduledEventId];
  const started = act.startedTimeMs ? [startedEvent(act)] : [];
  const startedEventId = act.startedTimeMs ? -1 : 0;
  if (timedOut) {
    recordExternal(
      engine,
      exec,
      ...started,
      makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, { failure, scheduledEventId: act.scheduledEventId, startedEventId, retryState }),
    );
  } else {
    recordExternal(
      engine,
      exec,
      ...started,
      makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_FAILED, { failure, scheduledEventId: act.scheduledEventId, startedEventId, identity, retryState }),
    );
  }
}

/** Timer: the retry backoff is over; the next attempt is offered to pollers. */
export function activityRetryDue(engine: Engine, exec: ExecutionState, act: ActivityState): void {
  if (!act.retryAtMs) return;
  act.retryAtMs = undefined;
  act.scheduledTimeMs = serverNow();
  engine.touch(exec);
  dispatchActivity(engine, exec, act);
}

const TIMEOUT_NAMES: Record<number, string> = {
  [TT.TIMEOUT_TYPE_START_TO_CLOSE]: 'StartToClose',
  [TT.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'ScheduleToStart',
  [TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'ScheduleToClose',
  [TT.TIMEOUT_TYPE_HEARTBEAT]: 'Heartbeat',
};

/** Timer: an activity timeout fired. Start-to-close and heartbeat timeouts are retried. */
export function activityTimedOut(engine: Engine, exec: ExecutionState, act: ActivityState, timeoutType: number): void {
  const failure: Record<string, any> = {
    message: `activity ${TIMEOUT_NAMES[timeoutType]} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: act.heartbeatDetails },
  };
  if (timeoutType === TT.TIMEOUT_TYPE_START_TO_CLOSE || timeoutType === TT.TIMEOUT_TYPE_HEARTBEAT) {
    if (act.lastFailure && act.attempt > 1) failure.cause = act.lastFailure;
    failAttempt(engine, exec, act, failure, act.startedIdentity, true);
    return;
  }
  if (act.lastFailure) failure.cause = act.lastFailure;
  delete exec.activities[act.scheduledEventId];
  const started = act.startedTimeMs ? [startedEvent(act)] : [];
  recordExternal(
    engine,
    exec,
    ...started,
    makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
      failure,
      scheduledEventId: act.scheduledEventId,
      startedEventId: act.startedTimeMs ? -1 : 0,
      retryState: RS.RETRY_STATE_TIMEOUT,
    }),
  );
}

/** The RequestCancelActivityTask command. A started activity learns of it by heartbeat. */
export function requestCancelActivity(engine: Engine, exec: ExecutionState, scheduledEventId: number, completedId: number, post: Array<() => void>): void {
  const act = exec.activities[scheduledEventId]!;
  const ev = engine.appendEvent(exec, makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, { scheduledEventId, workflowTaskCompletedEventId: completedId }));
  act.cancelRequested = true;
  act.cancelRequestedEventId = ev.eventId;
  if (!act.startedTimeMs) {
    delete exec.activities[scheduledEventId];
    post.push(() =>
      recordExternal(
        engine,
        exec,
        makeEvent(ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
          latestCancelRequestedEventId: ev.eventId,
          scheduledEventId,
          startedEventId: 0,
          identity: 'bastion-dev-server',
        }),
      ),
    );
  }
}

/** The activity timers a run needs now: key → due time. */
export function activityTimers(exec: ExecutionState, out: Map<string, number>): void {
  for (const act of Object.values(exec.activities)) {
    const k = `act:${act.scheduledEventId}:${act.attempt}`;
    if (act.scheduleToCloseMs) out.set(`${k}:s2c`, act.firstScheduledTimeMs + act.scheduleToCloseMs);
    if (act.retryAtMs) {
      out.set(`${k}:retry`, act.retryAtMs);
      continue;
    }
    if (!act.startedTimeMs) {
      if (act.scheduleToStartMs && act.scheduleToStartMs !== act.scheduleToCloseMs) out.set(`${k}:s2s`, act.scheduledTimeMs + act.scheduleToStartMs);
      continue;
    }
    out.set(`${k}:stc`, act.startedTimeMs + act.startToCloseMs);
    if (act.heartbeatMs) out.set(`${k}:hb`, (act.lastHeartbeatTimeMs ?? act.startedTimeMs) + act.heartbeatMs);
  }
}

export function onActivityTimer(engine: Engine, exec: ExecutionState, key: string): void {
  const [, seid, attempt, kind] = key.split(':');
  const act = exec.activities[Number(seid)];
  if (!act || act.attempt !== Number(attempt)) return;
  switch (kind) {
    case 'retry':
      return activityRetryDue(engine, exec, act);
    case 's2s':
      return activityTimedOut(engine, exec, act, TT.TIMEOUT_TYPE_SCHEDULE_TO_START);
    case 's2c':
      return activityTimedOut(engine, exec, act, TT.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
    case 'stc':
      return activityTimedOut(engine, exec, act, TT.TIMEOUT_TYPE_START_TO_CLOSE);
    case 'hb':
      return activityTimedOut(engine, exec, act, TT.TIMEOUT_TYPE_HEARTBEAT);
  }
}

/** After a restart: attempts that were waiting for a poller are offered again. */
export function recoverActivities(engine: Engine, exec: ExecutionState): void {
  for (const act of Object.values(exec.activities)) if (!act.startedTimeMs && !act.retryAtMs) dispatchActivity(engine, exec, act);
}
