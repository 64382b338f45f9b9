/**
 * The shape the in-process A/B benchmarks share: a load of calls kept at a fixed number in
 * flight for a time (or a count), summarised as throughput and latency percentiles, and
 * phases of several kinds alternated A B, B A… after one warm-up phase, so machine noise
 * shows as the spread between runs of the same kind instead of a bias towards one.
 */
import { performance } from 'node:perf_hooks';
import { pct } from './bench-util';

/** How a load went: calls completed, wall time, calls per second, latencies in ms. */
export interface LoadFigures {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Calls `call(i)` with `concurrency` in flight until `seconds` have passed (no new call
 * starts after) or `count` calls have started, whichever comes first; times each call.
 */
export async function measureLoad(
  { concurrency, seconds, count = Infinity }: { concurrency: number; seconds: number; count?: number },
  call: (i: number) => Promise<unknown>,
): Promise<LoadFigures> {
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
      while (started < count && performance.now() < deadline) {
        const i = started++;
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50: latencies.length ? pct(latencies, 50) : 0,
    p99: latencies.length ? pct(latencies, 99) : 0,
    max: latencies[latencies.length - 1] ?? 0,
  };
}

/**
 * Runs `phase(kinds[0], -1)` once to warm up (its result is dropped), then `runs` rounds of
 * one phase per kind: in `kinds` order on even rounds, reversed on odd ones. Writes
 * `[name] run i/n <kind>: <describe(result)>` to stderr after each phase.
 * @returns every measured phase's result with its kind, in the order they ran
 */
export async function alternatePhases<K extends string, R>(o: {
  name: string;
  kinds: readonly K[];
  runs: number;
  phase: (kind: K, run: number) => Promise<R>;
  describe: (result: R) => string;
}): Promise<Array<R & { kind: K }>> {
  await o.phase(o.kinds[0]!, -1);
  const width = Math.max(...o.kinds.map((k) => k.length));
  const results: Array<R & { kind: K }> = [];
  for (let r = 0; r < o.runs; r++) {
    for (const kind of r % 2 === 0 ? o.kinds : [...o.kinds].reverse()) {
      const result = { ...(await o.phase(kind, r)), kind };
      results.push(result);
      process.stderr.write(`[${o.name}] run ${r + 1}/${o.runs} ${kind.padEnd(width)}: ${o.describe(result)}\n`);
    }
  }
  return results;
}
