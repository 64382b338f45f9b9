/**
 * The worker's local activity runner against Core's rules: the retry delay (Core's
 * `should_retry`), the threshold (a backoff equal to it still waits in the worker, a
 * longer one ends the schedule with the backoff), the first attempt and the
 * schedule-to-close deadline carried from an earlier schedule, and a run that leaves the
 * worker stopping its retries.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Context } from '../../src/activity';
import { ApplicationFailure, TimeoutFailure, defaultDataConverter, defaultPayloadConverter } from '../../src/converter';
import { localRetryDelayMs, runLocalActivity, type LocalActivityHost } from '../../src/worker/local-activity-runner';
import type { LocalActivityRequest } from '../../src/common/activation-protocol';
import type { CompiledWorkerOptions } from '../../src/worker/worker-options';
import { quietLogger } from '../helpers/bastion-env';

const t = suite('worker: local activity runner');
const fail = (message = 'boom', type = 'Error') => ApplicationFailure.create({ message, type });

t('retry delays follow Core: initial interval, then × coefficient per attempt up to the maximum', () => {
  const policy = { initialIntervalMs: 100, backoffCoefficient: 3, maximumIntervalMs: 1000 };
  assert.equal(
    [1, 2, 3, 4].map((n) => localRetryDelayMs(policy, n, fail())),
    [100, 300, 900, 1000],
  );
  assert.equal(
    [1, 2, 8].map((n) => localRetryDelayMs(undefined, n, fail())),
    [1000, 2000, 100_000],
    'defaults: 1 s, × 2, at most 100 × the initial interval',
  );
  assert.is(localRetryDelayMs({ initialIntervalMs: 500, maximumIntervalMs: 100 }, 3, fail()), 500, 'the maximum is never under the initial interval');
});

t('no retry past maximumAttempts, for a non-retryable failure, or for a nonRetryableErrorTypes type (without case); nextRetryDelay wins', () => {
  assert.is(localRetryDelayMs({ maximumAttempts: 3 }, 3, fail()), undefined);
  assert.is(localRetryDelayMs({ maximumAttempts: 3 }, 2, fail()), 2000);
  assert.is(localRetryDelayMs(undefined, 1, ApplicationFailure.nonRetryable('no')), undefined);
  assert.is(localRetryDelayMs({ nonRetryableErrorTypes: ['fatal'] }, 1, fail('x', 'Fatal')), undefined);
  assert.is(localRetryDelayMs(undefined, 1, ApplicationFailure.create({ message: 'later', nextRetryDelay: '7s' })), 7000);
  assert.is(localRetryDelayMs(undefined, 1, new TimeoutFailure('slow', undefined, 'START_TO_CLOSE')), 1000, 'a timeout is retried');
});

function host(activities: Record<string, (...args: any[]) => unknown>, shutdown = new AbortController()): LocalActivityHost {
  return {
    options: { activities, namespace: 'ns', taskQueue: 'tq', logger: quietLogger } as unknown as CompiledWorkerOptions,
    dataConverter: defaultDataConverter,
    shutdownSignal: shutdown.signal,
    intercepted: (_ctx, fn) => (input) => Promise.resolve(fn(...input.args)),
  };
}
const run = { workflowId: 'wf', runId: 'run', workflowType: 'order' };
function request(overrides: Partial<LocalActivityRequest> = {}): LocalActivityRequest {
  return { seq: 1, activityId: '1', activityType: 'flaky', args: [], headers: {}, attempt: 1, localRetryThresholdMs: 60_000, ...overrides };
}
/** An activity failing its first `n` attempts; records the attempt numbers it saw. */
function failing(n: number) {
  const seen: number[] = [];
  let calls = 0;
  return {
    seen,
    flaky: async () => {
      seen.push(Context.current().info.attempt);
      if (++calls <= n) throw new Error(`attempt ${calls} fails`);
      return 'ok';
    },
  };
}

t('a backoff equal to localRetryThreshold waits in the worker; a longer one ends the schedule with the failure and the backoff', async () => {
  const equal = failing(1);
  const o1 = await runLocalActivity(host({ flaky: equal.flaky }), request({ retry: { initialIntervalMs: 5 }, localRetryThresholdMs: 5 }), run);
  assert.equal([defaultPayloadConverter.fromPayload(o1.result!), o1.attempt, o1.backoffMs, equal.seen], ['ok', 2, undefined, [1, 2]]);
  const over = failing(1);
  const o2 = await runLocalActivity(host({ flaky: over.flaky }), request({ retry: { initialIntervalMs: 6 }, localRetryThresholdMs: 5 }), run);
  assert.equal([o2.failure?.message, o2.attempt, o2.backoffMs, over.seen], ['attempt 1 fails', 1, 6, [1]]);
});

t('a schedule after a backoff timer starts from its attempt and keeps the original schedule time', async () => {
  const a = failing(0);
  const o = await runLocalActivity(host({ flaky: a.flaky }), request({ attempt: 3, originalScheduleTimeMs: 1_000 }), run);
  assert.equal([o.attempt, o.originalScheduleTimeMs, a.seen], [3, 1_000, [3]]);
});

t('schedule-to-close counts from the original schedule time: already passed, the activity times out without running', async () => {
  const a = failing(0);
  const o = await runLocalActivity(
    host({ flaky: a.flaky }),
    request({ attempt: 2, originalScheduleTimeMs: Date.now() - 10_000, scheduleToCloseTimeoutMs: 5_000 }),
    run,
  );
  assert.equal(a.seen, []);
  assert.is(o.attempt, 2);
  assert.is(o.failure?.timeoutFailureInfo?.timeoutType, 3, 'SCHEDULE_TO_CLOSE');
});

t('no retry that would start past schedule-to-close: the last failure ends it', async () => {
  const a = failing(5);
  const o = await runLocalActivity(host({ flaky: a.flaky }), request({ retry: { initialIntervalMs: 60_000 }, scheduleToCloseTimeoutMs: 30_000 }), run);
  assert.equal([o.failure?.message, o.attempt, o.backoffMs], ['attempt 1 fails', 1, undefined]);
});

t('when the run leaves the worker during a backoff, no further attempt starts', async () => {
  const a = failing(5);
  const left = new AbortController();
  const running = runLocalActivity(host({ flaky: a.flaky }), request({ retry: { initialIntervalMs: 30_000 } }), run, left.signal);
  // Wait for the first attempt (an event), then leave while it backs off.
  for (let i = 0; i < 100 && a.seen.length === 0; i++) await new Promise((r) => setImmediate(r));
  left.abort();
  const o = await running;
  assert.equal([o.failure?.message, a.seen], ['attempt 1 fails', [1]]);
});

t.run();
