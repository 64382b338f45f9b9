/** Durable timers in workflow code: `sleep` and `condition`. */
import { CancelledFailure } from '../converter';
import { activator } from './runtime/current';
import { COMMAND_TYPE } from './runtime/activator';
import { CancellationScope } from './runtime/cancellation-scope';
import { durationProto, msFromDurationInSandbox } from './runtime/durations';
import { composeInterceptors, type TimerInput } from './interceptors';

/** A durable timer: survives worker restarts; cancelled with its scope. */
export function sleep(ms: number | string): Promise<void> {
  const a = activator();
  const duration = Math.max(1, msFromDurationInSandbox(ms, 'ms'));
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) return Promise.reject(new CancelledFailure('Timer cancelled before it started'));
  const seq = a.nextSeq('timer');
  const run = composeInterceptors(a.outbound, 'startTimer', (input: TimerInput) => {
    const promise = a.issueSeq<void>('timer', input.seq, {
      commandType: COMMAND_TYPE.START_TIMER,
      startTimerCommandAttributes: { timerId: String(input.seq), startToFireTimeout: durationProto(input.durationMs) },
    });
    const unsubscribe = scope.onCancel(() => {
      if (!a.isPending('timer', input.seq)) return;
      a.push({ commandType: COMMAND_TYPE.CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: String(input.seq) } }, 'timer', input.seq);
      a.settle('timer', input.seq, new CancelledFailure('Timer cancelled'));
    });
    promise.then(unsubscribe, unsubscribe);
    return promise;
  });
  return run({ durationMs: duration, seq });
}

/**
 * Waits until `fn()` is true (checked after every activation). With a timeout, resolves
 * `true` if the condition became true in time, `false` if the timeout passed first.
 */
export function condition(fn: () => boolean, timeout: number | string): Promise<boolean>;
export function condition(fn: () => boolean): Promise<void>;
export function condition(fn: () => boolean, timeout?: number | string): Promise<boolean | void> {
  const a = activator();
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) return Promise.reject(new CancelledFailure('Condition cancelled'));
  if (timeout === undefined) return waitFor(a, scope, fn);
  return CancellationScope.cancellable(async () => {
    const inner = CancellationScope.current();
    try {
      return await Promise.race([sleep(timeout).then(() => false), waitFor(a, inner, fn).then(() => true)]);
    } finally {
      inner.cancel();
    }
  });
}

function waitFor(a: ReturnType<typeof activator>, scope: CancellationScope, fn: () => boolean): Promise<void> {
  const { id, promise } = a.addCondition(fn);
  return new Promise<void>((resolve, reject) => {
    const unsubscribe = scope.onCancel((err) => {
      a.removeCondition(id);
      reject(err);
    });
    void promise.then(() => {
      unsubscribe();
      resolve();
    });
  });
}
