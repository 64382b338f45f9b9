/**
 * First figures for the dev server, measured with the official SDK:
 *  - workflow starts per second (StartWorkflowExecution, no worker),
 *  - end-to-end workflows per second with one activity each (official worker and client),
 * against `bastion server start-dev` in its own process on loopback. Prints one JSON line.
 *
 * Env: BENCH_STARTS (default 2000), BENCH_WORKFLOWS (default 400), BENCH_CONCURRENCY (default 50), BENCH_DB=1 for --db-filename.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(__dirname, '../..');

/** CPU seconds (user + system) a process has used, from /proc; undefined off Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function startServer(db?: string): Promise<{ address: string; pid?: number; stop(): Promise<void> }> {
  const args = [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []), path.join(ROOT, 'bin/bastion.js'), 'server', 'start-dev', '--port', '0', ...(db ? ['--db-filename', db] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`dev server exited with ${code}`)));
  });
  return {
    address,
    pid: child.pid,
    stop: () => new Promise((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const starts = Number(process.env.BENCH_STARTS ?? 2000);
  const workflows = Number(process.env.BENCH_WORKFLOWS ?? 400);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bench-'));
  const db = process.env.BENCH_DB === '1' ? path.join(dir, 'bench.db') : undefined;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const server = await startServer(db);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const tag = Date.now().toString(36);

  // 1. Starts per second, no worker.
  let t0 = process.hrtime.bigint();
  await pool(starts, 64, (i) => client.workflow.start('greet', { taskQueue: `bench-starts-${tag}`, workflowId: `s-${tag}-${i}`, args: ['x'] }));
  const startsPerSec = starts / (Number(process.hrtime.bigint() - t0) / 1e9);

  // 2. End to end: one activity per workflow.
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'dist/test/fixtures/workflows.js'), logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({
    connection: nativeConnection, taskQueue: `bench-e2e-${tag}`, workflowBundle,
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
  process.stdout.write(JSON.stringify({
    store: db ? 'sqlite' : 'memory',
    starts, startsPerSec, workflows, concurrency, e2ePerSec,
    p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99),
    serverCpuSecondsPer1000: serverCpu,
  }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
