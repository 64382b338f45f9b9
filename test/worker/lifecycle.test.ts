/** Worker lifecycle: the seven states, shutdown grace and force times, unhealthy workflow code. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { temporal } from '@temporalio/proto';
import { Worker } from '../../src/worker';
import { startBastionEnv, quietLogger } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { timed, waitFor } from '../helpers/wait';

const test = suite('Bastion worker lifecycle');
const env = useEnv(test, () => startBastionEnv());

/** The states the worker went through, from its state machine (not from log text). */
function statesOf(worker: Worker): string[] {
  return [...(worker as unknown as { machine: { history: string[] } }).machine.history];
}

const pendingActivity = async (workflowId: string) =>
  waitFor(
    async () => {
      const d = await env().client.workflow.getHandle(workflowId).describe();
      return d.raw.pendingActivities?.some((a: any) => a.state === 2 /* STARTED */);
    },
    10_000,
    'activity started',
  );

test(
  'goes through all seven states in order on a run with a slow activity; activities see shutdown at once',
  timed(30_000, async () => {
    const worker = await env().worker('lc-states', { shutdownGraceTime: '5s' });
    assert.is(worker.getState(), 'INITIALIZED');
    const running = worker.run();
    assert.is(worker.getState(), 'RUNNING');
    const err = (() => {
      try {
        void worker.run();
        return undefined;
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    assert.is(err?.code, 'ERR_ILLEGAL_STATE');
    assert.match(err!.message, /not allowed in state RUNNING/);
    const h = await env().client.workflow.start('slowActivity', { taskQueue: 'lc-states', workflowId: 'lc-states-1', args: ['noticeShutdown'] });
    await pendingActivity(h.workflowId);
    void worker.shutdown();
    assert.is(worker.getState(), 'STOPPING');
    await running;
    assert.is(worker.getState(), 'STOPPED');
    assert.equal(statesOf(worker), ['INITIALIZED', 'RUNNING', 'STOPPING', 'DRAINING', 'DRAINED', 'STOPPED']);
    const events = (await h.fetchHistory()).events;
    const completed = events.find((e) => e.activityTaskCompletedEventAttributes);
    assert.ok(completed, 'the activity finished within the grace time after noticing shutdown');
  }),
);

test(
  'shutdownForceTime: run() settles even when an activity ignores cancellation; the attempt is reported failed',
  timed(30_000, async () => {
    const worker = await env().worker('lc-force', { shutdownGraceTime: '200ms', shutdownForceTime: '1s' });
    const running = worker.run();
    const h = await env().client.workflow.start('slowActivity', { taskQueue: 'lc-force', workflowId: 'lc-force-1', args: ['ignoreCancellation'] });
    await pendingActivity(h.workflowId);
    const t0 = Date.now();
    void worker.shutdown();
    await running;
    // Not before the force time (the grace time alone does not end it: the activity ignores
    // cancellation). No upper bound: a loaded machine may be late, never early.
    const took = Date.now() - t0;
    assert.ok(took >= 950, `settled at the force time, not at the grace time (${took} ms)`);
    const failed = await waitFor(
      async () => (await h.fetchHistory()).events.find((e) => e.activityTaskFailedEventAttributes),
      10_000,
      'attempt reported failed',
    );
    assert.match(failed.activityTaskFailedEventAttributes!.failure!.message!, /WORKER_SHUTDOWN/);
  }),
);

test(
  'shutdown() is idempotent: concurrent and repeated calls share one promise and never throw',
  timed(30_000, async () => {
    const worker = await env().worker('lc-idem', { shutdownGraceTime: '5s' });
    const running = worker.run();
    const h = await env().client.workflow.start('slowActivity', { taskQueue: 'lc-idem', workflowId: 'lc-idem-1', args: ['noticeShutdown'] });
    await pendingActivity(h.workflowId);
    const first = worker.shutdown();
    const second = worker.shutdown();
    assert.is(first, second, 'concurrent calls return the same promise');
    assert.is(worker.getState(), 'STOPPING');
    await first;
    assert.is(worker.getState(), 'STOPPED', 'the promise resolves once the worker has stopped');
    await running;
    assert.is(worker.shutdown(), first, 'a call after STOPPED returns the same, settled promise');
    await worker[Symbol.asyncDispose]();
    assert.is(worker.getState(), 'STOPPED');
  }),
);

test(
  'a worker that never ran: shutdown() goes straight to STOPPED and releases its connection; run() afterwards is refused',
  timed(30_000, async () => {
    const { Connection } = await import('../../src/connection');
    const connection = await Connection.connect({ address: env().server.address });
    const worker = await Worker.create({ connection, taskQueue: 'lc-never', activities: { a: async () => 1 }, shutdownSignals: [], logger: quietLogger });
    await worker.shutdown();
    assert.equal(statesOf(worker), ['INITIALIZED', 'STOPPED']);
    const err = (() => {
      try {
        void worker.run();
        return undefined;
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    assert.is(err?.code, 'ERR_ILLEGAL_STATE');
    // The connection was the caller's: it stays open.
    assert.ok(await connection.workflowService.getSystemInfo({}));
    await connection.close();
  }),
);

test(
  'await using: Symbol.asyncDispose shuts a running worker down and waits until STOPPED',
  timed(30_000, async () => {
    let captured: Worker | undefined;
    {
      await using worker = await env().worker('lc-dispose');
      captured = worker;
      void worker.run();
      assert.is(await env().client.workflow.execute('greet', { taskQueue: 'lc-dispose', workflowId: 'lc-dispose-1', args: ['x'] }), 'Hello, x!');
    }
    assert.is(captured.getState(), 'STOPPED');
  }),
);

test(
  'an infinite loop fails that workflow task after the activation timeout, and the worker stays healthy',
  timed(30_000, async () => {
    const worker = await env().worker('lc-spin', { activationTimeout: '300ms' });
    await worker.runUntil(async () => {
      const spin = await env().client.workflow.start('spins', { taskQueue: 'lc-spin', workflowId: 'lc-spin-1' });
      const failed = await waitFor(async () => (await spin.fetchHistory()).events.find((e) => e.workflowTaskFailedEventAttributes), 10_000, 'task failed');
      assert.match(failed.workflowTaskFailedEventAttributes!.failure!.message!, /did not yield within 300 ms|300 ?ms/);
      // A deadlock is an unhandled failure of the worker, not nondeterminism: the server records that cause.
      assert.is(
        Number(failed.workflowTaskFailedEventAttributes!.cause),
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
      );
      assert.is(await env().client.workflow.execute('greet', { taskQueue: 'lc-spin', workflowId: 'lc-spin-ok', args: ['still here'] }), 'Hello, still here!');
      await spin.terminate();
    });
    assert.is(worker.getState(), 'STOPPED');
  }),
);

test(
  'an unregistered activity fails with the registered ones named',
  timed(20_000, async () => {
    const worker = await env().worker('lc-missing');
    const err: any = await worker.runUntil(
      env()
        .client.workflow.execute('callsMissingActivity', { taskQueue: 'lc-missing', workflowId: 'lc-missing-1' })
        .catch((e: any) => e),
    );
    assert.match(err.cause.cause.message, /Activity function notRegistered is not registered on this worker.*Registered activities: \[.*greet/);
  }),
);

test(
  'Worker.create fails fast with a clear error for an unknown namespace or an unreachable server',
  timed(20_000, async () => {
    const e1: any = await Worker.create({
      connection: env().connection,
      namespace: 'nope',
      taskQueue: 'x',
      activities: { a: async () => 1 },
      logger: quietLogger,
    }).catch((e) => e);
    assert.is(e1.code, 'ERR_INVALID_OPTION');
    assert.match(e1.message, /`namespace` "nope" was not found/);
    const e2: any = await Worker.create({ taskQueue: 'x', activities: {}, logger: quietLogger }).catch((e) => e);
    assert.match(e2.message, /workflowsPath|activities/);
    const e3: any = await Worker.create({ taskQueue: '', activities: { a: async () => 1 } }).catch((e) => e);
    assert.match(e3.message, /`taskQueue` is required/);
  }),
);

test.run();
