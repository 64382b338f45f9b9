/**
 * The cost of metrics: a Bastion worker and client on the in-process dev server running
 * `greet` workflows at a fixed number outstanding, with metrics off (`metrics: false`) and
 * on (a prom-client registry on the worker and its connection, scraped once per phase);
 * the phases alternate off / on in one process, each with a fresh connection and worker.
 * CPU is the whole process's (worker, client and dev server), per workflow.
 * Prints one JSON object on stdout.
 *
 * Usage: node dist/bench/observability.bench.js [--seconds 4] [--runs 2] [--concurrency 50]
 */
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { DevServer } from '../src/testing';
import { Worker, bundleWorkflowCode } from '../src/worker';
import { pct } from './bench-util';
import { createPrometheusRecorder } from '../src/observability/prometheus-recorder';
import { compileMetricsFormat } from '../src/observability/metrics-options';
import type { MetricsRecorder } from '../src/observability/recorder';

interface PhaseResult {
  metrics: boolean;
  workflows: number;
  throughput: number;
  p50: number;
  p99: number;
  cpuMsPerWorkflow: number;
  scrapeBytes: number;
  /** Data points recorded per workflow (metrics on). */
  pointsPerWorkflow: number;
}

const FORMAT = compileMetricsFormat({}, 'metrics');

/** A prom-client recorder that counts the data points it is given. */
function countingRecorder(registry: Registry): { recorder: MetricsRecorder; points: () => number } {
  const inner = createPrometheusRecorder(FORMAT, registry);
  let n = 0;
  return {
    points: () => n,
    recorder: {
      enabled: true,
      count: (a, b, c) => (n++, inner.count(a, b, c)),
      gauge: (a, b, c) => (n++, inner.gauge(a, b, c)),
      durationMs: (a, b, c) => (n++, inner.durationMs(a, b, c)),
    },
  };
}

/** CPU nanoseconds per data point of the prom-client recorder, with labels shaped like the worker's. */
function nsPerPoint(): number {
  const r = createPrometheusRecorder(FORMAT, new Registry());
  const labels = { namespace: 'default', task_queue: 'q', workflow_type: 'greet', activity_type: 'greet' };
  const N = 200_000;
  for (let i = 0; i < 10_000; i++) r.count('workflow_completed', labels);
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    if (i % 3 === 0) r.count('workflow_completed', labels);
    else if (i % 3 === 1) r.gauge('sticky_cache_size', labels, i);
    else r.durationMs('activity_execution_latency', labels, i % 500);
  }
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) * 1000) / N;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

async function main(): Promise<void> {
  const seconds = arg('seconds', 4);
  const runs = arg('runs', 2);
  const concurrency = arg('concurrency', 50);
  const server = await DevServer.start({ logLevel: 'off' });
  const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../test/fixtures/workflows.js'), logger: silent });
  const activities = { greet: async (name: string) => `Hello, ${name}!` };
  let seq = 0;

  async function phase(metricsOn: boolean, taskQueue: string): Promise<PhaseResult> {
    const registry = new Registry();
    const counting = countingRecorder(registry);
    const metrics = metricsOn ? { recorder: counting.recorder } : (false as const);
    const connection = await Connection.connect({ address: server.address, logger: silent, metrics });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities, shutdownSignals: [], logger: silent, metrics });
    const running = worker.run();
    const client = new Client({ connection });
    const latencies: number[] = [];
    const end = Date.now() + seconds * 1000;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const t = performance.now();
          await client.workflow.execute('greet', { taskQueue, workflowId: `ob-${process.pid}-${++seq}`, args: ['x'] });
          latencies.push(performance.now() - t);
        }
      }),
    );
    const scrapeBytes = metricsOn ? (await registry.metrics()).length : 0;
    const pointsPerWorkflow = counting.points() / Math.max(1, latencies.length);
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await worker.shutdown();
    await running;
    await connection.close();
    latencies.sort((a, b) => a - b);
    return {
      metrics: metricsOn,
      workflows: latencies.length,
      throughput: latencies.length / elapsed,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      cpuMsPerWorkflow: (used.user + used.system) / 1000 / Math.max(1, latencies.length),
      scrapeBytes,
      pointsPerWorkflow,
    };
  }

  const results: PhaseResult[] = [];
  await phase(false, 'obs-bench-warm'); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
      const result = await phase(on, `obs-bench-${r}-${on ? 'on' : 'off'}`);
      results.push(result);
      process.stderr.write(
        `[observability] run ${r + 1}/${runs} metrics ${on ? 'on ' : 'off'}: ${result.throughput.toFixed(0)} wf/s, ${result.cpuMsPerWorkflow.toFixed(2)} CPU ms/wf, p99 ${result.p99.toFixed(0)} ms\n`,
      );
    }
  }
  await server.close();
  const pointNs = nsPerPoint();
  process.stdout.write(`${JSON.stringify({ seconds, runs, concurrency, results, pointNs })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
