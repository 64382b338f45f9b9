/**
 * Several workers, killed workers, and a killed server: the official SDK keeps going,
 * and histories stay intact.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { startOfficialEnv, installQuietRuntime, workflowBundle } from '../helpers/official-env';
import { freePort, spawnDevServer, spawnNode } from '../helpers/processes';
import { timed, waitFor, withTimeout } from '../helpers/wait';
import * as wf from '../fixtures/workflows';
import * as activities from '../fixtures/activities';

const ET = temporal.api.enums.v1.EventType;
const test = suite('workers and restarts');

test(
  'two workers share one task queue',
  timed(60_000, async () => {
    // The official SDK allows one worker per task queue in a process, so the second runs in its own.
    const env = await startOfficialEnv();
    const other = spawnNode([path.resolve(__dirname, '../fixtures/worker-process.js')], {
      ADDRESS: env.server.address,
      TASK_QUEUE: 'shared',
      IDENTITY: 'worker-two',
    });
    const w1 = await env.worker('shared', { identity: 'worker-one' });
    const running = w1.run();
    try {
      await other.waitFor(/worker running/, 30_000);
      const ids = Array.from({ length: 16 }, (_, i) => `shared-${i}`);
      const results = await Promise.all(
        ids.map((workflowId) => env.client.workflow.execute(wf.greet, { taskQueue: 'shared', workflowId, args: [workflowId] })),
      );
      assert.equal(
        results,
        ids.map((i) => `Hello, ${i}!`),
      );
      const identities = new Set<string>();
      for (const workflowId of ids) {
        const h = await env.client.workflow.getHandle(workflowId).fetchHistory();
        for (const e of h.events!) {
          const who = e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity;
          if (who) identities.add(who);
        }
      }
      assert.equal([...identities].sort(), ['worker-one', 'worker-two'], `both workers took tasks: ${[...identities]}`);
      const pollers = await env.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'shared' }, taskQueueType: 2 });
      assert.equal([...new Set(pollers.pollers!.map((p) => p.identity))].sort(), ['worker-one', 'worker-two']);
    } finally {
      other.kill('SIGTERM');
      const killLater = setTimeout(() => other.kill('SIGKILL'), 5000);
      w1.shutdown();
      await running;
      await other.exited;
      clearTimeout(killLater);
      await env.close();
    }
  }),
);

test(
  'an activity on a killed worker is retried on the other worker after its timeout',
  timed(90_000, async () => {
    const env = await startOfficialEnv();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-kill-'));
    const marker = path.join(dir, 'stalled');
    const victim = spawnNode([path.resolve(__dirname, '../fixtures/worker-process.js')], {
      ADDRESS: env.server.address,
      TASK_QUEUE: 'kill',
      IDENTITY: 'victim',
      BASTION_TEST_STALL_MARKER: marker,
    });
    try {
      await victim.waitFor(/worker running/, 30_000);
      const handle = await env.client.workflow.start(wf.longActivity, { taskQueue: 'kill', workflowId: 'kill-1' });
      await waitFor(() => fs.existsSync(marker), 20_000, 'activity started on the victim');
      victim.kill('SIGKILL');
      await victim.exited;
      const survivor = await env.worker('kill', { identity: 'survivor', env: { BASTION_MAIN_PID: String(process.pid) } } as never);
      process.env.BASTION_MAIN_PID = String(process.pid);
      const result = await survivor.runUntil(withTimeout(60_000, handle.result(), 'workflow result'));
      assert.is(result, 'done on attempt 2 by pid main');
      const history = await handle.fetchHistory();
      const started = history.events!.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED)!;
      assert.is(started.activityTaskStartedEventAttributes!.identity, 'survivor');
      assert.match(started.activityTaskStartedEventAttributes!.lastFailure!.message!, /StartToClose timeout/);
    } finally {
      victim.kill();
      await env.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'kill -9 the server mid-workflow, restart on the same file: workflows finish with intact histories',
  timed(120_000, async () => {
    installQuietRuntime();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-db-'));
    const db = path.join(dir, 'dev.db');
    const port = await freePort();
    const args = ['--port', String(port), '--db-filename', db];
    let server = await spawnDevServer(args);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'durable', workflowBundle: await workflowBundle(), activities });
    const running = worker.run();
    try {
      const timerMs = 1500;
      const a = await client.workflow.start(wf.timerThenActivity, { taskQueue: 'durable', workflowId: 'durable-timer', args: [timerMs] });
      const b = await client.workflow.start(wf.accumulate, { taskQueue: 'durable', workflowId: 'durable-signal', args: [1] });
      await b.signal(wf.addSignal, 2);
      await waitFor(async () => (await a.fetchHistory()).events!.some((e) => e.eventType === ET.EVENT_TYPE_TIMER_STARTED), 20_000, 'timer started');
      await waitFor(
        async () => (await b.fetchHistory()).events!.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length >= 2,
        20_000,
        'signal handled',
      );
      server.kill('SIGKILL');
      await server.exited;
      // Stay down until the timer is overdue, so it must fire on start.
      await new Promise((r) => setTimeout(r, timerMs + 200));
      server = await spawnDevServer(args);
      await b.signal(wf.addSignal, 3);
      await b.signal(wf.doneSignal);
      assert.is(await withTimeout(60_000, b.result(), 'signal workflow result'), 6);
      assert.is(await withTimeout(60_000, a.result(), 'timer workflow result'), 'Hello, after-timer!');
      for (const h of [a, b]) {
        const events = (await h.fetchHistory()).events!;
        assert.equal(
          events.map((e) => Number(e.eventId)),
          Array.from({ length: events.length }, (_, i) => i + 1),
          `${h.workflowId}: contiguous event ids`,
        );
        assert.is(events.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED).length, 1);
        assert.is(events.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED).length, 1);
      }
      const aEvents = (await a.fetchHistory()).events!;
      assert.is(aEvents.filter((e) => e.eventType === ET.EVENT_TYPE_TIMER_FIRED).length, 2);
      assert.is(aEvents.filter((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).length, 1);
      const signals = (await b.fetchHistory()).events!.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      assert.is(signals.length, 3, 'no signal lost or duplicated');
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await nativeConnection.close();
      server.kill('SIGTERM');
      await server.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
