/**
 * Replay cost of one SDK's worker: replays the same recorded history `--reps` times through
 * one replayer (`Worker.runReplayHistories`, bundle built beforehand and not timed), which
 * is what a workflow task on a cache miss does: rebuild the run from its full history.
 *
 * Usage: node dist/bench/replay.bench.js --sdk bastion|official --history FILE.bin --reps N
 * Prints one JSON line: `{ ok, events, reps, perHistoryMs, perEventUs }`.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { flags } from './bench-util';
import { BENCH_WORKFLOWS } from './bench-stack';

async function main(): Promise<void> {
  const get = flags(process.argv.slice(2));
  const sdk = get('sdk');
  const file = get('history');
  const reps = Number(get('reps') ?? 10);
  if (!file || (sdk !== 'bastion' && sdk !== 'official')) throw new Error('`--sdk bastion|official` and `--history FILE` are required.');
  const { temporal } = await import('@temporalio/proto');
  const history = temporal.api.history.v1.History.decode(fs.readFileSync(file));
  const events = history.events.length;
  let seconds: number;
  if (sdk === 'bastion') {
    const { Worker, bundleWorkflowCode } = await import('../src/worker');
    const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS });
    const opts = { workflowBundle: { code } };
    await Worker.runReplayHistory(opts, history); // warm-up (and a check that it replays)
    const t0 = performance.now();
    for await (const r of Worker.runReplayHistories(
      opts,
      Array.from({ length: reps }, () => history),
    ))
      if (r.error) throw r.error;
    seconds = (performance.now() - t0) / 1000;
  } else {
    const { Worker, Runtime, DefaultLogger, bundleWorkflowCode } = await import('@temporalio/worker');
    const logger = new DefaultLogger('ERROR');
    Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS, logger });
    await Worker.runReplayHistory({ workflowBundle }, history, 'warm-up');
    const t0 = performance.now();
    for await (const r of Worker.runReplayHistories(
      { workflowBundle },
      Array.from({ length: reps }, (_, i) => ({ workflowId: `replay-${i}`, history })),
    ))
      if (r.error) throw r.error;
    seconds = (performance.now() - t0) / 1000;
  }
  process.stdout.write(
    JSON.stringify({ ok: true, sdk, events, reps, perHistoryMs: (seconds * 1000) / reps, perEventUs: (seconds * 1e6) / (reps * events) }) + '\n',
  );
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
