/**
 * The official @temporalio/testing 1.24 judges Bastion's binaries: `createTimeSkipping()`
 * and `createLocal()` with `executable: { type: 'existing-path' }` start
 * `bin/bastion-test-server.js <port>` and `bin/bastion.js server start-dev ...` exactly as
 * they would start Temporal's downloaded test server and CLI, with no network. Time
 * assertions read the server's virtual clock (history and workflow times), never wall time.
 */
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { installQuietRuntime, workflowBundle } from '../helpers/official-env';
import { childPids, pidAlive } from '../helpers/processes';
import { timed, waitFor } from '../helpers/wait';
import * as tsw from '../fixtures/time-skipping-workflows';
import * as tsa from '../fixtures/time-skipping-activities';
import * as wf from '../fixtures/workflows';
import * as activities from '../fixtures/activities';

const ROOT = path.resolve(__dirname, '../../..');
const TEST_SERVER_BIN = path.join(ROOT, 'bin/bastion-test-server.js');
const CLI_BIN = path.join(ROOT, 'bin/bastion.js');
const DAY = 24 * 3600_000;
const TQ = 'official-time-skipping';

let n = 0;
const id = (name: string) => `${name}-${++n}`;
const eventMs = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);

interface Ctx {
  env: TestWorkflowEnvironment;
  worker: Worker;
  running: Promise<void>;
  pid: number;
}
const ts = suite<Ctx>('official createTimeSkipping() on bastion-test-server');

ts.before(async (ctx) => {
  installQuietRuntime();
  ctx.env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER_BIN } } });
  const pids = childPids('bastion-test-server');
  assert.is(pids.length, 1, 'one test-server process was started');
  ctx.pid = pids[0]!;
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/time-skipping-workflows'), logger: new DefaultLogger('ERROR') });
  ctx.worker = await Worker.create({ connection: ctx.env.nativeConnection, taskQueue: TQ, workflowBundle: bundle, activities: tsa, shutdownGraceTime: '1s' });
  ctx.running = ctx.worker.run();
});

ts.after(async (ctx) => {
  tsa.releaseStalledActivities();
  ctx.worker.shutdown();
  await ctx.running;
  await ctx.env.teardown();
  await waitFor(() => !pidAlive(ctx.pid), 10_000, 'the test-server process is gone');
});

let shared: Ctx;
ts.before.each((ctx) => {
  shared = ctx;
});

ts(
  'a workflow sleeping 30 days returns with workflow and history times 30 days apart',
  timed(20_000, async () => {
    const { env } = shared;
    assert.ok(env.supportsTimeSkipping);
    const before = await env.currentTimeMs();
    const handle = await env.client.workflow.start(tsw.longSleep, { taskQueue: TQ, workflowId: id('sleep30'), args: [30] });
    const r = await handle.result();
    assert.ok(r.after - r.startTime >= 30 * DAY, `workflow time moved ${r.after - r.startTime} ms`);
    assert.ok(r.startTime >= before - 1000, 'workflowInfo().startTime is on the server clock');
    const { events } = await handle.fetchHistory();
    const started = events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    const fired = events!.find((e) => e.timerFiredEventAttributes)!;
    const completed = events!.find((e) => e.workflowExecutionCompletedEventAttributes)!;
    assert.ok(eventMs(fired) - eventMs(started) >= 30 * DAY);
    assert.ok(eventMs(completed) - eventMs(started) >= 30 * DAY);
    assert.ok((await env.currentTimeMs()) - before >= 30 * DAY, 'getCurrentTime moved with the skip');
  }),
);

ts(
  'env.sleep("1 day") fires a one-day timer without waiting',
  timed(20_000, async () => {
    const { env } = shared;
    const handle = await env.client.workflow.start(tsw.oneTimer, { taskQueue: TQ, workflowId: id('timer'), args: [DAY] });
    const timerStarted = async () => (await handle.fetchHistory()).events!.some((e) => e.timerStartedEventAttributes);
    await waitFor(timerStarted, 10_000, 'the workflow started its timer');
    const before = await env.currentTimeMs();
    await env.sleep('1 day');
    assert.ok((await env.currentTimeMs()) - before >= DAY);
    const fired = async () => (await handle.fetchHistory()).events!.some((e) => e.timerFiredEventAttributes);
    await waitFor(fired, 10_000, 'TimerFired written');
    assert.is(await handle.result(), 'fired');
  }),
);

ts(
  'an activity retried every hour, 3 attempts, completes without waiting the hours',
  timed(20_000, async () => {
    const r = await shared.env.client.workflow.execute(tsw.hourlyRetries, { taskQueue: TQ, workflowId: id('retries'), args: [id('key')] });
    assert.is(r.result, 'ok on call 3');
    assert.ok(r.elapsedMs >= 2 * 3600_000, `workflow time moved ${r.elapsedMs} ms across two 1-hour backoffs`);
  }),
);

ts(
  'a heartbeat timeout is measured on the virtual clock',
  timed(20_000, async () => {
    const handle = await shared.env.client.workflow.start(tsw.heartbeatTimesOut, { taskQueue: TQ, workflowId: id('heartbeat') });
    const r = await handle.result();
    assert.is(r.timeoutType, 'HEARTBEAT');
    const { events } = await handle.fetchHistory();
    const scheduled = events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    const timedOut = events!.find((e) => e.activityTaskTimedOutEventAttributes)!;
    const start = events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    // Scheduled a (virtual) day after the start; timed out 1 s later on that clock.
    assert.ok(eventMs(scheduled) - eventMs(start) >= DAY);
    const waited = eventMs(timedOut) - eventMs(scheduled);
    assert.ok(waited >= 1000 && waited < DAY, `timed out ${waited} ms after scheduling`);
    tsa.releaseStalledActivities();
  }),
);

ts(
  'a signal sent mid-sleep wakes the workflow at that virtual time',
  timed(20_000, async () => {
    const { env } = shared;
    const handle = await env.client.workflow.start(tsw.waitForPoke, { taskQueue: TQ, workflowId: id('poke') });
    await waitFor(async () => (await handle.fetchHistory()).events!.some((e) => e.timerStartedEventAttributes), 10_000, 'the workflow waits');
    await env.sleep('1 day');
    await handle.signal(tsw.pokeSignal, 'hello');
    const r = await handle.result();
    assert.is(r.got, 'hello');
    assert.ok(r.elapsedMs >= DAY && r.elapsedMs < 2 * DAY, `woke after ${r.elapsedMs} ms of workflow time`);
  }),
);

ts.run();

const local = suite<{ env: TestWorkflowEnvironment; pid: number }>('official createLocal() on bastion server start-dev');

local.before(async (ctx) => {
  installQuietRuntime();
  ctx.env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: CLI_BIN }, extraArgs: ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true'] } });
  const pids = childPids('bastion.js');
  assert.is(pids.length, 1, 'one dev-server process was started');
  ctx.pid = pids[0]!;
});

local.after(async (ctx) => {
  await ctx.env.teardown();
  await waitFor(() => !pidAlive(ctx.pid), 10_000, 'the dev-server process is gone');
});

let localEnv: TestWorkflowEnvironment;
local.before.each((ctx) => {
  localEnv = ctx.env;
});

local(
  'runs a workflow with the official worker',
  timed(30_000, async () => {
    assert.is(localEnv.supportsTimeSkipping, false);
    const worker = await Worker.create({
      connection: localEnv.nativeConnection,
      taskQueue: 'official-local',
      workflowBundle: await workflowBundle(),
      activities,
      shutdownGraceTime: '1s',
    });
    const result = await worker.runUntil(localEnv.client.workflow.execute(wf.greet, { taskQueue: 'official-local', workflowId: id('local'), args: ['Bastion'] }));
    assert.is(result, 'Hello, Bastion!');
  }),
);

local.run();
