/** What the benchmark scripts share: command-line flags, the main wrapper, the dev server process, a concurrency pool, percentiles, CPU time. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** Reads `--name value` flags. */
export function flags(argv: string[]): (name: string) => string | undefined {
  return (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
}

/**
 * Reads `--name N` flags as non-negative integers, `fallback` when absent.
 * @throws Error naming the flag when its value is not a non-negative integer, or when it is absent without a fallback
 */
export function intFlags(argv: string[]): (name: string, fallback?: number) => number {
  const get = flags(argv);
  return (name, fallback) => {
    const v = get(name);
    if (v === undefined && fallback !== undefined) return fallback;
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) throw new Error(`\`--${name}\` must be a non-negative integer; got ${v}.`);
    return n;
  };
}

/**
 * Runs a benchmark child's `main`; if it throws, prints `{"ok":false,"error":…}` on stdout
 * (the line bench/lib/child.js reads) and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
    process.exit(1);
  });
}

/** CPU seconds (user + system) a process has used, from /proc; undefined off Linux. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** Starts `bastion server start-dev --port 0` (plus `extraArgs`, and `nodeArgs` for node itself) as its own process. */
export async function startServer(extraArgs: string[] = [], nodeArgs: string[] = []): Promise<{ address: string; pid?: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/bastion.js'), 'server', 'start-dev', '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs `fn(0..count-1)` with at most `concurrency` in flight. */
export async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** The p-th percentile of an ascending array. */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Messages a worker logged at warn or error level; a clean run has none. */
export const logged: { warn: number; error: number; samples: string[] } = { warn: 0, error: 0, samples: [] };

/** Counts a warning or error in {@link logged} (keeps up to 8 distinct samples). */
export function note(level: 'warn' | 'error', message: string, meta?: object): void {
  logged[level]++;
  const text = `${level}: ${message}${meta ? ' ' + JSON.stringify(meta) : ''}`.slice(0, 400);
  if (logged.samples.length < 8 && !logged.samples.includes(text)) logged.samples.push(text);
}

/** A Bastion logger that drops trace, debug and info, and counts warnings and errors in {@link logged}. */
export const quietLogger = {
  trace: (): void => undefined,
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (m: string, meta?: object): void => note('warn', m, meta),
  error: (m: string, meta?: object): void => note('error', m, meta),
};
