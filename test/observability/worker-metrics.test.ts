/**
 * A workload on a Bastion worker with metrics on, then a scrape of `/metrics` parsed by a
 * real Prometheus text-format parser: each SDK metric is there with Core's labels and
 * counts equal to what ran. `Worker.runReplayHistory` records replays only with `metrics`.
 */
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { DevServer } from '../../src/testing';
import { Runtime } from '../../src/common/logger';
import type { OtelMeterProvider } from '../../src/observability/otel-recorder';
import { bastionBundle, quietLogger, startBastionEnv } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';
import { meteredWorker, metricsWorkload } from '../helpers/metrics-workload';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; count?: string; buckets?: Record<string, string> }>;
}

// No types ship with the parser.
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => Family[];

const test = suite('observability: worker metrics scrape');

/**
 * A histogram's observation count over the series whose labels include `match`, from the
 * registry's JSON (the text parser merges a histogram's labelled series into one).
 */
async function observations(registry: Registry, name: string, match: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) return NaN;
  return (metric.values as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>)
    .filter((v) => v.metricName === `${name}_count` && Object.entries(match).every(([k, x]) => v.labels[k] === x))
    .reduce((n, v) => n + v.value, 0);
}

/** The sum of a counter's or gauge's values over the series whose labels include `match`. */
function total(families: Family[], name: string, match: Record<string, string> = {}): number {
  const f = families.find((x) => x.name === name);
  if (!f) return NaN;
  return f.metrics.filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v)).reduce((n, m) => n + Number(m.value ?? m.count ?? 0), 0);
}

test(
  'a workload, then a scrape: every SDK metric with its labels and counts equal to what ran',
  timed(60_000, async () => {
    const server = await DevServer.start({ logLevel: 'off' });
    const registry = new Registry();
    const connection = await Connection.connect({ address: server.address, metrics: { registry } });
    const client = new Client({ connection });
    const taskQueue = 'obs-metrics';
    const worker = await meteredWorker(connection, taskQueue, registry, { healthServer: { port: 0 } });
    const running = worker.run();
    try {
      await metricsWorkload(client, taskQueue);

      const res = await fetch(`${worker.healthServer!.url}/metrics`);
      assert.is(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusTextFormat(await res.text());
      const names = new Set(families.map((f) => f.name));
      const required = [
        'request',
        'request_latency',
        'long_request',
        'long_request_latency',
        'workflow_completed',
        'workflow_failed',
        'workflow_canceled',
        'workflow_continue_as_new',
        'workflow_endtoend_latency',
        'workflow_task_queue_poll_succeed',
        'workflow_task_schedule_to_start_latency',
        'workflow_task_execution_latency',
        'workflow_task_replay_latency',
        'activity_schedule_to_start_latency',
        'activity_execution_latency',
        'activity_execution_failed',
        'activity_execution_cancelled',
        'sticky_cache_hit',
        'sticky_cache_miss',
        'sticky_cache_size',
        'sticky_cache_total_forced_eviction',
        'worker_task_slots_available',
        'worker_task_slots_used',
        'num_pollers',
        'worker_start',
      ];
      const missing = required.filter((n) => !names.has(`temporal_${n}`));
      assert.equal(missing, [], `missing metrics: ${missing.join(', ')}`);
      const wf = (type: string) => ({ namespace: 'default', task_queue: taskQueue, workflow_type: type });
      assert.is(total(families, 'temporal_workflow_completed', wf('greet')), 2);
      assert.is(total(families, 'temporal_workflow_completed', wf('accumulate')), 2);
      assert.is(total(families, 'temporal_workflow_completed', wf('retrying')), 1);
      assert.is(total(families, 'temporal_workflow_completed', wf('countdown')), 1);
      assert.is(total(families, 'temporal_workflow_continue_as_new', wf('countdown')), 1);
      assert.is(total(families, 'temporal_workflow_failed', wf('failing')), 1);
      assert.is(total(families, 'temporal_workflow_canceled', wf('cancellableActivity')), 1);
      assert.is(total(families, 'temporal_workflow_completed'), 6);
      assert.is(
        total(families, 'temporal_activity_execution_failed', {
          ...wf('retrying'),
          activity_type: 'flaky',
          failure_reason: 'ActivityError',
        }),
        1,
      );
      assert.is(total(families, 'temporal_activity_execution_cancelled', { ...wf('cancellableActivity'), activity_type: 'waitForCancel' }), 1);
      // greet ×2, flaky ×2 attempts, waitForCancel, the cleanup greet.
      const histograms = families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
      for (const n of required.filter((r) => r.endsWith('latency'))) assert.ok(histograms.includes(`temporal_${n}`), `${n} is a histogram`);
      assert.is(await observations(registry, 'temporal_activity_execution_latency'), 6);
      assert.is(await observations(registry, 'temporal_activity_execution_latency', { ...wf('greet'), activity_type: 'greet' }), 2);
      // One per closed run: 6 completed, 1 continued as new, 1 failed, 1 cancelled.
      assert.is(await observations(registry, 'temporal_workflow_endtoend_latency'), 9);
      assert.is(await observations(registry, 'temporal_activity_schedule_to_start_latency', { namespace: 'default', task_queue: taskQueue }), 6);
      assert.ok((await observations(registry, 'temporal_workflow_task_schedule_to_start_latency', { namespace: 'default', task_queue: taskQueue })) >= 9);
      assert.ok((await observations(registry, 'temporal_workflow_task_replay_latency')) >= 1);
      assert.ok(total(families, 'temporal_sticky_cache_total_forced_eviction', { namespace: 'default', task_queue: taskQueue }) >= 1);
      assert.ok(total(families, 'temporal_sticky_cache_miss') >= 1);
      assert.ok(total(families, 'temporal_sticky_cache_hit') >= 1);
      assert.ok(total(families, 'temporal_sticky_cache_size') <= 1);
      assert.is(total(families, 'temporal_worker_start', { namespace: 'default', task_queue: taskQueue }), 1);
      assert.is(
        total(families, 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' }) +
          total(families, 'temporal_worker_task_slots_used', { worker_type: 'ActivityWorker' }),
        100,
      );
      assert.ok(total(families, 'temporal_num_pollers', { poller_type: 'workflow_task' }) >= 0);
      assert.ok(families.find((f) => f.name === 'temporal_num_pollers')!.metrics.some((m) => m.labels?.poller_type === 'sticky_workflow_task'));
      assert.ok(total(families, 'temporal_long_request', { operation: 'PollWorkflowTaskQueue', task_queue: taskQueue }) >= 8);
      assert.ok(total(families, 'temporal_request', { operation: 'StartWorkflowExecution', namespace: 'default' }) >= 8);
      assert.ok(total(families, 'temporal_request', { operation: 'RespondWorkflowTaskCompleted' }) >= 8);
      // No series carries a workflow id or run id.
      for (const f of families)
        for (const m of f.metrics)
          assert.not.ok(
            Object.keys(m.labels ?? {}).some((k) => /workflow_id|run_id/.test(k)),
            f.name,
          );
      // Durations are in milliseconds: Core's workflow task buckets start at 1 (ms) and end at 1000.
      const exec = families.find((f) => f.name === 'temporal_workflow_task_execution_latency')!;
      assert.equal(Object.keys(exec.metrics[0]!.buckets ?? {}), ['1', '10', '20', '50', '100', '200', '500', '1000', '+Inf']);
    } finally {
      await worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await server.close();
    }
  }),
);

test(
  'Worker.runReplayHistory records workflow_task_replay_latency per history with `metrics`, a failed replay as NonDeterminismError; without `metrics`, nothing',
  timed(90_000, async () => {
    const env = await startBastionEnv();
    const taskQueue = 'obs-replay';
    let history: unknown;
    try {
      const worker = await env.worker(taskQueue);
      await worker.runUntil(env.client.workflow.execute('greet', { taskQueue, workflowId: 'obs-replay-greet', args: ['r'] }));
      history = (await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'obs-replay-greet' } }))
        .history;
    } finally {
      await env.close();
    }
    const workflowBundle = await bastionBundle();
    const labels = { namespace: 'default', task_queue: taskQueue, workflow_type: 'greet' };
    // Process-wide metrics installed: a replay without `metrics` stays out of them, as the official Core's replay worker does.
    const recorded: string[] = [];
    const meterProvider: OtelMeterProvider = {
      getMeter: () => ({
        createCounter: (name) => ({ add: () => void recorded.push(name) }),
        createHistogram: (name) => ({ record: () => void recorded.push(name) }),
        createGauge: (name) => ({ record: () => void recorded.push(name) }),
        createObservableGauge: () => ({ addCallback: () => undefined }),
      }),
    };
    Runtime.install({ logger: quietLogger, telemetryOptions: { metrics: { meterProvider } } });
    try {
      await Worker.runReplayHistory({ workflowBundle }, history as never);
      assert.equal(recorded, [], 'no data point without `metrics`');
      // Opting in to the process-wide metrics.
      await Worker.runReplayHistory({ workflowBundle, metrics: { recorder: Runtime.instance().telemetry!.recorder } }, history as never);
      assert.equal(recorded, ['temporal_workflow_task_replay_latency']);
    } finally {
      Runtime.install({});
    }

    const registry = new Registry();
    await Worker.runReplayHistory({ workflowBundle, metrics: { registry } }, history as never);
    await Worker.runReplayHistory({ workflowBundle, metrics: { registry } }, history as never);
    assert.is(await observations(registry, 'temporal_workflow_task_replay_latency', labels), 2, 'one observation per replayed history');
    const changed = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/changed-workflows.js') });
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: changed, metrics: { registry } }, [history as never])) results.push(r);
    assert.is((results[0]?.error as { code?: string } | undefined)?.code, 'ERR_NONDETERMINISM');
    const failed = parsePrometheusTextFormat(await registry.metrics());
    assert.is(total(failed, 'temporal_workflow_task_execution_failed', { ...labels, failure_reason: 'NonDeterminismError' }), 1);
    assert.is(await observations(registry, 'temporal_workflow_task_replay_latency', labels), 2, 'a failed replay records no latency');
    // A malformed option fails before anything is bundled.
    const err = await Worker.runReplayHistory({ workflowBundle, metrics: { registry: {} as never } }, history as never).catch(
      (e: { code?: string; message: string }) => e,
    );
    assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
    assert.match((err as Error).message, '`metrics.registry`');
  }),
);

test.run();
