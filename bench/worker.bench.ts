/**
 * One contender's worker and client in this process, against a dev server: Bastion's
 * worker with Bastion's client, or the official worker with the official client. Run as
 * a child of bench/run.js so that resident memory and CPU time belong to one contender.
 * Prints one JSON line on stdout (`ok: false` with the error text when the run failed).
 *
 * Usage: node dist/bench/worker.bench.js --contender bastion|official --scenario greet|signal
 *          [--address HOST:PORT --server-pid PID] [--size N] [--concurrency N] [--warmup N] [--idle-ms N]
 *          [--workflow-timeout-ms N] [--worker-options JSON]
 * Without --address it starts its own `bastion server start-dev` process.
 *
 * Scenarios (workflows from dist/test/fixtures/workflows.js, no bench-only workflows):
 *  - greet:  `greet(name)`, one activity; start and await the result.
 *  - signal: `accumulate(0)`; start, signal `add` 1, signal `done`, await the result (1).
 */
import { performance } from 'node:perf_hooks';
import { cpuSeconds, logged, note, pct, pool, quietLogger, ROOT, startServer } from './bench-util';
import * as path from 'node:path';

/** Read first, so that module loading counts toward start-up (the clock starts at process start). */
const bootMs = performance.now();

const WORKFLOWS_PATH = path.join(ROOT, 'dist/test/fixtures/workflows.js');
const activities = { greet: async (name: string) => `Hello, ${name}!` };

type Contender = 'bastion' | 'official';
type Scenario = 'greet' | 'signal';

interface Args {
  contender: Contender;
  scenario: Scenario;
  address?: string;
  size: number;
  concurrency: number;
  warmup: number;
  idleMs: number;
  workflowTimeoutMs: number;
  /** Extra options for Worker.create (the same for both SDKs), e.g. `{"maxCachedWorkflows":0}`. */
  workerOptions: Record<string, unknown>;
  /** The dev server's process id, to charge its CPU time to the measured phase. */
  serverPid?: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const contender = get('contender');
  const scenario = get('scenario') ?? 'greet';
  if (contender !== 'bastion' && contender !== 'official') throw new Error('`--contender` must be `bastion` or `official`.');
  if (scenario !== 'greet' && scenario !== 'signal') throw new Error('`--scenario` must be `greet` or `signal`.');
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`\`--${name}\` must be a non-negative number; got ${v}.`);
    return n;
  };
  return {
    contender,
    scenario,
    address: get('address'),
    size: num('size', scenario === 'greet' ? 300 : 200),
    concurrency: num('concurrency', 50),
    warmup: num('warmup', 20),
    idleMs: num('idle-ms', 2000),
    workflowTimeoutMs: num('workflow-timeout-ms', 60_000),
    workerOptions: JSON.parse(get('worker-options') ?? '{}'),
    serverPid: get('server-pid') === undefined ? undefined : num('server-pid', 0),
  };
}

/** The few operations the scenarios need, implemented by each SDK's own client and worker. */
interface Harness {
  /** Connects the SDK's client (after start-up is measured: the worker does not need it). */
  connectClient(): Promise<void>;
  /** Starts the workflow and resolves with its result. */
  greet(workflowId: string): Promise<unknown>;
  /** Starts `accumulate(0)`, signals `add` 1 and `done`, resolves with its result. */
  signalRoundTrip(workflowId: string): Promise<unknown>;
  state(): string;
  /** Workflows held in the worker's cache (sticky execution). */
  cachedWorkflows(): number;
  /** Runs the worker until `fn` settles (then shuts it down). */
  runUntil<R>(fn: () => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

async function bastionHarness(address: string, taskQueue: string, marks: Record<string, number>, extra: Record<string, unknown>): Promise<Harness> {
  const { Connection } = await import('../src/connection');
  const { Client } = await import('../src/client');
  const { Worker } = await import('../src/worker');
  marks.sdkLoadedMs = performance.now();
  const connection = await Connection.connect({ address });
  marks.connectedMs = performance.now();
  // As users write it: Worker.create bundles `workflowsPath` itself (in a short-lived thread).
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities, shutdownSignals: [], logger: quietLogger, ...extra });
  marks.createdMs = performance.now();
  let clientConnection: Awaited<ReturnType<typeof Connection.connect>> | undefined;
  let client!: InstanceType<typeof Client>;
  return {
    async connectClient() {
      clientConnection = await Connection.connect({ address });
      client = new Client({ connection: clientConnection });
    },
    greet: (id) => client.workflow.execute('greet', { taskQueue, workflowId: id, args: ['x'] }),
    async signalRoundTrip(id) {
      const h = await client.workflow.start('accumulate', { taskQueue, workflowId: id, args: [0] });
      await h.signal('add', 1);
      await h.signal('done');
      return h.result();
    },
    state: () => worker.getState(),
    cachedWorkflows: () => worker.getStatus().cachedWorkflows,
    runUntil: (fn) => worker.runUntil(fn),
    async close() {
      await clientConnection?.close();
      await connection.close();
    },
  };
}

async function officialHarness(address: string, taskQueue: string, marks: Record<string, number>, extra: Record<string, unknown>): Promise<Harness> {
  const { Connection, Client } = await import('@temporalio/client');
  const { Worker, NativeConnection, Runtime, DefaultLogger } = await import('@temporalio/worker');
  const logger = new DefaultLogger('ERROR', (e) => note(e.level === 'WARN' ? 'warn' : 'error', e.message, e.meta));
  Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  marks.sdkLoadedMs = performance.now();
  const connection = await NativeConnection.connect({ address });
  marks.connectedMs = performance.now();
  // As users write it: Worker.create bundles `workflowsPath` itself.
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities, ...extra });
  marks.createdMs = performance.now();
  let clientConnection: Awaited<ReturnType<typeof Connection.connect>> | undefined;
  let client!: InstanceType<typeof Client>;
  return {
    async connectClient() {
      clientConnection = await Connection.connect({ address });
      client = new Client({ connection: clientConnection });
    },
    greet: (id) => client.workflow.execute('greet', { taskQueue, workflowId: id, args: ['x'] }),
    async signalRoundTrip(id) {
      const h = await client.workflow.start('accumulate', { taskQueue, workflowId: id, args: [0] });
      await h.signal('add', 1);
      await h.signal('done');
      return h.result();
    },
    state: () => worker.getState(),
    cachedWorkflows: () => worker.getStatus().numCachedWorkflows,
    runUntil: (fn) => worker.runUntil(fn),
    async close() {
      await clientConnection?.close();
      await connection.close();
    },
  };
}

/** Rejects when `p` has not settled within `ms`, naming what was awaited. */
function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stalled: ${what()} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 2 ** 20;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const result: Record<string, unknown> = {
    ok: false,
    contender: a.contender,
    scenario: a.scenario,
    workerOptions: a.workerOptions,
    size: a.size,
    concurrency: a.concurrency,
    warmup: a.warmup,
    bootMs,
  };
  // Resident memory, sampled every 100 ms: peak over the whole process, and over the load phase.
  let peakRss = process.memoryUsage().rss;
  let loadPeakRss = 0;
  let inLoad = false;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peakRss) peakRss = rss;
    if (inLoad && rss > loadPeakRss) loadPeakRss = rss;
  }, 100);
  sampler.unref();
  const server = a.address ? undefined : await startServer();
  const address = a.address ?? server!.address;
  const serverPid = a.address ? a.serverPid : server!.pid;
  const tag = `${a.contender}-${a.scenario}-${process.pid}-${Date.now().toString(36)}`;
  const taskQueue = `bench-${tag}`;
  const marks: Record<string, number> = {};
  let completed = 0;
  let phase = 'start-up';
  try {
    const h = await (a.contender === 'bastion' ? bastionHarness : officialHarness)(address, taskQueue, marks, a.workerOptions);
    const one = async (id: string) => {
      const r = await within(
        a.scenario === 'greet' ? h.greet(id) : h.signalRoundTrip(id),
        a.workflowTimeoutMs,
        () => `workflow ${id} (${phase}, ${completed} completed before it)`,
      );
      const expected = a.scenario === 'greet' ? 'Hello, x!' : 1;
      if (r !== expected) throw new Error(`workflow ${id} returned ${JSON.stringify(r)}, expected ${JSON.stringify(expected)}`);
      completed++;
    };
    const latencies: number[] = [];
    let shutdownStartMs = 0;
    await within(
      h.runUntil(async () => {
        // RUNNING is reached synchronously in run() for both SDKs; wait for it anyway.
        while (h.state() !== 'RUNNING') await sleep(1);
        result.startupMs = performance.now();
        await h.connectClient();
        await sleep(a.idleMs);
        result.idleRssMiB = mib(process.memoryUsage().rss);
        inLoad = true;
        phase = 'warm-up';
        await pool(a.warmup, Math.min(10, a.concurrency), (i) => one(`${tag}-warm-${i}`));
        phase = 'measured';
        completed = 0;
        const cpu0 = process.cpuUsage();
        const serverCpu0 = cpuSeconds(serverPid);
        const t0 = performance.now();
        // The longest time without any workflow completing: a stall detector.
        let lastDone = t0;
        let longestGapMs = 0;
        await pool(a.size, a.concurrency, async (i) => {
          const s = performance.now();
          await one(`${tag}-${i}`);
          const now = performance.now();
          latencies.push(now - s);
          longestGapMs = Math.max(longestGapMs, now - lastDone);
          lastDone = now;
        });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const serverCpu1 = cpuSeconds(serverPid);
        inLoad = false;
        latencies.sort((x, y) => x - y);
        Object.assign(result, {
          throughput: a.size / seconds,
          p50: pct(latencies, 50),
          p95: pct(latencies, 95),
          p99: pct(latencies, 99),
          max: latencies[latencies.length - 1],
          longestGapMs,
          cpuSecondsPer1000: ((cpu.user + cpu.system) / 1e6) * (1000 / a.size),
          serverCpuSecondsPer1000: serverCpu0 !== undefined && serverCpu1 !== undefined ? (serverCpu1 - serverCpu0) * (1000 / a.size) : undefined,
          loadPeakRssMiB: mib(Math.max(loadPeakRss, process.memoryUsage().rss)),
          // Every workflow has closed, so a cache that evicts closed runs is empty again.
          cachedAfterLoad: h.cachedWorkflows(),
        });
        phase = 'shutdown';
        shutdownStartMs = performance.now();
      }),
      a.size * a.workflowTimeoutMs + 60_000,
      () => `the ${phase} phase`,
    );
    result.shutdownMs = performance.now() - shutdownStartMs;
    await h.close();
    Object.assign(result, { ok: true, marks });
  } catch (err) {
    Object.assign(result, { error: (err as Error)?.stack ?? String(err), phase, completedInPhase: completed, marks });
  } finally {
    clearInterval(sampler);
    await server?.stop();
  }
  result.peakRssMiB = mib(Math.max(peakRss, loadPeakRss));
  result.logged = logged;
  process.stdout.write(JSON.stringify(result) + '\n');
  // A failed run may leave pollers or handles open; the figures are out, so leave.
  process.exit(result.ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(2);
});
