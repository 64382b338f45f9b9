/**
 * Local activities on the worker, retried as Core's local activity manager retries them:
 * the delay before each retry comes from the retry policy (Core's `should_retry`); a
 * delay of at most `localRetryThreshold` is waited here, within the workflow task; a
 * longer one ends this schedule with the attempt's failure and the backoff, which the
 * marker records and the workflow waits on a durable timer before scheduling again from
 * the next attempt. Schedule-to-close counts from the original schedule time, across
 * timers; start-to-close bounds each attempt and is retried.
 */
import { Context, type ActivityInfo } from '../activity/context';
import { ApplicationFailure, TimeoutFailure, TemporalFailure, ensureApplicationFailure, type DataConverter } from '../converter';
import type { Failure, LocalActivityRequest, LocalRetryPolicy } from '../common/activation-protocol';
import type { LocalActivityOutcome, LocalActivityRun } from '../engine/local-activities';
import { parseDuration } from '../common/duration';
import { activityLogFields, withLogFields } from '../common/log-fields';
import type { ActivityExecuteInput, CompiledWorkerOptions } from './worker-options';

/** What a local activity needs of the worker. */
export interface LocalActivityHost {
  options: CompiledWorkerOptions;
  dataConverter: DataConverter;
  /** Aborted when the worker shuts down: no further attempt starts. */
  shutdownSignal: AbortSignal;
  /** The activity function inside the worker's activity inbound interceptors. */
  intercepted(ctx: Context, fn: (...args: unknown[]) => unknown): (input: ActivityExecuteInput) => Promise<unknown>;
}

/**
 * The delay before the attempt after `attempt`, or undefined when the policy allows no
 * retry: past `maximumAttempts`, a non-retryable application failure or one of
 * `nonRetryableErrorTypes` (compared without case), else the failure's
 * `nextRetryDelay`, else `initialInterval × backoffCoefficient^(attempt−1)` up to
 * `maximumInterval` (defaults: 1 s, 2, 100 × the initial interval).
 */
export function localRetryDelayMs(policy: LocalRetryPolicy | undefined, attempt: number, failure: TemporalFailure): number | undefined {
  const initial = policy?.initialIntervalMs ?? 1000;
  const coefficient = policy?.backoffCoefficient !== undefined && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2;
  const maximum = policy?.maximumIntervalMs !== undefined ? Math.max(policy.maximumIntervalMs, initial) : initial * 100;
  if (policy?.maximumAttempts && attempt >= policy.maximumAttempts) return undefined;
  const app = failure instanceof ApplicationFailure ? failure : undefined;
  if (app?.nonRetryable) return undefined;
  const type = (app?.type ?? '').toLowerCase();
  if ((policy?.nonRetryableErrorTypes ?? []).some((t) => t.toLowerCase() === type)) return undefined;
  if (app?.nextRetryDelay !== undefined && app.nextRetryDelay !== null) return parseDuration(app.nextRetryDelay, 'ApplicationFailure.nextRetryDelay');
  if (attempt === 1) return initial;
  return Math.min(initial * Math.pow(coefficient, attempt - 1), maximum);
}

/** A Temporal failure as is; anything else as an ApplicationFailure (as the official SDK converts). */
function ensureFailure(err: unknown): TemporalFailure {
  return err instanceof TemporalFailure ? err : ensureApplicationFailure(err);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Runs one schedule of a local activity: attempts from `req.attempt` until one succeeds,
 * the policy allows no retry, the next retry would pass the schedule-to-close deadline,
 * or its backoff is over `req.localRetryThresholdMs`. Never rejects: the outcome becomes
 * the activity's marker. Each attempt runs inside the activity inbound interceptors, with
 * the headers the workflow's outbound interceptors set.
 */
export async function runLocalActivity(
  host: LocalActivityHost,
  req: LocalActivityRequest,
  run: LocalActivityRun,
  signal?: AbortSignal,
): Promise<LocalActivityOutcome> {
  const { options: o, dataConverter: dc } = host;
  const pc = dc.payloadConverter;
  const scheduled = Date.now();
  const original = req.originalScheduleTimeMs ?? scheduled;
  const deadline = req.scheduleToCloseTimeoutMs ? original + req.scheduleToCloseTimeoutMs : Infinity;
  const stop = signal ? AbortSignal.any([signal, host.shutdownSignal]) : host.shutdownSignal;
  // Results and failures stay decoded here: the workflow reads them, and the worker
  // encodes the marker command that records them.
  const ended = (attempt: number, end: { result?: unknown; failure?: TemporalFailure; backoffMs?: number }): LocalActivityOutcome => ({
    ...(end.failure ? { failure: dc.failureConverter.errorToFailure(end.failure, pc) as Failure } : { result: pc.toPayload(end.result) }),
    attempt,
    completeTimeMs: Date.now(),
    originalScheduleTimeMs: original,
    backoffMs: end.backoffMs,
  });
  const first = Math.max(1, req.attempt ?? 1);
  const fn = o.activities[req.activityType];
  if (!fn) {
    const message = `Local activity function ${req.activityType} is not registered on this worker. Registered activities: [${Object.keys(o.activities).join(', ')}].`;
    return ended(first, { failure: ApplicationFailure.create({ message, type: 'NotFoundError', nonRetryable: true }) });
  }
  if (Date.now() >= deadline) {
    // Scheduled again after a backoff timer that outlasted schedule-to-close (Core: timed out at once).
    return ended(first, {
      failure: new TimeoutFailure(`local activity ${req.activityType} passed its schedule-to-close timeout`, undefined, 'SCHEDULE_TO_CLOSE'),
    });
  }
  for (let attempt = first; ; attempt++) {
    const info: ActivityInfo = {
      taskToken: new Uint8Array(),
      activityId: req.activityId,
      activityType: req.activityType,
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      workflowType: run.workflowType,
      workflowNamespace: o.namespace,
      activityNamespace: o.namespace,
      taskQueue: o.taskQueue,
      attempt,
      isLocal: true,
      heartbeatDetails: undefined,
      startToCloseTimeoutMs: req.startToCloseTimeoutMs ?? 0,
      scheduleToCloseTimeoutMs: req.scheduleToCloseTimeoutMs,
      scheduledTimestampMs: scheduled,
      currentAttemptScheduledTimestampMs: Date.now(),
      startedTimestampMs: Date.now(),
    };
    const ctx = new Context(info, { heartbeat: () => undefined, log: withLogFields(o.logger, activityLogFields(info)) }, host.shutdownSignal);
    const untilDeadline = deadline - Date.now();
    const startToClose = req.startToCloseTimeoutMs ?? Infinity;
    const limit = Math.min(startToClose, untilDeadline);
    let timer: NodeJS.Timeout | undefined;
    let failure: TemporalFailure;
    try {
      const args = req.args.map((p) => pc.fromPayload(p));
      const execute = host.intercepted(ctx, fn);
      const attemptDone = ctx.run(() => execute({ args, headers: req.headers ?? {} }));
      const result = Number.isFinite(limit)
        ? await Promise.race([
            attemptDone,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => {
                  ctx.cancel('TIMED_OUT');
                  const type = untilDeadline < startToClose ? 'SCHEDULE_TO_CLOSE' : 'START_TO_CLOSE';
                  reject(new TimeoutFailure(`local activity ${req.activityType} timed out after ${Math.round(limit)} ms`, undefined, type));
                },
                Math.max(0, limit),
              );
            }),
          ])
        : await attemptDone;
      return ended(attempt, { result });
    } catch (err) {
      failure = ensureFailure(err);
    } finally {
      if (timer) clearTimeout(timer);
    }
    // A schedule-to-close timeout ends the activity; a start-to-close one is retried.
    const closed = failure instanceof TimeoutFailure && failure.timeoutType === 'SCHEDULE_TO_CLOSE';
    const delay = closed ? undefined : localRetryDelayMs(req.retry, attempt, failure);
    // As the server does for activities: no retry that would start past schedule-to-close.
    if (delay === undefined || Date.now() + delay >= deadline || stop.aborted) return ended(attempt, { failure });
    if (delay > req.localRetryThresholdMs) return ended(attempt, { failure, backoffMs: delay });
    await pause(delay, stop);
    if (stop.aborted) return ended(attempt, { failure });
  }
}
