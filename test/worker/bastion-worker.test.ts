/**
 * Bastion's worker and client run the same workflow files as the official SDK, against
 * the dev server: every feature, end to end.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkflowFailedError, WorkflowExecutionAlreadyStartedError } from '../../src/client';
import { ApplicationFailure, ActivityFailure, CancelledFailure, TerminatedFailure } from '../../src/converter';
import type { Worker } from '../../src/worker';
import { startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { timed, waitFor } from '../helpers/wait';

const TQ = 'bastion-workflows';
const test = suite<{ env: BastionEnv; worker: Worker; running: Promise<void> }>('Bastion worker and client');
let env: BastionEnv;
let n = 0;
const id = (name: string) => `${name}-${++n}-${Date.now()}`;

test.before(async (ctx) => {
  ctx.env = env = await startBastionEnv();
  ctx.worker = await env.worker(TQ);
  ctx.running = ctx.worker.run();
});

test.after(async (ctx) => {
  void ctx.worker.shutdown();
  await ctx.running;
  await ctx.env.close();
});

test(
  'runs a workflow that calls one activity',
  timed(20_000, async () => {
    assert.is(await env.client.workflow.execute('greet', { taskQueue: TQ, workflowId: id('greet'), args: ['Bastion'] }), 'Hello, Bastion!');
  }),
);

test(
  'runs activities and timers concurrently with Promise.all',
  timed(20_000, async () => {
    const r = await env.client.workflow.execute('parallel', { taskQueue: TQ, workflowId: id('parallel'), args: [4] });
    assert.equal(r, ['Hello, p0!', 'Hello, p1!', 'Hello, p2!', 'Hello, p3!', 'slept-200', 'slept-50']);
  }),
);

test(
  'delivers signals, answers queries (live and after close), and supports signalWithStart',
  timed(20_000, async () => {
    const { client } = env;
    const handle = await client.workflow.start('accumulate', { taskQueue: TQ, workflowId: id('acc'), args: [10] });
    await handle.signal('add', 5);
    await handle.signal('add', 7);
    await waitFor(async () => (await handle.query('total')) === 22, 10_000, 'query sees both signals');
    await handle.signal('done');
    assert.is(await handle.result(), 22);
    assert.is(await handle.query('total'), 22);
    const swsId = id('sws');
    const h2 = await client.workflow.signalWithStart('accumulate', { taskQueue: TQ, workflowId: swsId, args: [1], signal: 'add', signalArgs: [2] });
    await client.workflow.signalWithStart('accumulate', { taskQueue: TQ, workflowId: swsId, args: [1], signal: 'add', signalArgs: [3] });
    await h2.signal('done');
    assert.is(await h2.result(), 6);
  }),
);

test(
  'retries a failing activity, and stops at a non-retryable type',
  timed(20_000, async () => {
    const { client } = env;
    assert.is(
      await client.workflow.execute('retrying', { taskQueue: TQ, workflowId: id('retry'), args: [2, false] }),
      'ok after 3 attempts (server attempt 3)',
    );
    const err: any = await client.workflow.execute('retrying', { taskQueue: TQ, workflowId: id('fatal'), args: [0, true] }).catch((e: any) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, ActivityFailure);
    assert.instance(err.cause.cause, ApplicationFailure);
    assert.is(err.cause.cause.type, 'Fatal');
  }),
);

test(
  'carries heartbeat details to the retry after a heartbeat timeout',
  timed(30_000, async () => {
    assert.is(await env.client.workflow.execute('heartbeatRetry', { taskQueue: TQ, workflowId: id('hb') }), 'attempt 2 resumed from {"progress":42}');
  }),
);

test(
  'cancelling a workflow reaches its heartbeating activity',
  timed(30_000, async () => {
    const handle = await env.client.workflow.start('cancellableActivity', { taskQueue: TQ, workflowId: id('cancel') });
    await waitFor(async () => (await handle.describe()).raw.pendingActivities?.some((a: any) => a.lastHeartbeatTime), 10_000, 'heartbeating');
    await handle.cancel();
    const err: any = await handle.result().catch((e: any) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, CancelledFailure);
    const history = await handle.fetchHistory();
    assert.ok(
      history.events.some((e) => e.activityTaskCanceledEventAttributes),
      'activity reported cancelled',
    );
  }),
);

test(
  'terminates, continues as new, runs children, and fails with details',
  timed(30_000, async () => {
    const { client } = env;
    const t = await client.workflow.start('sleeper', { taskQueue: TQ, workflowId: id('term'), args: [60_000] });
    await waitFor(async () => (await t.describe()).historyLength >= 5, 10_000, 'timer started');
    await t.terminate('stop');
    const terminated: any = await t.result().catch((e: any) => e);
    assert.instance(terminated.cause, TerminatedFailure);
    assert.is(await client.workflow.execute('countdown', { taskQueue: TQ, workflowId: id('can'), args: [3] }), 100);
    assert.is(await client.workflow.execute('parent', { taskQueue: TQ, workflowId: id('parent'), args: ['kid'] }), 'parent(child:Hello, kid!)');
    const f: any = await client.workflow.execute('failing', { taskQueue: TQ, workflowId: id('fail') }).catch((e: any) => e);
    assert.instance(f.cause, ApplicationFailure);
    assert.is(f.cause.type, 'MyError');
    assert.equal(f.cause.details, [{ reason: 'test', n: 7 }]);
  }),
);

test(
  'signals other workflows, cancels children, applies parent close policies',
  timed(30_000, async () => {
    const { client } = env;
    const target = await client.workflow.start('accumulate', { taskQueue: TQ, workflowId: id('target'), args: [0] });
    await client.workflow.execute('signalOther', { taskQueue: TQ, workflowId: id('sender'), args: [target.workflowId] });
    assert.is(await target.result(), 5);
    assert.is(
      await client.workflow.execute('cancelChild', { taskQueue: TQ, workflowId: id('cc') }),
      'child failed: ChildWorkflowFailure caused by CancelledFailure',
    );
    const p = id('pcp');
    await client.workflow.execute('abandonOrTerminate', { taskQueue: TQ, workflowId: p, args: ['terminate'] });
    await waitFor(async () => (await client.workflow.getHandle(`${p}-terminate`).describe()).status.name === 'TERMINATED', 10_000, 'child terminated');
  }),
);

test(
  'retries a workflow per its retry policy; a duplicate start is refused',
  timed(20_000, async () => {
    const { client } = env;
    assert.is(
      await client.workflow.execute('failsFirstAttempt', { taskQueue: TQ, workflowId: id('wfr'), retry: { maximumAttempts: 3, initialInterval: '100ms' } }),
      2,
    );
    const dup = id('dup');
    const h = await client.workflow.start('sleeper', { taskQueue: TQ, workflowId: dup, args: [60_000] });
    const e = await client.workflow.start('sleeper', { taskQueue: TQ, workflowId: dup, args: [1] }).catch((x: any) => x);
    assert.instance(e, WorkflowExecutionAlreadyStartedError);
    await h.terminate();
  }),
);

test(
  'upserted search attributes are searchable; list and count work',
  timed(20_000, async () => {
    const { client } = env;
    const wid = id('searchable');
    await client.workflow.execute('searchable', { taskQueue: TQ, workflowId: wid });
    const found: string[] = [];
    for await (const w of client.workflow.list({ query: `CustomKeywordField = 'tagged' AND WorkflowId = '${wid}'` })) found.push(w.workflowId);
    assert.equal(found, [wid]);
    assert.is((await client.workflow.count(`WorkflowId = '${wid}'`)).count, 1);
  }),
);

test(
  'runs local activities in the worker, retrying them, and records markers instead of activity events',
  timed(20_000, async () => {
    const h = await env.client.workflow.start('localGreet', { taskQueue: TQ, workflowId: id('local'), args: ['local'] });
    assert.match(String(await h.result()), /^Hello, local! \/ ok after 3 attempts/);
    const events = (await h.fetchHistory()).events;
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    assert.is(markers.length, 2);
    assert.not.ok(
      events.some((e) => e.activityTaskScheduledEventAttributes),
      'no remote activity',
    );
  }),
);

test(
  'an unknown workflow type fails the task with the registered types named',
  timed(20_000, async () => {
    const h = await env.client.workflow.start('noSuchWorkflow', { taskQueue: TQ, workflowId: id('unknown') });
    const failed = await waitFor(async () => (await h.fetchHistory()).events.find((e) => e.workflowTaskFailedEventAttributes), 10_000, 'task failed');
    assert.match(failed.workflowTaskFailedEventAttributes!.failure!.message!, /noSuchWorkflow.*not registered.*greet/);
    await h.terminate();
  }),
);

test.run();
