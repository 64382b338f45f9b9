/**
 * A worker alone in its process, for the end-to-end and payload benchmarks: the driving
 * client (`e2e-client.js`) runs in another process and reads this one's CPU time and
 * resident memory from /proc, so the figures belong to the worker only.
 *
 * Usage: node dist/bench/e2e-worker.js --sdk bastion|official --address HOST:PORT --task-queue Q
 *          [--tls-dir DIR] [--codec] [--worker-options JSON]
 * Prints `{"ready":true,...}` once RUNNING, then runs until stdin closes; then prints a final
 * JSON line (`ok`, warnings and errors the worker logged) and exits.
 */
import { performance } from 'node:perf_hooks';
import { flags } from './bench-util';
import { createWorker, logged, sleep, type Sdk } from './bench-stack';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = flags(argv);
  const sdk = get('sdk') as Sdk;
  if (sdk !== 'bastion' && sdk !== 'official') throw new Error('`--sdk` must be `bastion` or `official`.');
  const address = get('address');
  const taskQueue = get('task-queue');
  if (!address || !taskQueue) throw new Error('`--address` and `--task-queue` are required.');
  const worker = await createWorker(
    sdk,
    { address, tlsDir: get('tls-dir'), codec: argv.includes('--codec') },
    taskQueue,
    JSON.parse(get('worker-options') ?? '{}'),
  );
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).on('error', resolve);
    process.stdin.resume();
  });
  await worker.runUntil(async () => {
    while (worker.state() !== 'RUNNING') await sleep(1);
    process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, startupMs: performance.now(), marks: worker.marks }) + '\n');
    await stdinClosed;
  });
  await worker.close();
  process.stdout.write(JSON.stringify({ ok: true, logged }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err), logged }) + '\n');
  process.exit(1);
});
