/**
 * Local activities from workflow code: `proxyLocalActivities` and `scheduleLocalActivity`.
 * The worker runs them itself and records each outcome as a `core_local_activity` marker.
 * As in the official SDK, a failed attempt whose retry backoff is at most
 * `localRetryThreshold` is retried by the worker within the workflow task; a longer
 * backoff comes back here as {@link LocalActivityDoBackoff}, and the workflow waits for it
 * on a durable timer, then schedules the activity again (a new sequence number) from the
 * next attempt, keeping the original schedule time.
 */
import { ActivityFailure, CancelledFailure } from '../converter';
import { activator } from './runtime/current';
import { CancellationScope } from './runtime/cancellation-scope';
import { optionalMs, timestampMs, type Timestamp } from './runtime/durations';
import { composeInterceptors, type LocalActivityInput } from './interceptors';
import { activityProxy, retryPolicyMs, type ActivityFn, type ActivityInterfaceFor, type RetryPolicy } from './activities';
import { LocalActivityDoBackoff } from './local-activity-backoff';
import { sleep } from './timers';
import type { LocalActivityRequest } from '../common/activation-protocol';

/**
 * Backoffs longer than this go through a durable timer, as in the official SDK.
 * @default 60000 (1 minute)
 */
export const DEFAULT_LOCAL_RETRY_THRESHOLD_MS = 60_000;

export interface LocalActivityOptions {
  /** Bastion only (the official SDK always uses the sequence number). @default the sequence number */
  activityId?: string;
  /** Limit of one attempt. Either this or `scheduleToCloseTimeout` is required. */
  startToCloseTimeout?: number | string;
  /** Limit of all attempts, counted from the first schedule (across backoff timers too). */
  scheduleToCloseTimeout?: number | string;
  retry?: RetryPolicy;
  /**
   * A retry whose backoff is longer than this waits on a durable timer in the workflow
   * (the activity is then scheduled again); shorter backoffs wait in the worker, within
   * the workflow task. A duration, `0` sends every retry through a timer.
   * @default '1 minute' ({@link DEFAULT_LOCAL_RETRY_THRESHOLD_MS})
   */
  localRetryThreshold?: number | string;
}

/**
 * The request the worker receives for `input`, its options checked and compiled.
 * @throws {ConfigError} `ERR_INVALID_OPTION` for a duration option that is not a duration
 * @throws {TypeError} when neither timeout is set, or for a retry policy out of range
 */
export function localActivityRequest(input: Omit<LocalActivityInput, 'args'>, args: LocalActivityRequest['args']): LocalActivityRequest {
  const { options } = input;
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout');
  }
  return {
    seq: input.seq,
    activityId: options.activityId ?? String(input.seq),
    activityType: input.activityType,
    args,
    headers: input.headers,
    startToCloseTimeoutMs: optionalMs(options.startToCloseTimeout, 'startToCloseTimeout'),
    scheduleToCloseTimeoutMs: optionalMs(options.scheduleToCloseTimeout, 'scheduleToCloseTimeout'),
    retry: options.retry && retryPolicyMs(options.retry),
    attempt: input.attempt,
    originalScheduleTimeMs: timestampMs(input.originalScheduleTime),
    localRetryThresholdMs: optionalMs(options.localRetryThreshold, 'localRetryThreshold') ?? DEFAULT_LOCAL_RETRY_THRESHOLD_MS,
  };
}

/**
 * Runs an activity in the worker itself, as part of the workflow task: no round trip
 * through the server, its result recorded as a marker in history. For short work.
 * Retries with a backoff over `localRetryThreshold` wait on a durable timer here; when the
 * scope is cancelled during that timer, the call rejects with the timer's `CancelledFailure`.
 */
export async function scheduleLocalActivity<R>(activityType: string, args: unknown[], options: LocalActivityOptions): Promise<R> {
  const a = activator();
  // Checked before anything is scheduled, so a bad option fails the call at once.
  localActivityRequest({ activityType, options, headers: {}, seq: 0, attempt: 1 }, []);
  let attempt = 1;
  let originalScheduleTime: Timestamp | undefined;
  for (;;) {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) throw new CancelledFailure('Local activity cancelled before it was scheduled');
    // Local activities number with activities, as in the official SDK (markers record the number).
    const seq = a.nextSeq('activity');
    const run = composeInterceptors(a.outbound, 'scheduleLocalActivity', (input: LocalActivityInput) => issueLocalActivity(a, scope, input));
    try {
      return (await run({ activityType, args, options, headers: {}, seq, attempt, originalScheduleTime })) as R;
    } catch (err) {
      if (!(err instanceof LocalActivityDoBackoff)) throw err;
      const { backoffDuration } = err.backoff;
      await sleep(backoffDuration.seconds * 1000 + Math.floor(backoffDuration.nanos / 1e6));
      attempt = err.backoff.attempt;
      originalScheduleTime = err.backoff.originalScheduleTime;
    }
  }
}

function issueLocalActivity(a: ReturnType<typeof activator>, scope: CancellationScope, input: LocalActivityInput): Promise<unknown> {
  const request = localActivityRequest(input, a.toPayloads(input.args).payloads);
  const promise = a.issueSeq('localActivity', input.seq, { localActivity: request });
  const unsubscribe = scope.onCancel(() => {
    a.settle(
      'localActivity',
      input.seq,
      new ActivityFailure('Local activity cancelled', input.activityType, request.activityId, 0, 'bastion', new CancelledFailure('Local activity cancelled')),
    );
  });
  promise.then(unsubscribe, unsubscribe);
  return promise;
}

/**
 * A proxy whose properties run the local activity of the same name with `options`.
 * @throws {ConfigError} `ERR_INVALID_OPTION` for a duration option that is not a duration (`localRetryThreshold`, timeouts, retry intervals)
 * @throws {TypeError} when neither `startToCloseTimeout` nor `scheduleToCloseTimeout` is set
 */
export function proxyLocalActivities<A = Record<string, ActivityFn>>(options: LocalActivityOptions): ActivityInterfaceFor<A> {
  const proxy = activityProxy<A, LocalActivityOptions>(options, scheduleLocalActivity);
  localActivityRequest({ activityType: '', options, headers: {}, seq: 0, attempt: 1 }, []);
  return proxy;
}
