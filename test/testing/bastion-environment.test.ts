/**
 * Bastion's own TestWorkflowEnvironment, worker and client: the same time-skipping
 * scenarios the official package runs against bastion-test-server, in process (no child
 * process, port 0); then createLocal, createFromExistingServer and the TestService's
 * lock accounting as the official client sees it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TestWorkflowEnvironment, DevServer } from '../../src/testing';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { quietLogger, bastionBundle } from '../helpers/bastion-env';
import { childPids } from '../helpers/processes';
import { timed } from '../helpers/wait';
import * as tsa from '../fixtures/time-skipping-activities';
import * as wf from '../fixtures/workflows';
import * as activities from '../fixtures/bastion-activities';
import { timeSkippingScenarios } from './time-skipping-scenarios';

const TQ = 'bastion-time-skipping';
let skipBundle: Promise<{ code: string }> | undefined;
const timeSkippingBundle = () => (skipBundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/time-skipping-workflows') }));

interface Ctx {
  env: TestWorkflowEnvironment;
  worker: Worker;
  running: Promise<void>;
}
const ts = suite<Ctx>('Bastion createTimeSkipping() in process');

ts.before(async (ctx) => {
  const childrenBefore = childPids('').length;
  ctx.env = await TestWorkflowEnvironment.createTimeSkipping();
  assert.is(childPids('').length, childrenBefore, 'no child process was started');
  assert.ok(ctx.env.server!.port > 0, 'listens on a port picked by the system');
  ctx.worker = await Worker.create({
    connection: ctx.env.connection,
    taskQueue: TQ,
    workflowBundle: await timeSkippingBundle(),
    activities: tsa,
    shutdownGraceTime: '1s',
    shutdownSignals: [],
    logger: quietLogger,
  });
  ctx.running = ctx.worker.run();
});

ts.after(async (ctx) => {
  tsa.releaseStalledActivities();
  void ctx.worker.shutdown();
  await ctx.running;
  await ctx.env.teardown();
  await ctx.env.teardown();
});

let shared: Ctx;
ts.before.each((ctx) => {
  shared = ctx;
});

timeSkippingScenarios(ts, () => shared.env, TQ, 'bastion');

ts(
  'time skipping is locked again after each result (the lock count is back to 1)',
  timed(10_000, async () => {
    const clock = shared.env.server!.clock as import('../../src/testing').TimeSkippingClock;
    assert.is(clock.lockCount, 1);
    const before = clock.now();
    // Locked and idle: a sleeping workflow does not move the clock by itself.
    const handle = await shared.env.client.workflow.start('oneTimer', { taskQueue: TQ, workflowId: 'locked-timer', args: [3_600_000] });
    await shared.env.sleep(1);
    assert.ok(clock.now() - before < 3_600_000, 'no skip while locked');
    assert.is(await handle.result(), 'fired');
    assert.is(clock.lockCount, 1);
  }),
);

ts.run();

const local = suite('Bastion createLocal() and createFromExistingServer()');

local(
  'createLocal runs a workflow on wall-clock time, in process',
  timed(30_000, async () => {
    const env = await TestWorkflowEnvironment.createLocal({ namespace: 'local-ns' });
    try {
      assert.is(env.supportsTimeSkipping, false);
      assert.is(env.namespace, 'local-ns');
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: 'local-ns',
        taskQueue: 'bastion-local',
        workflowBundle: await bastionBundle(),
        activities,
        shutdownGraceTime: '1s',
        shutdownSignals: [],
        logger: quietLogger,
      });
      const result = await worker.runUntil(env.client.workflow.execute(wf.greet, { taskQueue: 'bastion-local', workflowId: 'local-1', args: ['Bastion'] }));
      assert.is(result, 'Hello, Bastion!');
      const now = await env.currentTimeMs();
      assert.ok(Math.abs(now - Date.now()) < 60_000, 'wall-clock time');
    } finally {
      await env.teardown();
    }
  }),
);

local(
  'createFromExistingServer connects without starting or stopping anything',
  timed(20_000, async () => {
    const server = await DevServer.start({ logLevel: 'off' });
    try {
      const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
      assert.is(env.server, undefined);
      assert.is(env.supportsTimeSkipping, false);
      await env.client.workflow.start(wf.sleeper, { taskQueue: 'nobody', workflowId: 'existing-1', args: [1] });
      await env.teardown();
      const again = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
      assert.is((await again.client.workflow.getHandle('existing-1').describe()).status.name, 'RUNNING', 'the server outlived the first environment');
      await again.teardown();
    } finally {
      await server.close();
    }
  }),
);

local.run();
