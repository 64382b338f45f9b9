/**
 * First figures for the dev server, measured with the official SDK:
 *  - workflow starts per second (StartWorkflowExecution, no worker),
 *  - end-to-end workflows per second with one activity each (official worker and client),
 *  - task dispatch latency: a raw `PollWorkflowTaskQueue` (Bastion's `Connection`) is waiting,
 *    a workflow starts; time from sending the start until the poll returns the task,
 * against `bastion server start-dev` in its own process on loopback. Prints one JSON line.
 *
 * Env: BENCH_STARTS (default 2000), BENCH_WORKFLOWS (default 400), BENCH_CONCURRENCY (default 50), BENCH_DISPATCH (default 100), BENCH_DB=1 for --db-filename.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Connection as BastionConnection } from '../src/connection';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { cpuSeconds, pct, pool, ROOT, startServer } from './bench-util';

async function main(): Promise<void> {
  const starts = Number(process.env.BENCH_STARTS ?? 2000);
  const workflows = Number(process.env.BENCH_WORKFLOWS ?? 400);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bench-'));
  const db = process.env.BENCH_DB === '1' ? path.join(dir, 'bench.db') : undefined;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const server = await startServer(
    db ? ['--db-filename', db] : [],
    process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : [],
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const tag = Date.now().toString(36);

  // 1. Starts per second, no worker.
  let t0 = process.hrtime.bigint();
  await pool(starts, 64, (i) => client.workflow.start('greet', { taskQueue: `bench-starts-${tag}`, workflowId: `s-${tag}-${i}`, args: ['x'] }));
  const startsPerSec = starts / (Number(process.hrtime.bigint() - t0) / 1e9);

  // 2. Dispatch latency: a poll is waiting; a start arrives; the poll returns the task.
  const dispatches = Number(process.env.BENCH_DISPATCH ?? 100);
  const raw = await BastionConnection.connect({ address: server.address, tls: false });
  const dispatchMs: number[] = [];
  for (let i = 0; i < dispatches; i++) {
    const name = `bench-dispatch-${tag}-${i}`;
    const poll = raw.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name }, identity: 'bench' });
    // Give the poll time to reach the server and wait there; then the start finds it waiting.
    await new Promise((r) => setTimeout(r, 20));
    const s = process.hrtime.bigint();
    await raw.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: `d-${tag}-${i}`,
      workflowType: { name: 'greet' },
      taskQueue: { name },
      requestId: randomUUID(),
      identity: 'bench',
    });
    const task = await poll;
    if (!task.taskToken?.length) throw new Error(`dispatch ${i}: the poll returned without a task`);
    dispatchMs.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  await raw.close();
  dispatchMs.sort((a, b) => a - b);

  // 3. End to end: one activity per workflow.
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'dist/test/fixtures/workflows.js'), logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: `bench-e2e-${tag}`,
    workflowBundle,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
  });
  const latencies: number[] = [];
  let e2ePerSec = 0;
  let serverCpu: number | undefined;
  await worker.runUntil(async () => {
    // Warm-up, so bundling and first-task costs do not count.
    await pool(20, 10, (i) => client.workflow.execute('greet', { taskQueue: `bench-e2e-${tag}`, workflowId: `w-${tag}-warm-${i}`, args: ['x'] }));
    t0 = process.hrtime.bigint();
    const cpu0 = cpuSeconds(server.pid);
    await pool(workflows, concurrency, async (i) => {
      const s = process.hrtime.bigint();
      await client.workflow.execute('greet', { taskQueue: `bench-e2e-${tag}`, workflowId: `w-${tag}-${i}`, args: ['x'] });
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    });
    e2ePerSec = workflows / (Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu1 = cpuSeconds(server.pid);
    if (cpu0 !== undefined && cpu1 !== undefined) serverCpu = ((cpu1 - cpu0) * 1000) / workflows;
  });
  latencies.sort((a, b) => a - b);
  await connection.close();
  await nativeConnection.close();
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    JSON.stringify({
      store: db ? 'sqlite' : 'memory',
      starts,
      startsPerSec,
      workflows,
      concurrency,
      e2ePerSec,
      dispatches,
      dispatchP50: pct(dispatchMs, 50),
      dispatchP95: pct(dispatchMs, 95),
      dispatchP99: pct(dispatchMs, 99),
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
      serverCpuSecondsPer1000: serverCpu,
    }) + '\n',
  );
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
