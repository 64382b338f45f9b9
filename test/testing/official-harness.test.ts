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
import * as tsa from '../fixtures/time-skipping-activities';
import { timeSkippingScenarios } from './time-skipping-scenarios';
import * as wf from '../fixtures/workflows';
import * as activities from '../fixtures/activities';

const ROOT = path.resolve(__dirname, '../../..');
const TEST_SERVER_BIN = path.join(ROOT, 'bin/bastion-test-server.js');
const CLI_BIN = path.join(ROOT, 'bin/bastion.js');
const TQ = 'official-time-skipping';

let n = 0;
const id = (name: string) => `${name}-${++n}`;

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

timeSkippingScenarios(ts, () => shared.env, TQ, 'official');

ts(
  'an unlock without a matching lock is refused with FAILED_PRECONDITION; locks nest',
  timed(10_000, async () => {
    const testService = shared.env.connection.testService!;
    await testService.unlockTimeSkipping({});
    const err = await testService.unlockTimeSkipping({}).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    assert.is(err?.code, 9, 'FAILED_PRECONDITION');
    await testService.lockTimeSkipping({});
    await testService.lockTimeSkipping({});
    await testService.unlockTimeSkipping({});
    const before = await shared.env.currentTimeMs();
    await testService.sleep({ duration: { nanos: 1e6 } });
    assert.ok((await shared.env.currentTimeMs()) >= before + 1);
  }),
);

ts.run();

const local = suite<{ env: TestWorkflowEnvironment; pid: number }>('official createLocal() on bastion server start-dev');

local.before(async (ctx) => {
  installQuietRuntime();
  ctx.env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: CLI_BIN },
      extraArgs: ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true'],
    },
  });
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
    const result = await worker.runUntil(
      localEnv.client.workflow.execute(wf.greet, { taskQueue: 'official-local', workflowId: id('local'), args: ['Bastion'] }),
    );
    assert.is(result, 'Hello, Bastion!');
  }),
);

local.run();
