/** MockActivityEnvironment: an activity runs with a Context, no worker or server. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MockActivityEnvironment } from '../../src/testing';
import { Context, heartbeat, activityInfo } from '../../src/activity';
import { CancelledFailure } from '../../src/converter';
import { timed } from '../helpers/wait';

const test = suite('MockActivityEnvironment');

test(
  'captures heartbeats in order and emits the first detail of each',
  timed(5_000, async () => {
    const env = new MockActivityEnvironment({ attempt: 3, activityType: 'download' });
    const emitted: unknown[] = [];
    env.on('heartbeat', (d) => emitted.push(d));
    const result = await env.run(async (n: number) => {
      for (let i = 1; i <= n; i++) heartbeat({ done: i }, 'extra');
      return `${activityInfo().activityType} attempt ${activityInfo().attempt}`;
    }, 2);
    assert.is(result, 'download attempt 3');
    assert.equal(emitted, [{ done: 1 }, { done: 2 }]);
    assert.equal(env.heartbeats, [
      [{ done: 1 }, 'extra'],
      [{ done: 2 }, 'extra'],
    ]);
  }),
);

test(
  'cancellation injected by the test aborts the signal and rejects ctx.sleep with a CancelledFailure',
  timed(5_000, async () => {
    const env = new MockActivityEnvironment();
    let reached!: () => void;
    const sleeping = new Promise<void>((r) => (reached = r));
    const run = env.run(async () => {
      const ctx = Context.current();
      const p = ctx.sleep(3_600_000);
      reached();
      await p;
      return 'slept';
    });
    await sleeping;
    env.cancel();
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, CancelledFailure);
    assert.ok(env.context.cancellationSignal.aborted);
    assert.is(env.context.cancellationReason, 'CANCELLED');
  }),
);

test(
  'a worker shutdown is injected apart from cancellation',
  timed(5_000, async () => {
    const env = new MockActivityEnvironment();
    env.shutdownWorker();
    const seen = await env.run(() => [Context.current().isWorkerShuttingDown, Context.current().cancellationSignal.aborted]);
    assert.equal(seen, [true, false]);
  }),
);

test.run();
