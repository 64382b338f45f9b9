/**
 * Crosswise with the official SDK: Bastion's worker serves the official client, the
 * official worker serves Bastion's client, and each side replays the other's histories.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Client as OfficialClient, Connection as OfficialConnection, WorkflowFailedError as OfficialWorkflowFailedError } from '@temporalio/client';
import { Worker as OfficialWorker } from '@temporalio/worker';
import { ApplicationFailure as OfficialApplicationFailure, CancelledFailure as OfficialCancelledFailure } from '@temporalio/common';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { WorkflowFailedError } from '../../src/client';
import { ApplicationFailure } from '../../src/converter';
import { startBastionEnv, bastionBundle, type BastionEnv } from '../helpers/bastion-env';
import { installQuietRuntime } from '../helpers/official-env';
import { spawnNode } from '../helpers/processes';
import { timed, waitFor } from '../helpers/wait';

const test = suite('interop with the official SDK');
let env: BastionEnv;
let official: { connection: OfficialConnection; client: OfficialClient };

test.before(async () => {
  installQuietRuntime();
  env = await startBastionEnv();
  const connection = await OfficialConnection.connect({ address: env.server.address });
  official = { connection, client: new OfficialClient({ connection }) };
});
test.after(async () => {
  await official.connection.close();
  await env.close();
});

test(
  'Bastion worker + official client: activities, signals, queries, failures, children, cancellation',
  timed(60_000, async () => {
    const worker = await env.worker('x-bastion-worker');
    await worker.runUntil(async () => {
      const c = official.client;
      assert.is(await c.workflow.execute('greet', { taskQueue: 'x-bastion-worker', workflowId: 'x1-greet', args: ['official'] }), 'Hello, official!');
      const h = await c.workflow.start('accumulate', { taskQueue: 'x-bastion-worker', workflowId: 'x1-acc', args: [1] });
      await h.signal('add', 41);
      await waitFor(async () => (await h.query<number>('total')) === 42, 10_000, 'query');
      await h.signal('done');
      assert.is(await h.result(), 42);
      const f: any = await c.workflow.execute('failing', { taskQueue: 'x-bastion-worker', workflowId: 'x1-fail' }).catch((e) => e);
      assert.instance(f, OfficialWorkflowFailedError);
      assert.instance(f.cause, OfficialApplicationFailure);
      assert.equal(f.cause.details, [{ reason: 'test', n: 7 }]);
      assert.is(await c.workflow.execute('parent', { taskQueue: 'x-bastion-worker', workflowId: 'x1-parent', args: ['k'] }), 'parent(child:Hello, k!)');
      assert.match(
        await c.workflow.execute('localGreet', { taskQueue: 'x-bastion-worker', workflowId: 'x1-local', args: ['k'] }),
        /^Hello, k! \/ ok after 3 attempts/,
      );
      assert.is(await c.workflow.execute('patchedFlow', { taskQueue: 'x-bastion-worker', workflowId: 'x1-patched' }), 'Hello, patched!');
      const cancel = await c.workflow.start('cancellableActivity', { taskQueue: 'x-bastion-worker', workflowId: 'x1-cancel' });
      await waitFor(async () => (await cancel.describe()).raw.pendingActivities?.some((a) => a.lastHeartbeatTime), 10_000, 'heartbeating');
      await cancel.cancel();
      const ce: any = await cancel.result().catch((e) => e);
      assert.instance(ce.cause, OfficialCancelledFailure);
    });
  }),
);

// The official worker runs in its own process: its global promise hooks evaluate code in
// every realm, which Bastion's sandboxes forbid (codeGeneration.strings = false).
test(
  'official worker + Bastion client: results, signals, queries, failures',
  timed(90_000, async () => {
    const worker = spawnNode([path.resolve(__dirname, '../fixtures/worker-process.js')], {
      ADDRESS: env.server.address,
      TASK_QUEUE: 'x-official-worker',
      IDENTITY: 'official',
    });
    try {
      await worker.waitFor(/worker running/, 30_000);
      const client = env.client;
      assert.is(await client.workflow.execute('greet', { taskQueue: 'x-official-worker', workflowId: 'x2-greet', args: ['bastion'] }), 'Hello, bastion!');
      const h = await client.workflow.start('accumulate', { taskQueue: 'x-official-worker', workflowId: 'x2-acc', args: [2] });
      await h.signal('add', 3);
      await waitFor(async () => (await h.query('total')) === 5, 10_000, 'query');
      await h.signal('done');
      assert.is(await h.result(), 5);
      const f: any = await client.workflow.execute('failing', { taskQueue: 'x-official-worker', workflowId: 'x2-fail' }).catch((e) => e);
      assert.instance(f, WorkflowFailedError);
      assert.instance(f.cause, ApplicationFailure);
      assert.is(f.cause.type, 'MyError');
      assert.equal(f.cause.details, [{ reason: 'test', n: 7 }]);
      assert.is(await client.workflow.execute('countdown', { taskQueue: 'x-official-worker', workflowId: 'x2-can', args: [2] }), 100);
      await client.workflow.execute('parallel', { taskQueue: 'x-official-worker', workflowId: 'x2-parallel', args: [2] });
      assert.is(await client.workflow.execute('parent', { taskQueue: 'x-official-worker', workflowId: 'x2-parent', args: ['r'] }), 'parent(child:Hello, r!)');
      assert.match(
        String(await client.workflow.execute('localGreet', { taskQueue: 'x-official-worker', workflowId: 'x2-local', args: ['r'] })),
        /^Hello, r! \/ ok after 3 attempts/,
      );
      assert.is(await client.workflow.execute('patchedFlow', { taskQueue: 'x-official-worker', workflowId: 'x2-patched' }), 'Hello, patched!');
    } finally {
      worker.kill('SIGTERM');
      const killLater = setTimeout(() => worker.kill('SIGKILL'), 5000);
      await worker.exited;
      clearTimeout(killLater);
    }
  }),
);

test(
  "Bastion replays the official worker's histories, and catches a changed workflow",
  timed(60_000, async () => {
    const ids = ['x2-greet', 'x2-acc', 'x2-parallel', 'x2-parent', 'x2-fail', 'x2-local', 'x2-patched'];
    const histories = await Promise.all(ids.map((id) => official.client.workflow.getHandle(id).fetchHistory()));
    const code = (await bastionBundle()).code;
    for (const h of histories) await Worker.runReplayHistory({ workflowBundle: { code } }, h as never);
    const changed = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/changed-workflows.js') });
    const err: any = await Worker.runReplayHistory({ workflowBundle: changed }, histories[0] as never).catch((e) => e);
    assert.is(err?.code, 'ERR_NONDETERMINISM');
    assert.match(err.message, /at event 5 history has activity greet \(id 1\) \(ACTIVITY_TASK_SCHEDULED\), but the workflow issued StartTimer timer 1/);
  }),
);

// Last: the official replayer installs its promise hooks in this process.
test(
  "the official replayer accepts Bastion's histories",
  timed(60_000, async () => {
    const workflowsPath = path.resolve(__dirname, '../fixtures/workflows.js');
    for (const id of ['x1-greet', 'x1-acc', 'x1-parent', 'x1-fail', 'x1-local', 'x1-patched']) {
      await OfficialWorker.runReplayHistory({ workflowsPath }, await official.client.workflow.getHandle(id).fetchHistory());
    }
  }),
);

test.run();
