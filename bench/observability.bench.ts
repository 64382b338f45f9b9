/**
 * The cost of metrics and tracing: a Bastion worker and client on the in-process dev server
 * running `greet` workflows at a fixed number outstanding, with neither (`off`), metrics
 * (a prom-client registry on the worker and its connection, scraped once per phase),
 * tracing (Bastion's OpenTelemetry interceptors on the client, the workflows and the
 * activities, spans ended into a counting span processor that exports nothing), or both.
 * The phases alternate off / metrics / tracing / both, then backwards, in one process, each
 * with a fresh connection and worker. CPU is the whole process's (worker, client and dev
 * server), per workflow. Prints one JSON object on stdout.
 *
 * Usage: node dist/bench/observability.bench.js [--seconds 4] [--runs 2] [--concurrency 50]
 */
import * as path from 'node:path';
import { Registry } from 'prom-client';
import type { Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { DevServer } from '../src/testing';
import { Worker, bundleWorkflowCode } from '../src/worker';
import { intFlags, quietLogger, runMain } from './bench-util';
import { alternatePhases, measureLoad, type LoadFigures } from './load-phases';
import { createPrometheusRecorder } from '../src/observability/prometheus-recorder';
import { compileMetricsFormat } from '../src/observability/metrics-options';
import type { MetricsRecorder } from '../src/observability/recorder';
import {
  OpenTelemetryWorkflowClientInterceptor,
  WORKFLOW_INTERCEPTORS_MODULE,
  makeWorkflowExporter,
  openTelemetryActivityInterceptors,
} from '../src/observability/tracing';
import { AlsContextManager } from '../test/helpers/otel';

type Kind = 'off' | 'metrics' | 'tracing' | 'both';
const KINDS: readonly Kind[] = ['off', 'metrics', 'tracing', 'both'];

/** One phase: the load's figures (workflows as `count`, workflows/s as `perSecond`) and what it cost. */
interface PhaseResult extends LoadFigures {
  /** The whole process's CPU (worker, client, dev server) per workflow. */
  cpuMsPerWorkflow: number;
  scrapeBytes: number;
  /** Data points recorded per workflow (metrics on). */
  pointsPerWorkflow: number;
  /** Spans ended per workflow (tracing on): client, workflow and activity spans. */
  spansPerWorkflow: number;
}

/** A span processor that counts the spans ended and exports nothing: the cost measured is making spans. */
function countingSpanProcessor(): SpanProcessor & { ended: number } {
  return {
    ended: 0,
    onStart: () => undefined,
    onEnd() {
      this.ended++;
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

/** CPU nanoseconds per span of the registered tracer provider: start an active span, set three attributes, end it. */
function nsPerSpan(tracer: Tracer): number {
  const N = 50_000;
  const one = (i: number) =>
    tracer.startActiveSpan('RunActivity:greet', (span) => {
      span.setAttribute('temporalActivityId', String(i));
      span.setAttribute('temporalWorkflowId', 'wf');
      span.setAttribute('run_id', 'run');
      span.end();
    });
  for (let i = 0; i < 5_000; i++) one(i);
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) one(i);
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) * 1000) / N;
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

async function main(): Promise<void> {
  const num = intFlags(process.argv.slice(2));
  const seconds = num('seconds', 4);
  const runs = num('runs', 2);
  const concurrency = num('concurrency', 50);
  const server = await DevServer.start({ logLevel: 'off' });
  const workflowsPath = path.resolve(__dirname, '../test/fixtures/workflows.js');
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const tracedBundle = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_MODULE], logger: quietLogger });
  const activities = { greet: async (name: string) => `Hello, ${name}!` };
  // The global tracer provider, as an application sets it up; phases without tracing have no interceptors to use it.
  const spans = countingSpanProcessor();
  const provider = new BasicTracerProvider();
  provider.addSpanProcessor(spans);
  provider.register({ contextManager: new AlsContextManager() });
  let seq = 0;

  async function phase(kind: Kind, run: number): Promise<PhaseResult> {
    const taskQueue = `obs-bench-${run}-${kind}`;
    const metricsOn = kind === 'metrics' || kind === 'both';
    const tracingOn = kind === 'tracing' || kind === 'both';
    const registry = new Registry();
    const counting = countingRecorder(registry);
    const metrics = metricsOn ? { recorder: counting.recorder } : (false as const);
    const connection = await Connection.connect({ address: server.address, logger: quietLogger, metrics });
    const tracing = tracingOn
      ? {
          interceptors: { activity: [openTelemetryActivityInterceptors()] },
          sinks: { exporter: makeWorkflowExporter(spans, provider.resource) },
        }
      : {};
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: tracingOn ? tracedBundle : bundle,
      activities,
      shutdownSignals: [],
      logger: quietLogger,
      metrics,
      ...tracing,
    });
    const running = worker.run();
    const client = new Client({ connection, ...(tracingOn ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}) });
    const spansBefore = spans.ended;
    const cpu = process.cpuUsage();
    const load = await measureLoad({ concurrency, seconds }, () =>
      client.workflow.execute('greet', { taskQueue, workflowId: `ob-${process.pid}-${++seq}`, args: ['x'] }),
    );
    const scrapeBytes = metricsOn ? (await registry.metrics()).length : 0;
    const used = process.cpuUsage(cpu);
    const workflows = Math.max(1, load.count);
    await worker.shutdown();
    await running;
    await connection.close();
    return {
      ...load,
      cpuMsPerWorkflow: (used.user + used.system) / 1000 / workflows,
      scrapeBytes,
      pointsPerWorkflow: counting.points() / workflows,
      spansPerWorkflow: (spans.ended - spansBefore) / workflows,
    };
  }

  const results = await alternatePhases({
    name: 'observability',
    kinds: KINDS,
    runs,
    phase,
    describe: (r) => `${r.perSecond.toFixed(0)} wf/s, ${r.cpuMsPerWorkflow.toFixed(2)} CPU ms/wf, p99 ${r.p99.toFixed(0)} ms`,
  });
  await server.close();
  const pointNs = nsPerPoint();
  const spanNs = nsPerSpan(provider.getTracer('bench'));
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify({ seconds, runs, concurrency, results, pointNs, spanNs })}\n`);
}

runMain(main);
