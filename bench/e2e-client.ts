/**
 * Drives one end-to-end scenario against a worker running in another process
 * (`e2e-worker.js`), with Bastion's client or the official client, and measures it:
 * throughput, start-to-result latency, the worker's CPU time and peak resident memory
 * during the measured phase (from /proc), this client's own CPU time, and the server's.
 *
 * Usage: node dist/bench/e2e-client.js --sdk bastion|official --address HOST:PORT --task-queue Q
 *          --scenario one-activity|ten-activities|timer-signal|echo --size N --concurrency N
 *          [--warmup N] [--payload-bytes N] [--worker-pid PID] [--server-pid PID] [--tls-dir DIR] [--codec]
 * Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, flags, intFlags, pct, pool, runMain } from './bench-util';
import { connectClient, procMemMiB, within, type BenchClient, type Sdk } from './bench-stack';

const SCENARIOS = ['one-activity', 'ten-activities', 'timer-signal', 'echo'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Runs one workflow of the scenario to its result and checks the result. */
async function runOne(client: BenchClient, scenario: Scenario, id: string, taskQueue: string, input: string): Promise<void> {
  let result: unknown;
  let expected: unknown;
  switch (scenario) {
    case 'one-activity':
      result = await client.execute('oneActivity', id, taskQueue, ['x']);
      expected = 'Hello, x!';
      break;
    case 'ten-activities':
      result = await client.execute('tenActivities', id, taskQueue, ['x']);
      expected = 'Hello, x9!';
      break;
    case 'timer-signal': {
      const h = await client.start('timerAndSignal', id, taskQueue, []);
      await h.signal('release');
      result = await h.result();
      expected = 'released';
      break;
    }
    case 'echo':
      result = await client.execute('echo', id, taskQueue, [input]);
      if (result !== input)
        throw new Error(`workflow ${id} echoed ${typeof result === 'string' ? result.length : typeof result} characters, expected ${input.length}`);
      return;
  }
  if (result !== expected) throw new Error(`workflow ${id} returned ${JSON.stringify(result)}, expected ${JSON.stringify(expected)}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = flags(argv);
  const num = intFlags(argv);
  const sdk = get('sdk') as Sdk;
  const scenario = get('scenario') as Scenario;
  if (sdk !== 'bastion' && sdk !== 'official') throw new Error('`--sdk` must be `bastion` or `official`.');
  if (!SCENARIOS.includes(scenario)) throw new Error(`\`--scenario\` must be one of ${SCENARIOS.join(', ')}; got ${scenario}.`);
  const address = get('address')!;
  const taskQueue = get('task-queue')!;
  const size = num('size');
  const concurrency = num('concurrency');
  const warmup = num('warmup', 20);
  const workerPid = get('worker-pid') === undefined ? undefined : num('worker-pid');
  const serverPid = get('server-pid') === undefined ? undefined : num('server-pid');
  // Random base64 does not compress: the payload is as large on the wire as in memory.
  const input =
    scenario === 'echo'
      ? randomBytes(Math.ceil((num('payload-bytes', 1024) * 3) / 4))
          .toString('base64')
          .slice(0, num('payload-bytes', 1024))
      : '';
  const client = await connectClient(sdk, { address, tlsDir: get('tls-dir'), codec: argv.includes('--codec') });
  const tag = `${scenario}-${process.pid}-${Date.now().toString(36)}`;
  let phase = 'warm-up';
  let completed = 0;
  const one = (id: string) =>
    within(runOne(client, scenario, id, taskQueue, input), 120_000, () => `workflow ${id} (${phase}, ${completed} completed before it)`).then(
      () => void completed++,
    );
  const result: Record<string, unknown> = { ok: false, sdk, scenario, size, concurrency, warmup, payloadBytes: input.length || undefined };
  try {
    await pool(warmup, Math.min(10, Math.max(1, concurrency)), (i) => one(`${tag}-warm-${i}`));
    phase = 'measured';
    completed = 0;
    let workerPeakRss = procMemMiB(workerPid)?.rss;
    const sampler = setInterval(() => {
      const m = procMemMiB(workerPid);
      if (m && (workerPeakRss === undefined || m.rss > workerPeakRss)) workerPeakRss = m.rss;
    }, 50);
    const cpu0 = process.cpuUsage();
    const w0 = cpuSeconds(workerPid);
    const s0 = cpuSeconds(serverPid);
    const latencies: number[] = [];
    const t0 = performance.now();
    await pool(size, concurrency, async (i) => {
      const s = performance.now();
      await one(`${tag}-${i}`);
      latencies.push(performance.now() - s);
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const w1 = cpuSeconds(workerPid);
    const s1 = cpuSeconds(serverPid);
    clearInterval(sampler);
    latencies.sort((x, y) => x - y);
    const per1000 = (s: number) => s * (1000 / size);
    Object.assign(result, {
      ok: true,
      throughput: size / seconds,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
      max: latencies[latencies.length - 1],
      workerCpuPer1000: w0 !== undefined && w1 !== undefined ? per1000(w1 - w0) : undefined,
      workerPeakRssMiB: workerPeakRss,
      clientCpuPer1000: per1000((cpu.user + cpu.system) / 1e6),
      serverCpuPer1000: s0 !== undefined && s1 !== undefined ? per1000(s1 - s0) : undefined,
    });
  } catch (err) {
    Object.assign(result, { error: String((err as Error)?.stack ?? err), phase, completedInPhase: completed });
  }
  await client.close().catch(() => undefined);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

runMain(main);
