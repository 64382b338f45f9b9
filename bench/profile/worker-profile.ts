/**
 * Profiles Bastion's worker at high throughput, or compares worker variants without the
 * profiler. A dev server (`bastion server start-dev`), a Bastion worker alone in its
 * process (`dist/bench/e2e-worker.js`) and a Bastion client in a third process
 * (`dist/bench/e2e-client.js`, one-activity workflows) run on loopback.
 *
 *   node dist/bench/profile/worker-profile.js [--size 3000] [--concurrency 100] [--out DIR]
 *        [--worker-options JSON]
 *     runs the worker under `node --cpu-prof` (one .cpuprofile per thread, the sandbox
 *     thread included) and writes DIR/summary.md with each thread's top functions and areas.
 *
 *   node dist/bench/profile/worker-profile.js --compare '{"reuse":{},"fresh":{"reuseV8Context":false}}'
 *        [--runs 3] [--size 3000] [--concurrency 100]
 *     no profiler: runs the variants (worker options) alternating A B A B…, and prints each
 *     run's throughput, p50/p99 and worker CPU s per 1,000 workflows, with the load average.
 *     A variant's `"$dist": "/path/to/other/dist"` runs that build's worker (before/after a change).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer } from '../bench-util';
import { summarizeProfile, summaryMarkdown } from './cpu-profile-summary';

const BENCH = path.resolve(__dirname, '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

interface RunResult {
  throughput: number;
  p50: number;
  p99: number;
  workerCpuPer1000: number;
  serverCpuPer1000?: number;
  loadavg: number[];
}

/** One worker process (optionally under --cpu-prof) driven by one client process. */
async function runOnce(
  address: string,
  serverPid: number | undefined,
  variant: Record<string, unknown>,
  size: number,
  concurrency: number,
  warmup: number,
  profDir?: string,
): Promise<RunResult> {
  const taskQueue = `profile-${process.pid}-${Date.now().toString(36)}`;
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval', '200'] : [];
  // `$dist`: run the worker from another build's dist/ (e.g. the code before a change).
  const { $dist, ...workerOptions } = variant;
  const bench = typeof $dist === 'string' ? path.join(path.resolve($dist), 'bench') : BENCH;
  const worker = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(bench, 'e2e-worker.js'),
      '--sdk',
      'bastion',
      '--address',
      address,
      '--task-queue',
      taskQueue,
      '--worker-options',
      JSON.stringify(workerOptions),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
  const ready = await new Promise<{ pid: number }>((resolve, reject) => {
    lines(worker, (line) => {
      const m = JSON.parse(line) as { ready?: boolean; pid: number; ok?: boolean; error?: string };
      if (m.ready) resolve(m);
      else if (m.ok === false) reject(new Error(m.error));
    });
    worker.on('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
  const client = spawn(
    process.execPath,
    [
      path.join(BENCH, 'e2e-client.js'),
      '--sdk',
      'bastion',
      '--address',
      address,
      '--task-queue',
      taskQueue,
      '--scenario',
      'one-activity',
      '--size',
      String(size),
      '--concurrency',
      String(concurrency),
      '--warmup',
      String(warmup),
      '--worker-pid',
      String(ready.pid),
      ...(serverPid ? ['--server-pid', String(serverPid)] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  client.stdout!.on('data', (d) => (out += d));
  await new Promise((resolve) => client.on('exit', resolve));
  worker.stdin!.end();
  await exited;
  const r = JSON.parse(out.trim().split('\n').pop()!) as RunResult & { ok: boolean; error?: string };
  if (!r.ok) throw new Error(`client failed: ${r.error}`);
  return { ...r, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
}

async function main(): Promise<void> {
  const size = Number(flag('size') ?? 3000);
  const concurrency = Number(flag('concurrency') ?? 100);
  const warmup = Number(flag('warmup') ?? 50);
  const server = await startServer();
  try {
    const compare = flag('compare');
    if (compare) {
      const variants = Object.entries(JSON.parse(compare) as Record<string, Record<string, unknown>>);
      const runs = Number(flag('runs') ?? 3);
      for (let run = 1; run <= runs; run++) {
        for (const [name, options] of run % 2 ? variants : [...variants].reverse()) {
          const r = await runOnce(server.address, server.pid, options, size, concurrency, warmup);
          process.stdout.write(
            JSON.stringify({
              variant: name,
              run,
              throughput: +r.throughput.toFixed(1),
              p50: +r.p50.toFixed(1),
              p99: +r.p99.toFixed(1),
              workerCpuPer1000: +r.workerCpuPer1000.toFixed(3),
              serverCpuPer1000: r.serverCpuPer1000 && +r.serverCpuPer1000.toFixed(3),
              loadavg: r.loadavg,
            }) + '\n',
          );
        }
      }
      return;
    }
    const out = path.resolve(flag('out') ?? path.join(os.tmpdir(), `bastion-profile-${Date.now()}`));
    fs.mkdirSync(out, { recursive: true });
    const r = await runOnce(server.address, server.pid, JSON.parse(flag('worker-options') ?? '{}'), size, concurrency, warmup, out);
    const files = fs
      .readdirSync(out)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort();
    // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile: thread 0 is the main thread.
    const parts = files.map((f) => {
      const tid = f.split('.').at(-3);
      return summaryMarkdown(summarizeProfile(path.join(out, f)), tid === '0' ? `Main thread (${f})` : `Thread ${tid} (${f})`);
    });
    const head = `Run: ${size} one-activity workflows, ${concurrency} outstanding, ${warmup} warm-up; under the profiler ${r.throughput.toFixed(1)} wf/s, p99 ${r.p99.toFixed(0)} ms, worker CPU ${r.workerCpuPer1000.toFixed(2)} s / 1,000 wf; load average ${r.loadavg.join(', ')}.\n\n`;
    fs.writeFileSync(path.join(out, 'summary.md'), head + parts.join('\n'));
    process.stdout.write(head + parts.join('\n') + `\nProfiles and summary.md in ${out}\n`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(String((err as Error)?.stack ?? err) + '\n');
  process.exit(1);
});
