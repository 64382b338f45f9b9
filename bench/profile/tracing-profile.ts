/**
 * Where tracing's cost goes: the in-process dev server, a Bastion worker and client run
 * `--count` `greet` workflows (`--concurrency` outstanding) with Bastion's OpenTelemetry
 * interceptors on (`--tracing`) or off, spans ended into a span processor that exports
 * nothing. Prints one JSON line: throughput, CPU ms per workflow (the whole process: dev
 * server, worker with its sandbox thread, client), history events of the last workflow
 * (tracing must add no workflow task) and spans per workflow.
 * Run it under `node --cpu-prof` and summarise with `cpu-profile-summary.js`.
 *
 *   node [--cpu-prof --cpu-prof-dir DIR] dist/bench/profile/tracing-profile.js [--tracing] [--count 2000] [--concurrency 50]
 */
import * as path from 'node:path';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Client } from '../../src/client';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { intFlags, pool, quietLogger, runMain } from '../bench-util';
import {
  OpenTelemetryWorkflowClientInterceptor,
  WORKFLOW_INTERCEPTORS_MODULE,
  makeWorkflowExporter,
  openTelemetryActivityInterceptors,
} from '../../src/observability/tracing';
import { AlsContextManager } from '../../test/helpers/otel';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const num = intFlags(argv);
  const count = num('count', 2000);
  const concurrency = num('concurrency', 50);
  const tracing = argv.includes('--tracing');
  const server = await DevServer.start({ logLevel: 'off' });
  const workflowsPath = path.resolve(__dirname, '../../test/fixtures/workflows.js');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: tracing ? [WORKFLOW_INTERCEPTORS_MODULE] : [],
    logger: quietLogger,
  });
  let ended = 0;
  const provider = new BasicTracerProvider();
  provider.addSpanProcessor({ onStart: () => undefined, onEnd: () => void ended++, forceFlush: async () => undefined, shutdown: async () => undefined });
  provider.register({ contextManager: new AlsContextManager() });
  const connection = await Connection.connect({ address: server.address, logger: quietLogger });
  const taskQueue = 'tracing-profile';
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
    shutdownSignals: [],
    logger: quietLogger,
    ...(tracing
      ? { interceptors: { activity: [openTelemetryActivityInterceptors()] }, sinks: { exporter: makeWorkflowExporter(provider.activeSpanProcessor) } }
      : {}),
  });
  const running = worker.run();
  const client = new Client({ connection, ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}) });
  const run = (i: number) => client.workflow.execute('greet', { taskQueue, workflowId: `tp-${process.pid}-${i}`, args: ['x'] });
  await pool(100, concurrency, run); // warm-up
  const endedBefore = ended;
  const cpu = process.cpuUsage();
  const started = Date.now();
  await pool(count, concurrency, (i) => run(1000 + i));
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - started) / 1000;
  const history = await client.workflow.getHandle(`tp-${process.pid}-${1000 + count - 1}`).fetchHistory();
  const result = {
    tracing,
    count,
    workflowsPerSecond: count / seconds,
    cpuMsPerWorkflow: (used.user + used.system) / 1000 / count,
    historyEvents: history.events?.length,
    spansPerWorkflow: (ended - endedBefore) / count,
  };
  await worker.shutdown();
  await running;
  await connection.close();
  await server.close();
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

runMain(main);
