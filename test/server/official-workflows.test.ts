/**
 * The official @temporalio/client and @temporalio/worker run real workflows to
 * completion against the dev server: the server is judged by code nobody here wrote.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkflowFailedError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure, ActivityFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { startOfficialEnv, type OfficialEnv } from '../helpers/official-env';
import { timed, waitFor } from '../helpers/wait';
import * as wf from '../fixtures/workflows';

const TQ = 'official-workflows';
const test = suite<{ env: OfficialEnv; worker: Worker; running: Promise<void> }>('official SDK workflows');

test.before(async (ctx) => {
  ctx.env = await startOfficialEnv();
  ctx.worker = await ctx.env.worker(TQ);
  ctx.running = ctx.worker.run();
});

test.after(async (ctx) => {
  ctx.worker.shutdown();
  await ctx.running;
  await ctx.env.close();
});

let n = 0;
const id = (name: string) => `${name}-${++n}-${Date.now()}`;

let sharedEnv: OfficialEnv | undefined;
test.before.each((ctx) => {
  sharedEnv = ctx.env;
});

test(
  'runs a workflow that calls one activity',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const result = await client.workflow.execute(wf.greet, { taskQueue: TQ, workflowId: id('greet'), args: ['Bastion'] });
    assert.is(result, 'Hello, Bastion!');
  }),
);

test(
  'runs activities and timers concurrently with Promise.all',
  timed(20_000, async () => {
    const result = await sharedEnv!.client.workflow.execute(wf.parallel, { taskQueue: TQ, workflowId: id('parallel'), args: [4] });
    assert.equal(result, ['Hello, p0!', 'Hello, p1!', 'Hello, p2!', 'Hello, p3!', 'slept-200', 'slept-50']);
  }),
);

test(
  'delivers signals, answers queries, and supports signalWithStart',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('accumulate');
    const handle = await client.workflow.start(wf.accumulate, { taskQueue: TQ, workflowId, args: [10] });
    await handle.signal(wf.addSignal, 5);
    await handle.signal(wf.addSignal, 7);
    await waitFor(async () => (await handle.query(wf.totalQuery)) === 22, 10_000, 'query sees both signals');
    await handle.signal(wf.doneSignal);
    assert.is(await handle.result(), 22);
    // Queries still work on a closed workflow (the worker replays its history).
    assert.is(await handle.query(wf.totalQuery), 22);

    const swsId = id('sws');
    const h2 = await client.workflow.signalWithStart(wf.accumulate, { taskQueue: TQ, workflowId: swsId, args: [1], signal: wf.addSignal, signalArgs: [2] });
    await client.workflow.signalWithStart(wf.accumulate, { taskQueue: TQ, workflowId: swsId, args: [1], signal: wf.addSignal, signalArgs: [3] });
    await h2.signal(wf.doneSignal);
    assert.is(await h2.result(), 6);
    const runs = await client.workflow.count(`WorkflowId = '${swsId}'`);
    assert.is(runs.count, 1, 'the second signalWithStart signalled the running workflow');
  }),
);

test(
  'retries a failing activity per its RetryPolicy',
  timed(20_000, async () => {
    const result = await sharedEnv!.client.workflow.execute(wf.retrying, { taskQueue: TQ, workflowId: id('retry'), args: [2, false] });
    assert.is(result, 'ok after 3 attempts (server attempt 3)');
  }),
);

test(
  'stops retrying at a non-retryable error type',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('fatal');
    const err = await client.workflow.execute(wf.retrying, { taskQueue: TQ, workflowId, args: [0, true] }).catch((e) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, ActivityFailure);
    assert.instance(err.cause.cause, ApplicationFailure);
    assert.is(err.cause.cause.type, 'Fatal');
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events!.find((e) => e.activityTaskStartedEventAttributes)!;
    assert.is(started.activityTaskStartedEventAttributes!.attempt, 1, 'one attempt only');
  }),
);

test(
  'times out an attempt that stops heartbeating and carries its details to the retry',
  timed(30_000, async () => {
    const result = await sharedEnv!.client.workflow.execute(wf.heartbeatRetry, { taskQueue: TQ, workflowId: id('hb') });
    assert.is(result, 'attempt 2 resumed from {"progress":42}');
  }),
);

test(
  'cancelling a workflow reaches its heartbeating activity',
  timed(30_000, async () => {
    const { client } = sharedEnv!;
    const handle = await client.workflow.start(wf.cancellableActivity, { taskQueue: TQ, workflowId: id('cancel') });
    await waitFor(async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.lastHeartbeatTime), 10_000, 'activity heartbeating');
    await handle.cancel();
    const err = await handle.result().catch((e) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, CancelledFailure);
    const desc = await handle.describe();
    assert.is(desc.status.name, 'CANCELLED');
    const history = await handle.fetchHistory();
    const types = history.events!.map((e) => e.eventType);
    assert.ok(
      history.events!.some((e) => e.activityTaskCanceledEventAttributes),
      `activity reported cancelled: ${types.join(',')}`,
    );
  }),
);

test(
  'terminates a running workflow',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const handle = await client.workflow.start(wf.sleeper, { taskQueue: TQ, workflowId: id('term'), args: [60_000] });
    await waitFor(async () => (await handle.describe()).historyLength >= 5, 10_000, 'timer started');
    await handle.terminate('test says stop');
    const err = await handle.result().catch((e) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, TerminatedFailure);
    assert.is((await handle.describe()).status.name, 'TERMINATED');
    const again = await handle.terminate('twice').catch((e) => e);
    assert.match(String(again.message ?? again), /already completed|not found/i);
  }),
);

test(
  'follows continue-as-new to the last run',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('can');
    const handle = await client.workflow.start(wf.countdown, { taskQueue: TQ, workflowId, args: [3] });
    assert.is(await handle.result(), 100);
    const count = await client.workflow.count(`WorkflowId = '${workflowId}'`);
    assert.is(count.count, 4, 'four runs in the chain');
    const closed = await client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`);
    assert.is(closed.count, 3);
  }),
);

test(
  'runs a child workflow and returns its result to the parent',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('parent');
    assert.is(await client.workflow.execute(wf.parent, { taskQueue: TQ, workflowId, args: ['kid'] }), 'parent(child:Hello, kid!)');
    const child = await client.workflow.getHandle(`${workflowId}-child`).describe();
    assert.is(child.status.name, 'COMPLETED');
    assert.is(child.parentExecution?.workflowId, workflowId);
  }),
);

test(
  'cancels a child through an external workflow handle',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('cancel-child');
    assert.is(await client.workflow.execute(wf.cancelChild, { taskQueue: TQ, workflowId }), 'child failed: ChildWorkflowFailure caused by CancelledFailure');
    assert.is((await client.workflow.getHandle(`${workflowId}-c`).describe()).status.name, 'CANCELLED');
  }),
);

test(
  'applies parent close policies: TERMINATE ends the child, ABANDON leaves it running',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const t = id('pcp');
    await client.workflow.execute(wf.abandonOrTerminate, { taskQueue: TQ, workflowId: t, args: ['terminate'] });
    await waitFor(async () => (await client.workflow.getHandle(`${t}-terminate`).describe()).status.name === 'TERMINATED', 10_000, 'child terminated');
    const a = id('pcp');
    await client.workflow.execute(wf.abandonOrTerminate, { taskQueue: TQ, workflowId: a, args: ['abandon'] });
    const child = client.workflow.getHandle(`${a}-abandon`);
    assert.is((await child.describe()).status.name, 'RUNNING');
    await child.terminate();
  }),
);

test(
  'retries a failed workflow per its RetryPolicy as a new run',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('wf-retry');
    const result = await client.workflow.execute(wf.failsFirstAttempt, { taskQueue: TQ, workflowId, retry: { maximumAttempts: 3, initialInterval: '100ms' } });
    assert.is(result, 2);
    const failed = await client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Failed'`);
    assert.is(failed.count, 1, 'the first run failed, the second completed');
  }),
);

test(
  'fails a workflow with ApplicationFailure details intact',
  timed(20_000, async () => {
    const err = await sharedEnv!.client.workflow.execute(wf.failing, { taskQueue: TQ, workflowId: id('fail') }).catch((e) => e);
    assert.instance(err, WorkflowFailedError);
    assert.instance(err.cause, ApplicationFailure);
    assert.is(err.cause.message, 'deliberate failure');
    assert.is(err.cause.type, 'MyError');
    assert.equal(err.cause.details, [{ reason: 'test', n: 7 }]);
  }),
);

test(
  'signals another workflow from a workflow',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const target = await client.workflow.start(wf.accumulate, { taskQueue: TQ, workflowId: id('target'), args: [0] });
    await client.workflow.execute(wf.signalOther, { taskQueue: TQ, workflowId: id('sender'), args: [target.workflowId] });
    assert.is(await target.result(), 5);
  }),
);

test(
  'rejects a second start of a running workflow id with the running run id',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('dup');
    const first = await client.workflow.start(wf.sleeper, { taskQueue: TQ, workflowId, args: [60_000] });
    const err = await client.workflow.start(wf.sleeper, { taskQueue: TQ, workflowId, args: [1] }).catch((e) => e);
    assert.instance(err, WorkflowExecutionAlreadyStartedError);
    assert.match(err.message, /already/i);
    const raw = await client.workflowService
      .startWorkflowExecution({
        namespace: 'default',
        workflowId,
        workflowType: { name: 'sleeper' },
        taskQueue: { name: TQ },
        requestId: 'another-request',
      })
      .catch((e) => e);
    assert.is(raw.code, 6 /* ALREADY_EXISTS */);
    assert.match(raw.details, new RegExp(first.firstExecutionRunId));
    await first.terminate();
  }),
);

test(
  'describes and lists workflows with filters',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('listed');
    const handle = await client.workflow.start(wf.sleeper, { taskQueue: TQ, workflowId, args: [60_000] });
    await waitFor(async () => (await handle.describe()).historyLength >= 5, 10_000, 'timer started');
    const desc = await handle.describe();
    assert.is(desc.status.name, 'RUNNING');
    assert.is(desc.type, 'sleeper');
    assert.is(desc.taskQueue, TQ);
    const listed: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowType = 'sleeper' AND ExecutionStatus = 'Running' AND WorkflowId = '${workflowId}'` }))
      listed.push(w.workflowId);
    assert.equal(listed, [workflowId]);
    await handle.terminate();
    const none: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'` })) none.push(w.workflowId);
    assert.equal(none, []);
    const term = await client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Terminated'`);
    assert.is(term.count, 1);
  }),
);

test(
  'describes pending activities with attempt and last failure',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const handle = await client.workflow.start(wf.retrying, { taskQueue: TQ, workflowId: id('pending'), args: [4, false] });
    const desc = await waitFor(
      async () => {
        const d = await handle.describe();
        const a = d.raw.pendingActivities?.[0];
        return a && (a.attempt ?? 0) >= 2 && a.lastFailure ? a : undefined;
      },
      10_000,
      'pending activity with a failed attempt',
    );
    assert.is(desc.activityType?.name, 'flaky');
    assert.match(desc.lastFailure!.message!, /attempt \d fails/);
    assert.is(await handle.result(), 'ok after 5 attempts (server attempt 5)');
  }),
);

test(
  'upserted search attributes are searchable',
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const workflowId = id('searchable');
    await client.workflow.execute(wf.searchable, { taskQueue: TQ, workflowId });
    const found: string[] = [];
    for await (const w of client.workflow.list({ query: `CustomKeywordField = 'tagged' AND WorkflowId = '${workflowId}'` })) found.push(w.workflowId);
    assert.equal(found, [workflowId]);
    const desc = await client.workflow.getHandle(workflowId).describe();
    assert.equal(desc.searchAttributes.CustomKeywordField, ['tagged']);
  }),
);

test(
  "shows the worker's pollers in DescribeTaskQueue",
  timed(20_000, async () => {
    const { client } = sharedEnv!;
    const res = await waitFor(
      async () => {
        const r = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: TQ }, taskQueueType: 1 });
        return r.pollers?.length ? r : undefined;
      },
      10_000,
      'pollers listed',
    );
    assert.ok(res.pollers!.every((p) => p.identity && p.lastAccessTime));
    const act = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: TQ }, taskQueueType: 2 });
    assert.ok(act.pollers!.length >= 1, 'activity pollers listed');
  }),
);

test.run();
