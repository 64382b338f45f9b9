/**
 * Memory per cached workflow: one SDK's worker (with `maxCachedWorkflows` above `--count`)
 * and its client, against a dev server of its own; starts `--count` workflows that block
 * on a signal (`waitForSignal`), waits until the worker caches them all, and reports the
 * resident memory added per workflow (after garbage collection; run with --expose-gc).
 *
 * Usage: node --expose-gc dist/bench/cache-memory.bench.js --sdk bastion|official --count N [--reuse-v8-context true|false]
 * Prints one JSON line: `{ ok, count, baseRssMiB, loadedRssMiB, perWorkflowKiB }`.
 */
import { pool, startServer, flags } from './bench-util';
import { connectClient, createWorker, sleep, type Sdk } from './bench-stack';

const settle = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(300);
  }
  return process.memoryUsage().rss / 2 ** 20;
};

async function main(): Promise<void> {
  const get = flags(process.argv.slice(2));
  const sdk = get('sdk') as Sdk;
  const count = Number(get('count') ?? 100);
  if (sdk !== 'bastion' && sdk !== 'official') throw new Error('`--sdk` must be `bastion` or `official`.');
  const server = await startServer();
  const result: Record<string, unknown> = { ok: false, sdk, count };
  try {
    const taskQueue = `bench-cache-${process.pid}`;
    const opts = { address: server.address };
    const reuse = get('reuse-v8-context');
    const worker = await createWorker(sdk, opts, taskQueue, {
      maxCachedWorkflows: count + 100,
      ...(reuse === undefined ? {} : { reuseV8Context: reuse !== 'false' }),
    });
    if (reuse !== undefined) result.reuseV8Context = reuse !== 'false';
    const client = await connectClient(sdk, opts);
    await worker.runUntil(async () => {
      // Warm-up: the first workflows load the bundle into the sandbox machinery.
      await pool(20, 10, (i) => client.execute('oneActivity', `warm-${i}`, taskQueue, ['x']));
      const base = await settle();
      const t0 = Date.now();
      await pool(count, 100, (i) => client.start('waitForSignal', `cached-${i}`, taskQueue, []));
      while (worker.cachedWorkflows() < count) {
        if (Date.now() - t0 > 300_000) throw new Error(`only ${worker.cachedWorkflows()} of ${count} workflows were cached after 300 s`);
        await sleep(100);
      }
      const loaded = await settle();
      Object.assign(result, {
        ok: true,
        baseRssMiB: base,
        loadedRssMiB: loaded,
        cached: worker.cachedWorkflows(),
        perWorkflowKiB: ((loaded - base) * 1024) / count,
      });
      // The figures are out; shutting down thousands of cached runs would only add time.
      await server.stop();
      process.stdout.write(JSON.stringify(result) + '\n');
      process.exit(0);
    });
    await client.close();
    await worker.close();
  } catch (err) {
    result.error = String((err as Error)?.stack ?? err);
  } finally {
    await server.stop();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
