/**
 * The fuzz harness: runs a target's generated cases one by one, each from its own
 * seeded PRNG (the run's seed and the case's index), under a deadline, and collects
 * invariant violations. A violation that a known defect (known-defects.ts) explains is
 * counted, not failed. On failure it prints the seed, the case and a short summary of
 * the input (never the input itself, which may be megabytes), and how to reproduce:
 * `BASTION_FUZZ_SEED=<seed> [BASTION_FUZZ_CASE=<i>] node dist/test/fuzz/<file>.test.js`.
 *
 * Environment: `BASTION_FUZZ_SEED` (default: random), `BASTION_FUZZ_ITERATIONS` (default:
 * each target's short-run count), `BASTION_FUZZ_CASE` (run only that case).
 */
import { Worker } from 'node:worker_threads';
import { collectGarbage } from '../helpers/gc';
import { Prng } from './prng';
import { KNOWN_DEFECTS, type KnownDefect } from './known-defects';

/** An invariant the code under test broke. */
export class Violation extends Error {
  constructor(
    readonly kind: ViolationKind,
    message: string,
  ) {
    super(message);
    this.name = 'Violation';
  }
}

export type ViolationKind = 'crash' | 'exit' | 'hang' | 'status' | 'error-type' | 'memory' | 'liveness' | 'answer';

export interface FuzzTarget<T> {
  /** Short name, as in known-defects.ts: `workflow-service`, `codec-server`, … */
  name: string;
  /** Cases in the short run (`npm test`). */
  iterations: number;
  /** A case that has not settled after this long is a hang. */
  caseDeadlineMs: number;
  generate(rng: Prng, index: number): T;
  /** One line about the input for a failure report: sizes, field names, mutation; never secrets or megabytes. */
  describe(input: T): string;
  /** Runs the case; throws a {@link Violation} when an invariant breaks; may name the outcome (`ok`, an error code) for the tally. */
  check(input: T, rng: Prng): Promise<string | void>;
}

export interface FuzzFailure {
  index: number;
  kind: ViolationKind | 'harness';
  message: string;
  summary: string;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  failures: FuzzFailure[];
  /** Known defect id -> how many cases hit it. */
  known: Map<string, number>;
  ms: number;
  /** The slowest cases, slowest first, for tuning iteration counts. */
  slowest: { index: number; ms: number; summary: string }[];
  /** Outcome -> cases, as the target's `check` named them. */
  outcomes: Map<string, number>;
}

/** The run's seed: `BASTION_FUZZ_SEED`, else a fresh random one (printed, so the run can be repeated). */
export function fuzzSeed(): number {
  const raw = process.env.BASTION_FUZZ_SEED;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`BASTION_FUZZ_SEED must be an integer 0..4294967295, got ${JSON.stringify(raw)}`);
    return n;
  }
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

/** `BASTION_FUZZ_ITERATIONS` when set, else the target's short-run count. */
export function fuzzIterations(short: number): number {
  const raw = process.env.BASTION_FUZZ_ITERATIONS;
  if (!raw) return short;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BASTION_FUZZ_ITERATIONS must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function onlyCase(): number | undefined {
  const raw = process.env.BASTION_FUZZ_CASE;
  return raw ? Number(raw) : undefined;
}

/** Heap in use after a full garbage collection (expose-gc is switched on at run time). */
export function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The known defect that explains a violation, if any. */
export function knownDefectFor(target: string, kind: string, message: string): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.target === target && (d.kinds === undefined || d.kinds.includes(kind as ViolationKind)) && d.match.test(message));
}

/** Cuts a message to a readable size for the report. */
export function clip(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}… (${oneLine.length} chars)` : oneLine;
}

function deadline<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Violation('hang', `the case did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A thread that watches the main thread: a case that blocks it (a synchronous loop, which
 * no timer on the main thread can interrupt) is reported with its seed and summary, and
 * the process is killed, so the run fails with a reproducible report instead of hanging
 * until the test runner's file timeout.
 */
const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
let current = null;
parentPort.on('message', (m) => { current = m; });
setInterval(() => {
  if (current && Date.now() - current.started > workerData.limitMs) {
    fs.writeSync(2, '\\nfuzz ' + workerData.target + ': case ' + current.index + ' blocked the main thread for over ' + workerData.limitMs + ' ms (a synchronous hang)\\n  input: ' + current.summary + '\\n  reproduce: BASTION_FUZZ_SEED=' + workerData.seed + ' BASTION_FUZZ_CASE=' + current.index + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 250);
`;

function startWatchdog(target: string, seed: number, limitMs: number): Worker {
  const w = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { target, seed, limitMs } });
  w.unref();
  return w;
}

/**
 * Runs `target` and returns what it found. Uncaught exceptions, unhandled rejections and
 * calls to `process.exit` during the run are violations of the case that was running.
 */
export async function runFuzz<T>(target: FuzzTarget<T>, seed = fuzzSeed()): Promise<FuzzReport> {
  const iterations = fuzzIterations(target.iterations);
  const only = onlyCase();
  const report: FuzzReport = { seed, cases: 0, failures: [], known: new Map(), ms: 0, slowest: [], outcomes: new Map() };
  let current = -1;
  let currentSummary = '';
  const record = (index: number, kind: FuzzFailure['kind'], message: string, summary: string): void => {
    const known = kind === 'harness' ? undefined : knownDefectFor(target.name, kind, message);
    if (known) report.known.set(known.id, (report.known.get(known.id) ?? 0) + 1);
    else report.failures.push({ index, kind, message: clip(message, 600), summary });
  };
  const onUncaught = (err: unknown): void => record(current, 'crash', `uncaught: ${(err as Error)?.stack ?? String(err)}`, currentSummary);
  const realExit = process.exit;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  process.exit = ((code?: number) => {
    throw new Violation('exit', `process.exit(${code ?? ''}) was called`);
  }) as typeof process.exit;
  const started = Date.now();
  const watchdog = startWatchdog(target.name, seed, target.caseDeadlineMs * 2 + 5000);
  try {
    for (let i = only ?? 0; i < (only !== undefined ? only + 1 : iterations); i++) {
      current = i;
      const rng = Prng.forCase(seed, i);
      let summary = '(input not generated)';
      const caseStarted = Date.now();
      try {
        const input = target.generate(rng, i);
        summary = clip(target.describe(input));
        currentSummary = summary;
        watchdog.postMessage({ index: i, started: Date.now(), summary });
        const outcome = (await deadline(target.caseDeadlineMs, target.check(input, rng))) || 'ok';
        report.outcomes.set(outcome, (report.outcomes.get(outcome) ?? 0) + 1);
      } catch (err) {
        if (err instanceof Violation) record(i, err.kind, err.message, summary);
        else record(i, 'harness', `the harness itself failed: ${(err as Error)?.stack ?? String(err)}`, summary);
      }
      report.cases++;
      const ms = Date.now() - caseStarted;
      if (report.slowest.length < 3 || ms > report.slowest[report.slowest.length - 1]!.ms) {
        report.slowest.push({ index: i, ms, summary: clip(summary, 120) });
        report.slowest.sort((a, b) => b.ms - a.ms);
        report.slowest.length = Math.min(report.slowest.length, 3);
      }
    }
  } finally {
    watchdog.postMessage(null);
    await watchdog.terminate();
    process.exit = realExit;
    // Let late errors of the last case land on its account before detaching.
    await new Promise((r) => setImmediate(r));
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  report.ms = Date.now() - started;
  return report;
}

/** One line for the log, and the failure text (empty when the run passed). */
export function formatReport(target: string, file: string, report: FuzzReport): { line: string; failure: string } {
  const known = [...report.known].map(([id, n]) => `${id}×${n}`).join(', ');
  const line = `fuzz ${target}: seed=${report.seed} cases=${report.cases} failures=${report.failures.length}${known ? ` known=[${known}]` : ''} in ${(report.ms / 1000).toFixed(1)} s`;
  const slow = report.slowest.map((s) => `case ${s.index} ${s.ms} ms: ${s.summary}`).join('\n    ');
  const outcomes = [...report.outcomes]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
  const full = process.env.BASTION_FUZZ_VERBOSE ? `${line}\n  outcomes: ${outcomes}\n  slowest:\n    ${slow}` : line;
  if (report.failures.length === 0) return { line: full, failure: '' };
  const limit = process.env.BASTION_FUZZ_VERBOSE ? 100 : 5;
  const shown = report.failures
    .slice(0, limit)
    .map(
      (f) =>
        `  case ${f.index} [${f.kind}] ${f.message}\n    input: ${f.summary}\n    reproduce: BASTION_FUZZ_SEED=${report.seed} BASTION_FUZZ_CASE=${f.index} node ${file}`,
    );
  const more = report.failures.length > limit ? `\n  … and ${report.failures.length - limit} more` : '';
  return {
    line: full,
    failure: `fuzz ${target} (seed ${report.seed}) found ${report.failures.length} violation(s):\n${shown.join('\n')}${more}\n  whole run: BASTION_FUZZ_SEED=${report.seed} node ${file}`,
  };
}

/** Checks that an error thrown by a library function is a Bastion error with a code. */
export function expectBastionError(err: unknown, where: string): void {
  const e = err as { code?: unknown; name?: string; message?: string; constructor?: { name?: string } };
  const marked = typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[Symbol.for('bastion.error')] === true;
  if (!marked || typeof e.code !== 'string' || !e.code.startsWith('ERR_')) {
    // Where in Bastion's own code it came from (the first frame outside node_modules and the tests).
    const frame = String((err as Error)?.stack ?? '')
      .split('\n')
      .find((l) => /dist\/(src|certs|codecs)\//.test(l) && !/node_modules/.test(l));
    const at = frame
      ? ` ${frame
          .trim()
          .replace(/^at /, 'at ')
          .replace(/^.*dist\//, 'at dist/')
          .replace(/\)$/, '')}`
      : '';
    throw new Violation(
      'error-type',
      `${where} threw ${e?.constructor?.name ?? typeof err}${e?.code ? ` (${String(e.code)})` : ''}: ${clip(String(e?.message ?? err), 200)}${at}`,
    );
  }
}

/**
 * Judges heap growth after GC over a run: '' when within `limitBytes` or explained by a
 * known defect (then printed), else the failure text.
 */
export function heapVerdict(target: string, growthBytes: number, limitBytes: number, seed: number, what: string): string {
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  if (growthBytes < limitBytes) return '';
  const message = `heap grew by ${mib(growthBytes)} MiB after GC (limit ${mib(limitBytes)} MiB) ${what}`;
  const known = knownDefectFor(target, 'memory', message);
  if (known) {
    console.log(`fuzz ${target}: known defect ${known.id}: ${message}`);
    return '';
  }
  return `fuzz ${target} (seed ${seed}): ${message}`;
}
