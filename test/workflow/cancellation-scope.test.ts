/**
 * Cancellation scopes (src/workflow/runtime/cancellation-scope.ts): the scope tree,
 * propagation to cancellable descendants only, the current scope across awaits, and
 * what a cancelled scope does to the timers and activities started in it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActivityCancellationType, CancellationScope, CancelledFailure, isCancellation, scheduleActivity, sleep } from '../../src/workflow';
import { COMMAND_TYPE as C } from '../../src/workflow/runtime/activator';
import { setActivator } from '../../src/workflow/runtime/current';
import { Run, startJob, types, valueOf } from './harness';

const resultOf = (c: { commands: Array<{ command: Record<string, any> }> }) =>
  valueOf(c.commands.at(-1)!.command.completeWorkflowExecutionCommandAttributes.result.payloads[0]);

// ---- the tree, outside workflow code --------------------------------------------------------

const tree = suite('workflow runtime: scope tree');

tree.before.each(() => {
  // A run is current so new scopes hang under its root, as in workflow code.
  new Run({});
});

tree('cancelling a scope cancels its cancellable descendants, not non-cancellable ones or what is below them', () => {
  const root = new CancellationScope();
  const child = new CancellationScope({ parent: root });
  const grandchild = new CancellationScope({ parent: child });
  const shielded = new CancellationScope({ parent: root, cancellable: false });
  const underShield = new CancellationScope({ parent: shielded });
  root.cancel();
  assert.equal(
    [root, child, grandchild, shielded, underShield].map((s) => s.consideredCancelled),
    [true, true, true, false, false],
  );
});

tree('cancelling a child leaves its parent and siblings alone', () => {
  const root = new CancellationScope();
  const a = new CancellationScope({ parent: root });
  const b = new CancellationScope({ parent: root });
  a.cancel();
  assert.equal([root.consideredCancelled, a.consideredCancelled, b.consideredCancelled], [false, true, false]);
});

tree('a cancellable scope made under a cancelled parent starts cancelled; a non-cancellable one does not', () => {
  const root = new CancellationScope();
  root.cancel();
  assert.is(new CancellationScope({ parent: root }).consideredCancelled, true);
  assert.is(new CancellationScope({ parent: root, cancellable: false }).consideredCancelled, false);
});

tree('cancelRequested rejects with a CancelledFailure; listeners run once and can unsubscribe', async () => {
  const scope = new CancellationScope();
  const heard: string[] = [];
  scope.onCancel((err) => heard.push(`a:${err instanceof CancelledFailure}`));
  const off = scope.onCancel(() => heard.push('b'));
  off();
  scope.cancel();
  scope.cancel();
  const err = await scope.cancelRequested.catch((e) => e);
  assert.ok(err instanceof CancelledFailure);
  assert.equal(heard, ['a:true']);
});

tree('a new scope without a parent hangs under the current run root', () => {
  const run = new Run({});
  const scope = new CancellationScope();
  assert.is(scope.parent, run.activator.rootScope);
  run.activator.rootScope.cancel();
  assert.is(scope.consideredCancelled, true);
});

tree('outside workflow code there is no current scope', () => {
  setActivator(undefined);
  assert.throws(() => CancellationScope.current(), /outside a workflow/);
});

tree('a timeout that is not a duration is rejected naming the option', () => {
  assert.throws(() => new CancellationScope({ timeout: 'soon' }), /`timeout`/);
});

// ---- scopes in workflow code -----------------------------------------------------------------

const inWorkflow = suite('workflow runtime: scopes in workflow code');

inWorkflow('the current scope follows async calls inside run(), across awaits', async () => {
  const run = new Run({
    w: async () => {
      const outer = CancellationScope.current();
      const inner = new CancellationScope();
      const seen = await inner.run(async () => {
        const before = CancellationScope.current();
        await Promise.resolve();
        await new Promise<void>((r) => queueMicrotask(r));
        return [before === inner, CancellationScope.current() === inner, inner.parent === outer];
      });
      return [...seen, CancellationScope.current() === outer];
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(resultOf(c), [true, true, true, true]);
});

inWorkflow('cancelling a scope cancels the timer started in it, with CancelTimer, and the sleep rejects', async () => {
  const run = new Run({
    w: async () => {
      const scope = new CancellationScope();
      const p = scope.run(() => sleep('1m'));
      await Promise.resolve();
      scope.cancel();
      try {
        await p;
        return 'slept';
      } catch (err) {
        return isCancellation(err) ? 'timer cancelled' : String(err);
      }
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(types(c), [C.START_TIMER, C.CANCEL_TIMER, C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(c.commands[1]!.command.cancelTimerCommandAttributes.timerId, c.commands[0]!.command.startTimerCommandAttributes.timerId);
  assert.is(resultOf(c), 'timer cancelled');
});

inWorkflow('sleep in an already cancelled scope rejects without issuing a timer', async () => {
  const run = new Run({
    w: async () => {
      const scope = new CancellationScope();
      scope.cancel();
      return scope
        .run(() => sleep(10))
        .then(
          () => 'slept',
          (err) => (err instanceof CancelledFailure ? 'rejected' : 'other'),
        );
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(types(c), [C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(resultOf(c), 'rejected');
});

inWorkflow('nonCancellable shields its timer from workflow cancellation', async () => {
  const run = new Run({
    w: async () => {
      await CancellationScope.nonCancellable(() => sleep('5s'));
      return 'finished cleanup';
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([{ type: 'cancelWorkflow' }]);
  assert.equal(c.commands, [], 'no CancelTimer for the shielded timer');
  const done = await run.activate([{ type: 'fireTimer', seq: 1 }]);
  assert.is(resultOf(done), 'finished cleanup');
});

inWorkflow('withTimeout starts a timer for the timeout and cancels the scope when it fires', async () => {
  const run = new Run({
    w: async () => {
      try {
        await CancellationScope.withTimeout('2s', () => sleep('1h'));
        return 'slept';
      } catch (err) {
        return isCancellation(err) ? 'timed out' : String(err);
      }
    },
  });
  const c1 = await run.activate([startJob('w')]);
  const timers = c1.commands.map((x) => [x.seq, x.command.startTimerCommandAttributes.startToFireTimeout.seconds]);
  assert.equal(
    timers,
    [
      [1, 2],
      [2, 3600],
    ],
    'the timeout timer, then the inner sleep',
  );
  const c2 = await run.activate([{ type: 'fireTimer', seq: 1 }]);
  assert.equal(types(c2), [C.CANCEL_TIMER, C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(c2.commands[0]!.command.cancelTimerCommandAttributes.timerId, '2');
  assert.is(resultOf(c2), 'timed out');
});

inWorkflow('a cancelled activity (TRY_CANCEL) requests cancellation and rejects at once', async () => {
  const run = new Run({
    w: async () => {
      const scope = new CancellationScope();
      const p = scope.run(() => scheduleActivity('slow', [], { startToCloseTimeout: '1m' }));
      await Promise.resolve();
      scope.cancel();
      return p.then(
        () => 'done',
        (err) => (isCancellation(err) ? 'cancelled' : String(err)),
      );
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(types(c), [C.SCHEDULE_ACTIVITY_TASK, C.REQUEST_CANCEL_ACTIVITY_TASK, C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.equal([c.commands[1]!.kind, c.commands[1]!.seq], ['activity', 1], 'tagged so the host can fill the scheduled event id');
  assert.is(resultOf(c), 'cancelled');
});

inWorkflow('an ABANDON activity is not asked to cancel, but the call rejects', async () => {
  const run = new Run({
    w: async () => {
      const scope = new CancellationScope();
      const p = scope.run(() => scheduleActivity('fire-and-forget', [], { startToCloseTimeout: '1m', cancellationType: ActivityCancellationType.ABANDON }));
      await Promise.resolve();
      scope.cancel();
      return p.then(
        () => 'done',
        (err) => (isCancellation(err) ? 'abandoned' : String(err)),
      );
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(types(c), [C.SCHEDULE_ACTIVITY_TASK, C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(resultOf(c), 'abandoned');
});

tree.run();
inWorkflow.run();
