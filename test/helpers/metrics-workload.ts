/**
 * The workload the metrics tests run on a worker: two workflows with activities, a retried
 * activity failure, a continue-as-new, a workflow failure, a cancellation and a sticky-cache
 * eviction (two open runs on a one-run cache; signalling the first misses the cache). It
 * runs through Bastion's client on whichever worker polls `taskQueue` (Bastion's or the
 * official one), with the fixture workflows.
 */
import * as assert from 'uvu/assert';
import type { Registry } from 'prom-client';
import type { Client } from '../../src/client';
import type { Connection } from '../../src/connection';
import { Worker, type WorkerOptions } from '../../src/worker';
import * as activities from '../fixtures/bastion-activities';
import { bastionBundle, quietLogger } from './bastion-env';
import { waitFor } from './wait';

/** A Bastion worker for {@link metricsWorkload}: the fixture workflows, a one-run cache, metrics into `registry`. */
export async function meteredWorker(connection: Connection, taskQueue: string, registry: Registry, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  return Worker.create({
    connection,
    taskQueue,
    workflowBundle: await bastionBundle(),
    activities,
    shutdownGraceTime: '1s',
    shutdownSignals: [],
    logger: quietLogger,
    maxCachedWorkflows: 1,
    metrics: { registry },
    ...extra,
  });
}

export async function metricsWorkload(client: Client, taskQueue: string): Promise<void> {
  const id = (s: string) => `obs-${taskQueue}-${s}-${Date.now()}`;
  assert.is(await client.workflow.execute('greet', { taskQueue, workflowId: id('g1'), args: ['a'] }), 'Hello, a!');
  await client.workflow.execute('greet', { taskQueue, workflowId: id('g2'), args: ['b'] });
  await client.workflow.execute('retrying', { taskQueue, workflowId: id('retry'), args: [1, false] });
  await client.workflow.execute('countdown', { taskQueue, workflowId: id('can'), args: [1] });
  await client.workflow.execute('failing', { taskQueue, workflowId: id('fail'), args: [] }).then(
    () => assert.unreachable('should fail'),
    () => undefined,
  );
  // The activity is cancelled once it runs; the workflow ends cancelled.
  const cancelled = await client.workflow.start('cancellableActivity', { taskQueue, workflowId: id('cancel'), args: [] });
  await waitFor(async () => ((await cancelled.describe()).raw.pendingActivities?.length ?? 0) > 0, 20_000, 'the activity running');
  await cancelled.cancel();
  await cancelled.result().then(
    () => assert.unreachable('should be cancelled'),
    () => undefined,
  );
  const a = await client.workflow.start('accumulate', { taskQueue, workflowId: id('acc-a'), args: [1] });
  await waitFor(async () => (await a.query('total')) === 1, 20_000, 'first task of a');
  const b = await client.workflow.start('accumulate', { taskQueue, workflowId: id('acc-b'), args: [2] });
  await waitFor(async () => (await b.query('total')) === 2, 20_000, 'first task of b');
  await a.signal('add', 5);
  await a.signal('done');
  await b.signal('done');
  assert.is(await a.result(), 6);
  assert.is(await b.result(), 2);
}
