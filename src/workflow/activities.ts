/** Calling activities from workflow code: `proxyActivities` and `scheduleActivity` (local activities: local-activities.ts). */
import { ActivityFailure, CancelledFailure } from '../converter';
import { activator } from './runtime/current';
import { COMMAND_TYPE } from './runtime/activator';
import { CancellationScope } from './runtime/cancellation-scope';
import { durationProto, optionalMs } from './runtime/durations';
import { composeInterceptors, type ActivityInput } from './interceptors';
import type { LocalRetryPolicy } from '../common/activation-protocol';

/** What happens to an activity when its scope is cancelled (same values as the official SDK). */
export enum ActivityCancellationType {
  /** Ask the server to cancel, and settle the call at once. */
  TRY_CANCEL = 0,
  /** Ask the server to cancel, and wait until the activity reports that it stopped. */
  WAIT_CANCELLATION_COMPLETED = 1,
  /** Do not ask; settle the call at once and let the activity run on. */
  ABANDON = 2,
}

export interface RetryPolicy {
  initialInterval?: number | string;
  backoffCoefficient?: number;
  maximumInterval?: number | string;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

export interface ActivityOptions {
  activityId?: string;
  /** Run the activity on another task queue (another worker's), as the seed page describes. */
  taskQueue?: string;
  heartbeatTimeout?: number | string;
  retry?: RetryPolicy;
  startToCloseTimeout?: number | string;
  scheduleToStartTimeout?: number | string;
  scheduleToCloseTimeout?: number | string;
  cancellationType?: ActivityCancellationType;
  allowEagerDispatch?: boolean;
}

/** A RetryPolicy checked, with its durations in milliseconds. */
export function retryPolicyMs(p: RetryPolicy): LocalRetryPolicy {
  if (p.backoffCoefficient !== undefined && p.backoffCoefficient < 1) throw new TypeError('`retry.backoffCoefficient` must be at least 1');
  if (p.maximumAttempts !== undefined && (!Number.isInteger(p.maximumAttempts) || p.maximumAttempts < 0))
    throw new TypeError('`retry.maximumAttempts` must be a non-negative integer (0 = unlimited)');
  return {
    initialIntervalMs: optionalMs(p.initialInterval, 'retry.initialInterval'),
    backoffCoefficient: p.backoffCoefficient,
    maximumIntervalMs: optionalMs(p.maximumInterval, 'retry.maximumInterval'),
    maximumAttempts: p.maximumAttempts,
    nonRetryableErrorTypes: p.nonRetryableErrorTypes,
  };
}

/** A RetryPolicy as the Temporal API wants it. */
export function compileRetryPolicy(p: RetryPolicy | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const r = retryPolicyMs(p);
  return {
    initialInterval: durationProto(r.initialIntervalMs),
    backoffCoefficient: r.backoffCoefficient,
    maximumInterval: durationProto(r.maximumIntervalMs),
    maximumAttempts: r.maximumAttempts,
    nonRetryableErrorTypes: r.nonRetryableErrorTypes,
  };
}

/** Schedules one activity and resolves with its result. */
export function scheduleActivity<R>(activityType: string, args: unknown[], options: ActivityOptions): Promise<R> {
  const a = activator();
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout');
  }
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) return Promise.reject(new CancelledFailure('Activity cancelled before it was scheduled'));
  const seq = a.nextSeq('activity');
  const run = composeInterceptors(a.outbound, 'scheduleActivity', (input: ActivityInput) => issueActivity(a, scope, input));
  return run({ activityType, args, options, headers: {}, seq }) as Promise<R>;
}

function issueActivity(a: ReturnType<typeof activator>, scope: CancellationScope, input: ActivityInput): Promise<unknown> {
  const { activityType, options, seq } = input;
  const activityId = options.activityId ?? String(seq);
  const promise = a.issueSeq('activity', seq, {
    commandType: COMMAND_TYPE.SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: activityType },
      taskQueue: { name: options.taskQueue ?? a.info.taskQueue },
      header: { fields: input.headers },
      input: a.toPayloads(input.args),
      scheduleToCloseTimeout: durationProto(optionalMs(options.scheduleToCloseTimeout, 'scheduleToCloseTimeout')),
      scheduleToStartTimeout: durationProto(optionalMs(options.scheduleToStartTimeout, 'scheduleToStartTimeout')),
      startToCloseTimeout: durationProto(optionalMs(options.startToCloseTimeout, 'startToCloseTimeout')),
      heartbeatTimeout: durationProto(optionalMs(options.heartbeatTimeout, 'heartbeatTimeout')),
      retryPolicy: compileRetryPolicy(options.retry),
      // The worker keeps it only when the activity runs on its own task queue and it has a free slot.
      requestEagerExecution: options.allowEagerDispatch !== false,
    },
  });
  const type = options.cancellationType ?? ActivityCancellationType.TRY_CANCEL;
  const unsubscribe = scope.onCancel(() => {
    if (!a.isPending('activity', seq)) return;
    const cancelled = new ActivityFailure('Activity cancelled', activityType, activityId, 0, 'bastion', new CancelledFailure('Activity cancelled'));
    if (type !== ActivityCancellationType.ABANDON) {
      a.push({ commandType: COMMAND_TYPE.REQUEST_CANCEL_ACTIVITY_TASK, requestCancelActivityTaskCommandAttributes: { scheduledEventId: 0 } }, 'activity', seq);
    }
    if (type !== ActivityCancellationType.WAIT_CANCELLATION_COMPLETED) a.settle('activity', seq, cancelled);
  });
  promise.then(unsubscribe, unsubscribe);
  return promise;
}

export type ActivityFn = (...args: any[]) => Promise<any>;
export type ActivityInterfaceFor<T> = { [K in keyof T]: T[K] extends ActivityFn ? T[K] : never };

/** Validates activity options and returns a proxy whose properties call `schedule` by name. */
export function activityProxy<A, O extends { startToCloseTimeout?: unknown; scheduleToCloseTimeout?: unknown }>(
  options: O,
  schedule: (activityType: string, args: unknown[], options: O) => Promise<unknown>,
): ActivityInterfaceFor<A> {
  if (options === undefined || options === null) throw new TypeError('`options` must be defined');
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout');
  }
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_, activityType) {
      if (typeof activityType !== 'string') throw new TypeError(`Only strings are supported for activity types, got: ${String(activityType)}`);
      return (...args: unknown[]) => schedule(activityType, args, options);
    },
  });
}

/** A proxy whose properties schedule the activity of the same name with `options`. */
export function proxyActivities<A = Record<string, ActivityFn>>(options: ActivityOptions): ActivityInterfaceFor<A> {
  return activityProxy<A, ActivityOptions>(options, scheduleActivity);
}
