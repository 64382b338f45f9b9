/**
 * The Activator (src/workflow/runtime/activator.ts) driven as the worker's sandbox
 * drives it: start, completion and failure commands, timers, activities, signals
 * (buffered until a handler exists), queries, workflow cancellation, continue-as-new,
 * conditions, patches and workflow info.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ApplicationFailure,
  ActivityFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  scheduleActivity,
  setDefaultSignalHandler,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '../../src/workflow';
import { COMMAND_TYPE as C } from '../../src/workflow/runtime/activator';
import { activator } from '../../src/workflow/runtime/current';
import { errorToFailure, defaultPayloadConverter } from '../../src/converter';
import { Run, payload, startJob, types, valueOf } from './harness';

const resultOf = (c: { commands: Array<{ command: Record<string, any> }> }) =>
  valueOf(c.commands.at(-1)!.command.completeWorkflowExecutionCommandAttributes.result.payloads[0]);

// ---- start and completion ------------------------------------------------------------

const start = suite('workflow runtime: start and completion');

start('runs the workflow with decoded args and completes with its encoded result', async () => {
  const run = new Run({ add: async (a: number, b: { n: number }) => a + b.n });
  const c = await run.activate([startJob('add', [2, { n: 40 }])]);
  assert.equal(types(c), [C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(resultOf(c), 42);
  assert.is(c.taskFailure, undefined);
});

start('an unregistered workflow type fails the task, naming the registered types and the fix', async () => {
  const run = new Run({ alpha: async () => 1, beta: async () => 2, notAFunction: 3 });
  const c = await run.activate([startJob('gamma')]);
  assert.equal(c.commands, []);
  assert.match(
    c.taskFailure!.message!,
    /Workflow type "gamma" is not registered on this worker\. Registered workflow types: \[alpha, beta\]\..*`workflowsPath`/,
  );
});

start('a thrown ApplicationFailure fails the workflow with that failure', async () => {
  const run = new Run({
    w: async () => {
      throw ApplicationFailure.nonRetryable('bad input', 'Validation');
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(types(c), [C.FAIL_WORKFLOW_EXECUTION]);
  const f = c.commands[0]!.command.failWorkflowExecutionCommandAttributes.failure;
  assert.is(f.message, 'bad input');
  assert.is(f.applicationFailureInfo.type, 'Validation');
  assert.is(f.applicationFailureInfo.nonRetryable, true);
});

start('a plain Error fails the task (so the server retries it), not the workflow', async () => {
  const run = new Run({
    w: async () => {
      throw new TypeError('undefined is not a function');
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(c.commands, []);
  assert.is(c.taskFailure!.message, 'undefined is not a function');
});

start('a task failure drops the commands issued in the same activation', async () => {
  const run = new Run({
    w: async () => {
      void sleep(1000);
      throw new Error('after issuing a timer');
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(c.commands, []);
  assert.ok(c.taskFailure);
});

start('a second start job for the same run is ignored', async () => {
  let calls = 0;
  const run = new Run({
    w: async () => {
      calls++;
      await sleep(10);
    },
  });
  await run.activate([startJob('w')]);
  await run.activate([startJob('w')]);
  assert.is(calls, 1);
});

start('workflow info comes from the start job; history length and replay flag from each activation', async () => {
  const seen: Array<{ len: number; replaying: boolean }> = [];
  const run = new Run({
    w: async () => {
      const i = workflowInfo();
      seen.push({ len: i.historyLength, replaying: i.unsafe.isReplaying });
      await sleep(5);
      seen.push({ len: workflowInfo().historyLength, replaying: workflowInfo().unsafe.isReplaying });
      return [i.workflowId, i.attempt, i.memo, i.searchAttributes, i.startTime.getTime(), i.lastResult];
    },
  });
  const job = startJob('w', [], {});
  job.info = { ...job.info, attempt: 3, memo: { owner: payload('ann') }, searchAttributes: { Tier: payload(['gold']) }, lastResult: [payload('prev')] };
  await run.activate([job], { historyLength: 3, isReplaying: true });
  const c = await run.activate([{ type: 'fireTimer', seq: 1 }], { historyLength: 8, isReplaying: false });
  assert.equal(seen, [
    { len: 3, replaying: true },
    { len: 8, replaying: false },
  ]);
  assert.equal(resultOf(c), ['wf-unit', 3, { owner: 'ann' }, { Tier: ['gold'] }, 1_000_000, 'prev']);
});

// ---- timers and activities ------------------------------------------------------------

const ops = suite('workflow runtime: timers and activities');

ops('sleep issues StartTimer with the timer id and a Duration; the workflow resumes when it fires', async () => {
  const run = new Run({
    w: async () => {
      await sleep('1.5s');
      return 'woke';
    },
  });
  const first = await run.activate([startJob('w')]);
  assert.equal(first.commands, [
    {
      command: { commandType: C.START_TIMER, startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { seconds: 1, nanos: 500_000_000 } } },
      kind: 'timer',
      seq: 1,
    },
  ]);
  const second = await run.activate([{ type: 'fireTimer', seq: 1 }]);
  assert.is(resultOf(second), 'woke');
});

ops('each kind of command has its own sequence, counting from 1', async () => {
  const run = new Run({
    w: async () => {
      void sleep(1);
      void sleep(2);
      void scheduleActivity('a', [], { startToCloseTimeout: '1s' });
      await new Promise(() => undefined);
    },
  });
  const c = await run.activate([startJob('w')]);
  assert.equal(
    c.commands.map((x) => [x.kind, x.seq]),
    [
      ['timer', 1],
      ['timer', 2],
      ['activity', 1],
    ],
  );
});

ops('an activity result resolves the call; a failure rejects it with an ActivityFailure', async () => {
  const run = new Run({
    w: async () => {
      const ok = await scheduleActivity<string>('greet', ['you'], { startToCloseTimeout: '10s' });
      try {
        await scheduleActivity('charge', [], { startToCloseTimeout: '10s' });
        return 'unexpected';
      } catch (err) {
        return [ok, err instanceof ActivityFailure, (err as Error).message, ((err as ActivityFailure).cause as Error).message];
      }
    },
  });
  const c1 = await run.activate([startJob('w')]);
  const cmd = c1.commands[0]!.command.scheduleActivityTaskCommandAttributes;
  assert.is(cmd.activityType.name, 'greet');
  assert.is(cmd.activityId, '1');
  assert.is(cmd.taskQueue.name, 'tq', 'the workflow task queue by default');
  assert.equal(cmd.input.payloads.map(valueOf), ['you']);
  const c2 = await run.activate([{ type: 'resolveActivity', seq: 1, result: { completed: payload('hello you') } }]);
  assert.is(c2.commands[0]!.command.scheduleActivityTaskCommandAttributes.activityType.name, 'charge');
  const failed = {
    message: 'Activity task failed',
    cause: errorToFailure(ApplicationFailure.create({ message: 'card declined' }), defaultPayloadConverter),
    activityFailureInfo: { activityType: { name: 'charge' }, activityId: '2' },
  };
  const c3 = await run.activate([{ type: 'resolveActivity', seq: 2, result: { failed } }]);
  assert.equal(resultOf(c3), ['hello you', true, 'Activity task failed', 'card declined']);
});

ops('a result for a settled or unknown seq is ignored', async () => {
  const run = new Run({
    w: async () => {
      await sleep(1);
      return 'once';
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([
    { type: 'fireTimer', seq: 1 },
    { type: 'fireTimer', seq: 1 },
    { type: 'resolveActivity', seq: 9, result: { completed: undefined } },
  ]);
  assert.equal(types(c), [C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(c.taskFailure, undefined);
});

// ---- signals, queries, conditions -------------------------------------------------------

const msgs = suite('workflow runtime: signals, queries and conditions');

const approve = defineSignal<[string]>('approve');
const status = defineQuery<string, [string]>('status');

msgs('a signal in the start activation is delivered once its handler is set (after start, whatever the job order)', async () => {
  const got: string[] = [];
  const run = new Run({
    w: async () => {
      setHandler(approve, (by) => {
        got.push(by);
      });
      await sleep(1);
    },
  });
  await run.activate([{ type: 'signal', signalName: 'approve', args: [payload('ann')], headers: {} }, startJob('w')]);
  assert.equal(got, ['ann']);
});

msgs('signals without a handler are buffered until one is set, then delivered in order', async () => {
  const got: string[] = [];
  const run = new Run({
    w: async () => {
      await sleep(1);
      setHandler(approve, (by) => {
        got.push(by);
      });
      await sleep(1);
    },
  });
  await run.activate([startJob('w')]);
  await run.activate([1, 2].map((n) => ({ type: 'signal' as const, signalName: 'approve', args: [payload(`s${n}`)], headers: {} })));
  assert.equal(got, [], 'no handler yet');
  await run.activate([{ type: 'fireTimer', seq: 1 }]);
  assert.equal(got, ['s1', 's2']);
});

msgs('the default signal handler gets signals that have no handler of their own, with their name', async () => {
  const got: unknown[] = [];
  const run = new Run({
    w: async () => {
      setDefaultSignalHandler((name, ...args) => {
        got.push([name, ...args]);
      });
      await sleep(1);
    },
  });
  await run.activate([startJob('w')]);
  await run.activate([{ type: 'signal', signalName: 'whatever', args: [payload(1), payload(2)], headers: {} }]);
  assert.equal(got, [['whatever', 1, 2]]);
});

msgs('a condition waits until a signal makes it true', async () => {
  const run = new Run({
    w: async () => {
      let approvedBy = '';
      setHandler(approve, (by) => {
        approvedBy = by;
      });
      await condition(() => approvedBy !== '');
      return approvedBy;
    },
  });
  const c1 = await run.activate([startJob('w')]);
  assert.equal(c1.commands, [], 'waiting on a condition issues no command');
  const c2 = await run.activate([{ type: 'signal', signalName: 'approve', args: [payload('bo')], headers: {} }]);
  assert.is(resultOf(c2), 'bo');
});

msgs('a condition with a timeout resolves false when its timer fires first', async () => {
  const run = new Run({ w: async () => condition(() => false, '30s') });
  const c1 = await run.activate([startJob('w')]);
  assert.equal(c1.commands[0]!.command.startTimerCommandAttributes.startToFireTimeout, { seconds: 30, nanos: 0 });
  const c2 = await run.activate([{ type: 'fireTimer', seq: 1 }]);
  assert.is(resultOf(c2), false);
});

msgs('queries are answered from handlers, after the other jobs of the activation', async () => {
  const run = new Run({
    w: async () => {
      let last = 'none';
      setHandler(approve, (by) => {
        last = by;
      });
      setHandler(status, (prefix) => `${prefix}:${last}`);
      await sleep(1);
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([
    { type: 'query', queryId: 'q1', queryType: 'status', args: [payload('now')] },
    { type: 'signal', signalName: 'approve', args: [payload('cy')], headers: {} },
  ]);
  assert.equal(
    c.queryResults.map((r) => [r.queryId, valueOf(r.answer)]),
    [['q1', 'now:cy']],
  );
});

msgs('an unknown query fails naming the registered ones; __stack_trace answers what the run waits on', async () => {
  const run = new Run({
    w: async () => {
      setHandler(status, (_prefix: string) => 'x');
      await sleep(1);
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([
    { type: 'query', queryId: 'q1', queryType: 'nope', args: [] },
    { type: 'query', queryId: 'q2', queryType: '__stack_trace', args: [] },
  ]);
  assert.match(c.queryResults[0]!.failure!.message!, /Workflow did not register a handler for nope\. Registered queries: \[status\]/);
  assert.match(String(valueOf(c.queryResults[1]!.answer)), /^waiting on timer 1 \(sleep 0\.001s\)/);
});

msgs('a query handler that returns a promise or throws answers with a failure, not a task failure', async () => {
  const run = new Run({
    w: async () => {
      setHandler(defineQuery<number>('async'), (async () => 1) as never);
      setHandler(defineQuery<string>('throws'), (): string => {
        throw new Error('query broke');
      });
      await sleep(1);
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([
    { type: 'query', queryId: 'a', queryType: 'async', args: [] },
    { type: 'query', queryId: 't', queryType: 'throws', args: [] },
  ]);
  assert.match(c.queryResults[0]!.failure!.message!, /Query handlers must be synchronous/);
  assert.is(c.queryResults[1]!.failure!.message, 'query broke');
  assert.is(c.taskFailure, undefined);
});

// ---- cancellation, continue-as-new, patches, randomness -------------------------------------

const misc = suite('workflow runtime: cancellation, continue-as-new, patches, randomness');

misc('cancelling the workflow cancels its timer and, uncaught, completes as cancelled', async () => {
  const run = new Run({
    w: async () => {
      await sleep('1h');
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([{ type: 'cancelWorkflow', reason: 'user' }]);
  assert.equal(types(c), [C.CANCEL_TIMER, C.CANCEL_WORKFLOW_EXECUTION]);
  assert.is(c.commands[0]!.command.cancelTimerCommandAttributes.timerId, '1');
});

misc('a workflow that catches its cancellation can clean up and complete normally', async () => {
  const run = new Run({
    w: async () => {
      try {
        await sleep('1h');
        return 'slept';
      } catch (err) {
        return isCancellation(err) ? 'cleaned up' : 'other';
      }
    },
  });
  await run.activate([startJob('w')]);
  const c = await run.activate([{ type: 'cancelWorkflow' }]);
  assert.equal(types(c), [C.CANCEL_TIMER, C.COMPLETE_WORKFLOW_EXECUTION]);
  assert.is(resultOf(c), 'cleaned up');
});

misc('continueAsNew completes with ContinueAsNewWorkflowExecution carrying type, queue and args', async () => {
  const run = new Run({
    loop: async (n: number) => {
      await continueAsNew<(n: number) => Promise<void>>(n + 1);
    },
  });
  const c = await run.activate([startJob('loop', [1])]);
  assert.equal(types(c), [C.CONTINUE_AS_NEW_WORKFLOW_EXECUTION]);
  const a = c.commands[0]!.command.continueAsNewWorkflowExecutionCommandAttributes;
  assert.is(a.workflowType.name, 'loop');
  assert.is(a.taskQueue.name, 'tq');
  assert.equal(a.input.payloads.map(valueOf), [2]);
});

misc('patched() is true and records a marker on a new run; on replay only when history notified the patch', async () => {
  const seen: boolean[] = [];
  const wf = {
    w: async () => {
      seen.push(patched('v2'));
      await sleep(1);
    },
  };
  const fresh = new Run(wf);
  const c = await fresh.activate([startJob('w')]);
  assert.equal(types(c), [C.RECORD_MARKER, C.START_TIMER]);
  assert.is(c.commands[0]!.command.recordMarkerCommandAttributes.markerName, 'core_patch');
  const old = new Run(wf);
  const c2 = await old.activate([startJob('w')], { isReplaying: true });
  assert.equal(types(c2), [C.START_TIMER], 'no marker for the old code path');
  const notified = new Run(wf);
  await notified.activate([startJob('w'), { type: 'notifyHasPatch', patchId: 'v2' }], { isReplaying: true });
  assert.equal(seen, [true, false, true]);
});

misc('Math.random-like activator.random and uuid4 repeat for the same seed and differ for another', async () => {
  const draw = async (seed: number) => {
    let out: unknown;
    const run = new Run({
      w: async () => {
        out = [activator().random(), activator().random(), uuid4()];
      },
    });
    await run.activate([startJob('w', [], { randomnessSeed: seed })]);
    return out as [number, number, string];
  };
  const a = await draw(7);
  const b = await draw(7);
  const c = await draw(8);
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.match(a[2], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

start.run();
ops.run();
msgs.run();
misc.run();
