/**
 * Local activities in the workflow runtime: the request the worker receives (options
 * compiled, `localRetryThreshold` defaulted to a minute), sequence numbers shared with
 * activities, and a backoff resolution: a durable timer, then the activity scheduled anew
 * from the next attempt with the original schedule time, seen by outbound interceptors;
 * cancellation during the timer.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CancelledFailure, isCancellation, proxyLocalActivities, scheduleActivity, scheduleLocalActivity, type LocalActivityInput } from '../../src/workflow';
import { COMMAND_TYPE as C } from '../../src/workflow/runtime/activator';
import type { ActivationCompletion, LocalActivityRequest } from '../../src/common/activation-protocol';
import { Run, payload, startJob, valueOf } from './harness';

const t = suite('workflow runtime: local activities');

const requestsOf = (c: ActivationCompletion) =>
  c.commands.filter((x) => x.kind === 'localActivity').map((x) => x.command.localActivity as LocalActivityRequest);
const resultOf = (c: ActivationCompletion) => valueOf(c.commands.at(-1)!.command.completeWorkflowExecutionCommandAttributes.result.payloads[0]);

t('the request carries the compiled options, attempt 1, no original schedule time, and a one-minute threshold by default', async () => {
  const run = new Run({ w: () => scheduleLocalActivity('lookup', ['x'], { startToCloseTimeout: '2s', retry: { initialInterval: '3s', maximumAttempts: 4 } }) });
  const [r] = requestsOf(await run.activate([startJob('w')]));
  assert.equal(
    { ...r, args: r!.args.map(valueOf) },
    {
      seq: 1,
      activityId: '1',
      activityType: 'lookup',
      args: ['x'],
      headers: {},
      startToCloseTimeoutMs: 2000,
      scheduleToCloseTimeoutMs: undefined,
      retry: { initialIntervalMs: 3000, backoffCoefficient: undefined, maximumIntervalMs: undefined, maximumAttempts: 4, nonRetryableErrorTypes: undefined },
      attempt: 1,
      originalScheduleTimeMs: undefined,
      localRetryThresholdMs: 60_000,
    },
  );
});

t('local activities take their sequence numbers from the activities counter, as in the official SDK', async () => {
  const run = new Run({
    w: () => Promise.all([scheduleActivity('remote', [], { startToCloseTimeout: '1s' }), scheduleLocalActivity('local', [], { startToCloseTimeout: '1s' })]),
  });
  const c = await run.activate([startJob('w')]);
  assert.is(c.commands[0]!.command.scheduleActivityTaskCommandAttributes.activityId, '1');
  assert.equal(
    requestsOf(c).map((r) => [r.seq, r.activityId]),
    [[2, '2']],
  );
});

t('a backoff: a durable timer of its length, then the activity scheduled anew from the next attempt with the original schedule time', async () => {
  const seen: Array<Pick<LocalActivityInput, 'seq' | 'attempt' | 'originalScheduleTime'>> = [];
  const run = new Run({ w: () => scheduleLocalActivity('lookup', [], { startToCloseTimeout: '1s' }) });
  run.activator.outbound.push({
    scheduleLocalActivity: (input, next) => {
      seen.push({ seq: input.seq, attempt: input.attempt, originalScheduleTime: input.originalScheduleTime });
      return next(input);
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([
    { type: 'resolveLocalActivity', seq: 1, result: { backoff: { attempt: 3, backoffMs: 90_500, originalScheduleTimeMs: 1_234_567 } } },
  ]);
  assert.equal(
    c.commands.map((x) => x.command),
    [{ commandType: C.START_TIMER, startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { seconds: 90, nanos: 500_000_000 } } }],
  );
  const again = await run.activate([{ type: 'fireTimer', seq: 1 }]);
  const [r] = requestsOf(again);
  assert.equal([r!.seq, r!.activityId, r!.attempt, r!.originalScheduleTimeMs], [2, '2', 3, 1_234_567]);
  assert.equal(seen, [
    { seq: 1, attempt: 1, originalScheduleTime: undefined },
    { seq: 2, attempt: 3, originalScheduleTime: { seconds: 1234, nanos: 567_000_000 } },
  ]);
  const done = await run.activate([{ type: 'resolveLocalActivity', seq: 2, result: { completed: payload('found') } }]);
  assert.is(resultOf(done), 'found');
});

t('cancelled during the backoff timer: the timer is cancelled and the call rejects with a CancelledFailure', async () => {
  const run = new Run({
    w: async () => {
      try {
        return await scheduleLocalActivity('lookup', [], { startToCloseTimeout: '1s' });
      } catch (err) {
        return { cancelled: err instanceof CancelledFailure, isCancellation: isCancellation(err) };
      }
    },
  });
  await run.activate([startJob('w')]);
  await run.activate([{ type: 'resolveLocalActivity', seq: 1, result: { backoff: { attempt: 2, backoffMs: 120_000 } } }]);
  const c = await run.activate([{ type: 'cancelWorkflow' }]);
  assert.equal(
    c.commands.map((x) => x.command.commandType),
    [C.CANCEL_TIMER, C.COMPLETE_WORKFLOW_EXECUTION],
  );
  assert.equal(resultOf(c), { cancelled: true, isCancellation: true });
  assert.equal(requestsOf(c), [], 'no new schedule');
});

t('an invalid localRetryThreshold is refused when the proxy is made, naming the option', async () => {
  let caught: any;
  const run = new Run({
    w: async () => {
      try {
        proxyLocalActivities({ startToCloseTimeout: '1s', localRetryThreshold: 'soon' });
      } catch (err) {
        caught = err;
      }
      return 'done';
    },
  });
  await run.activate([startJob('w')]);
  assert.is(caught?.code, 'ERR_INVALID_OPTION');
  assert.match(caught.message, /`localRetryThreshold` must be a duration such as "500ms", "10s", "1 minute"/);
});

t('localRetryThreshold 0 sends every retry through a timer', async () => {
  const run = new Run({ w: () => scheduleLocalActivity('lookup', [], { startToCloseTimeout: '1s', localRetryThreshold: 0 }) });
  const [r] = requestsOf(await run.activate([startJob('w')]));
  assert.is(r!.localRetryThresholdMs, 0);
});

t.run();
