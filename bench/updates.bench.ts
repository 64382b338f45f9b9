/**
 * Workflow updates against one workflow, driven by Bastion's client, executed by a worker
 * running in another process (`e2e-worker.js`, Bastion's or the official one). One
 * `updateCounter` workflow per run; for each update (`increment`, whose handler adds to a
 * counter, and `incrementAfterActivity`, whose handler first awaits one activity) it
 * measures the round trip of `executeUpdate` (wait stage COMPLETED) one at a time, then
 * updates per second with `--concurrency` in flight, and the worker's CPU time per update
 * (from /proc). Each part stops after its count or `--seconds`, whichever comes first.
 * At the end the workflow is released and its counter checked against the updates sent.
 *
 * Usage: node dist/bench/updates.bench.js --address HOST:PORT --task-queue Q
 *          [--sequential 300] [--size 1000] [--concurrency 16] [--warmup 30] [--seconds 60] [--worker-pid PID]
 * Prints one JSON line.
 */
import { Client } from '../src/client';
import { Connection } from '../src/connection';
import { cpuSeconds, flags, intFlags, pool, runMain } from './bench-util';
import { within } from './bench-stack';
import { measureLoad, type LoadFigures } from './load-phases';

/** The two updates of the `updateCounter` bench workflow. */
const UPDATES = ['increment', 'incrementAfterActivity'] as const;
type UpdateName = (typeof UPDATES)[number];

/** One part's figures: updates as `count`, updates/s as `perSecond`, round trips in ms, the worker's CPU per update in ms. */
interface PartResult extends LoadFigures {
  workerCpuMsPerUpdate?: number;
  /** History events the part added per update: 5 when each update has a workflow task of its own, fewer when tasks carry several. */
  eventsPerUpdate: number;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = flags(argv);
  const num = intFlags(argv);
  const address = get('address');
  const taskQueue = get('task-queue');
  if (!address || !taskQueue) throw new Error('`--address` and `--task-queue` are required.');
  const sequential = num('sequential', 300);
  const size = num('size', 1000);
  const concurrency = num('concurrency', 16);
  const warmup = num('warmup', 30);
  const capSeconds = num('seconds', 60);
  const workerPid = get('worker-pid') === undefined ? undefined : num('worker-pid');

  const connection = await Connection.connect({ address, tls: false });
  const client = new Client({ connection });
  const workflowId = `updates-${process.pid}-${Date.now().toString(36)}`;
  const handle = await client.workflow.start('updateCounter', { taskQueue, workflowId, args: [] });
  let sent = 0;
  let where = 'warm-up';
  const update = async (name: UpdateName): Promise<number> => {
    const n = await within(handle.executeUpdate<number, [number]>(name, { args: [1] }), 60_000, () => `update ${name} (${where}, ${sent} completed)`);
    sent++;
    return n;
  };

  /** Runs `count` updates, `inFlight` at a time, until the count or the time cap; times each. */
  async function part(name: UpdateName, count: number, inFlight: number): Promise<PartResult> {
    const events0 = (await handle.describe()).historyLength;
    const w0 = cpuSeconds(workerPid);
    const load = await measureLoad({ concurrency: inFlight, seconds: capSeconds, count }, async () => {
      const before = sent;
      const value = await update(name);
      // One at a time, each update sees every earlier one: the counter is exactly the number sent.
      if (inFlight === 1 && value !== before + 1) throw new Error(`update ${name} returned ${value}, expected ${before + 1}`);
    });
    const w1 = cpuSeconds(workerPid);
    const events1 = (await handle.describe()).historyLength;
    const updates = Math.max(1, load.count);
    return {
      ...load,
      workerCpuMsPerUpdate: w0 !== undefined && w1 !== undefined ? ((w1 - w0) * 1000) / updates : undefined,
      eventsPerUpdate: (events1 - events0) / updates,
    };
  }

  const result: Record<string, unknown> = { ok: false, sequential, size, concurrency, warmup, capSeconds };
  try {
    for (const name of UPDATES) await pool(warmup, 1, () => update(name));
    const parts: Record<string, { sequential: PartResult; concurrent: PartResult }> = {};
    for (const name of UPDATES) {
      where = `${name} one at a time`;
      const seq = await part(name, sequential, 1);
      where = `${name} ${concurrency} in flight`;
      parts[name] = { sequential: seq, concurrent: await part(name, size, concurrency) };
    }
    where = 'release';
    await handle.signal('release');
    const final = await within(handle.result(), 60_000, () => 'the workflow result');
    if (final !== sent) throw new Error(`the workflow counted ${String(final)} updates, the client completed ${sent}`);
    Object.assign(result, { ok: true, updates: sent, parts });
  } catch (err) {
    Object.assign(result, { error: String((err as Error)?.stack ?? err), phase: where, completedInPhase: sent });
  }
  await connection.close().catch(() => undefined);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

runMain(main);
