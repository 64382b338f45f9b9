#!/usr/bin/env node
'use strict';
/**
 * Runs the benchmarks and regenerates bench/RESULTS.md.
 *
 * Usage: npm run bench [-- --runs N] [-- --only dev-server|worker|codec] [-- --size N] [-- --quick]
 *   --runs N    runs per figure (default 3); each cell is median (min – max)
 *   --only X    run one section; the other sections of RESULTS.md are kept as they were
 *   --size N    workflows per scenario (dev server end to end, and each worker scenario)
 *   --quick     small dev-server sizes (300 starts, 60 workflows)
 *   --worker-options JSON  extra Worker.create options for both workers, e.g. '{"maxCachedWorkflows":0}'
 *
 * Every measurement runs in a fresh process. The dev server section alternates the
 * memory and SQLite stores; the worker section alternates Bastion and the official
 * worker (A B A B) against one dev server process, so machine drift affects both alike.
 * Progress goes to stderr, one line per run.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench/RESULTS.md');
const DEV_SERVER_BENCH = path.join(ROOT, 'dist/bench/dev-server.bench.js');
const WORKER_BENCH = path.join(ROOT, 'dist/bench/worker.bench.js');
const CODEC_BENCH = path.join(ROOT, 'dist/bench/codec.bench.js');
const CONTENDERS = ['bastion', 'official'];
const SCENARIOS = {
  greet: { size: 300, title: 'One activity (`greet`)', what: 'start `greet("x")` (one activity) and await its result' },
  signal: { size: 200, title: 'Signal and wake-up (`accumulate`)', what: 'start `accumulate(0)`, signal `add` 1, signal `done`, await the result (1)' },
};
/** The issue's targets, as ratios Bastion / official (higher is better for throughput). */
const TARGETS = { throughput: '≥ 1.0×' };
/** A child that has not finished in this long is killed and recorded as stalled. */
const CHILD_TIMEOUT_MS = 5 * 60_000;

function parseArgs(argv) {
  const get = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = get('runs') === undefined ? 3 : Number(get('runs'));
  const size = get('size') === undefined ? undefined : Number(get('size'));
  const only = get('only');
  if (!Number.isInteger(runs) || runs < 1) fail(`\`--runs\` must be a positive integer; got ${get('runs')}.`);
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) fail(`\`--size\` must be a positive integer; got ${get('size')}.`);
  if (only !== undefined && !['dev-server', 'worker', 'codec'].includes(only)) fail(`\`--only\` must be \`dev-server\`, \`worker\` or \`codec\`; got ${only}.`);
  const workerOptions = get('worker-options');
  if (workerOptions !== undefined) {
    try {
      const parsed = JSON.parse(workerOptions);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    } catch (err) {
      fail(`\`--worker-options\` must be a JSON object such as '{"maxCachedWorkflows":0}'; got ${workerOptions} (${err.message}).`);
    }
  }
  return { runs, size, only, workerOptions, quick: argv.includes('--quick') };
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
const started = Date.now();
const loadAtStart = os.loadavg();

/** The newest modification time under dir (ms), to notice a rebuild of dist/ during a run. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}
const DIST_SRC = path.join(ROOT, 'dist/src');
const distAtStart = fs.existsSync(DIST_SRC) ? newestMtime(DIST_SRC) : 0;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const progress = (line) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);

/** Runs `node file args`; resolves with its exit code, stdout, the tail of its stderr, and whether it timed out. */
function runChild(file, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last JSON line of a child's stdout, or undefined. */
function lastJson(stdout) {
  const line = stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

async function startServer() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/bastion.js'), 'server', 'start-dev', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`dev server exited with ${code}`)));
  });
  return {
    address,
    pid: child.pid,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

// ---------- figures ----------

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], med: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const fmt = (xs, digits = 0) => {
  if (xs.length === 0 || xs.some((x) => typeof x !== 'number')) return 'n/a';
  const { min, med, max } = stat(xs);
  return xs.length === 1 ? med.toFixed(digits) : `${med.toFixed(digits)} (${min.toFixed(digits)} – ${max.toFixed(digits)})`;
};
const median = (xs) => (xs.length && xs.every((x) => typeof x === 'number') ? stat(xs).med : undefined);
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const today = () => new Date().toISOString().slice(0, 10);

// ---------- dev server section ----------

async function devServerSection() {
  const env = { ...(opts.quick ? { BENCH_STARTS: '300', BENCH_WORKFLOWS: '60' } : {}), ...(opts.size ? { BENCH_WORKFLOWS: String(opts.size) } : {}) };
  const results = { memory: [], sqlite: [] };
  for (let r = 0; r < opts.runs; r++) {
    for (const store of ['memory', 'sqlite']) {
      progress(`dev server (${store}) run ${r + 1}/${opts.runs}`);
      const res = await runChild(DEV_SERVER_BENCH, [], { ...env, BENCH_DB: store === 'sqlite' ? '1' : '0' });
      const json = lastJson(res.stdout);
      if (res.code !== 0 || !json) {
        process.stderr.write(res.stderr);
        throw new Error(`dev-server.bench (${store}) failed: exit ${res.code}${res.timedOut ? ' (timed out)' : ''}`);
      }
      results[store].push(json);
    }
  }
  const first = results.memory[0];
  const rows = ['memory', 'sqlite'].map((store) => {
    const rs = results[store];
    return `| ${store} | ${fmt(rs.map((x) => x.startsPerSec))} | ${fmt(rs.map((x) => x.e2ePerSec), 1)} | ${fmt(rs.map((x) => x.p50), 1)} | ${fmt(rs.map((x) => x.p95), 1)} | ${fmt(rs.map((x) => x.p99), 1)} | ${fmt(rs.map((x) => x.serverCpuSecondsPer1000), 2)} |`;
  });
  return `## Dev server with the official SDK (@temporalio/client and @temporalio/worker 1.24)

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, memory and SQLite interleaved; each cell is median (min – max).

The dev server runs as its own process (\`bastion server start-dev\`) on loopback; the
client and the official worker share a second process. Starts: ${first.starts}
StartWorkflowExecution calls, 64 in flight, no worker. End to end: ${first.workflows}
workflows of one activity each (\`greet\`), ${first.concurrency} outstanding, after a warm-up
of 20; latency is start-to-result as the client sees it.

| store | starts/s | end-to-end workflows/s | p50 ms | p95 ms | p99 ms | server CPU s / 1,000 workflows |
|---|---|---|---|---|---|---|
${rows.join('\n')}

The last column is the dev server process's own CPU time (user + system, from /proc)
during the end-to-end phase, per 1,000 workflows; multiplied by the throughput it says how
much of a core the server used. A CPU profile of the server over one whole run (1,000
starts, then 600 workflows; \`BENCH_SERVER_PROF=DIR\`) was idle in 63% of its samples;
its largest own cost was gunzipping requests, which the official worker compresses.

For scale: ../shared/MEASUREMENTS.md puts the grpc-js floor of this machine at about 700
one-activity workflows/s (8 calls each at ~5,700 calls/s).
`;
}

// ---------- worker section ----------

async function workerSection() {
  const server = await startServer();
  const results = {}; // scenario -> contender -> [json]
  const failures = [];
  try {
    for (let r = 0; r < opts.runs; r++) {
      for (const scenario of Object.keys(SCENARIOS)) {
        for (const contender of CONTENDERS) {
          const size = opts.size ?? SCENARIOS[scenario].size;
          progress(`worker ${scenario} ${contender} run ${r + 1}/${opts.runs} (${size} workflows)`);
          const res = await runChild(WORKER_BENCH, ['--contender', contender, '--scenario', scenario, '--size', String(size), '--address', server.address, '--server-pid', String(server.pid), ...(opts.workerOptions ? ['--worker-options', opts.workerOptions] : [])]);
          const json = lastJson(res.stdout);
          if (res.code === 0 && json?.ok) {
            ((results[scenario] ??= {})[contender] ??= []).push(json);
            const warned = json.logged && json.logged.warn + json.logged.error > 0 ? `; logged ${json.logged.warn} warnings, ${json.logged.error} errors` : '';
            progress(`  ${json.throughput.toFixed(1)} wf/s, p99 ${json.p99.toFixed(0)} ms, max ${json.max.toFixed(0)} ms, longest gap between completions ${json.longestGapMs.toFixed(0)} ms, peak RSS ${json.peakRssMiB.toFixed(0)} MiB${warned}`);
            if (warned) failures.push({ contender, scenario, run: r + 1, kind: 'logged', text: `${json.logged.warn} warnings, ${json.logged.error} errors; the first distinct ones:\n${json.logged.samples.join('\n')}` });
          } else {
            const why = res.timedOut ? `killed after ${CHILD_TIMEOUT_MS / 1000} s (stalled)` : `exit ${res.code ?? res.signal}`;
            const text = json?.error
              ? `${why}; phase ${json.phase}, ${json.completedInPhase} workflows completed in that phase\n${json.error}${json.logged?.samples?.length ? `\nworker log (${json.logged.warn} warnings, ${json.logged.error} errors; the first distinct ones):\n${json.logged.samples.join('\n')}` : ''}`
              : `${why}\n${res.stderr.trim().split('\n').slice(-15).join('\n')}`;
            failures.push({ contender, scenario, run: r + 1, kind: 'failed', text });
            progress(`  FAILED: ${text.split('\n')[0]}`);
          }
        }
      }
    }
  } finally {
    await server.stop();
  }
  return renderWorker(results, failures);
}

function renderWorker(results, failures) {
  const all = (contender) => Object.values(results).flatMap((byC) => byC[contender] ?? []);
  const any = all('bastion')[0] ?? all('official')[0];
  const concurrency = any ? any.concurrency : 50;
  const warmup = any ? any.warmup : 20;
  let tables = '';
  for (const [scenario, meta] of Object.entries(SCENARIOS)) {
    const by = results[scenario] ?? {};
    const runsOf = (c) => by[c] ?? [];
    const size = runsOf('bastion')[0]?.size ?? runsOf('official')[0]?.size ?? opts.size ?? meta.size;
    const failed = (c) => failures.filter((f) => f.kind === 'failed' && f.scenario === scenario && f.contender === c).length;
    const rows = CONTENDERS.map((c) => {
      const rs = runsOf(c);
      const note = failed(c) ? ` (${failed(c)} of ${rs.length + failed(c)} runs failed)` : '';
      if (rs.length === 0) return `| ${c}${note} | failed | | | | | |`;
      return `| ${c}${note} | ${fmt(rs.map((x) => x.throughput), 1)} | ${fmt(rs.map((x) => x.p50), 0)} | ${fmt(rs.map((x) => x.p99), 0)} | ${fmt(rs.map((x) => x.peakRssMiB), 0)} | ${fmt(rs.map((x) => x.cpuSecondsPer1000), 2)} | ${fmt(rs.map((x) => x.serverCpuSecondsPer1000), 2)} |`;
    });
    const m = (c, k) => median(runsOf(c).map((x) => x[k]));
    const gaps = CONTENDERS.map((c) => `${c} ${runsOf(c).length ? `${fmt(runsOf(c).map((x) => x.longestGapMs), 0)} ms` : 'n/a'}`).join(', ');
    const ratioRow = (label, k, target = '—') => `| ${label} | ${ratio(m('bastion', k), m('official', k))} | ${target} |`;
    tables += `
### ${meta.title}

${size} workflows, ${concurrency} outstanding, after ${warmup} warm-up workflows: ${meta.what}.

| contender | workflows/s | p50 ms | p99 ms | peak RSS MiB | CPU s / 1,000 wf | server CPU s / 1,000 wf |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Longest time without any workflow completing (a stall shows here first): ${gaps}.

| Bastion / official (medians) | achieved | target |
|---|---|---|
${ratioRow('throughput', 'throughput', TARGETS.throughput)}
${ratioRow('p99 latency', 'p99')}
${ratioRow('CPU per workflow', 'cpuSecondsPer1000')}
${ratioRow('peak RSS', 'peakRssMiB')}
`;
  }
  const sRows = CONTENDERS.map((c) => {
    const rs = all(c);
    if (rs.length === 0) return `| ${c} | failed | | | | |`;
    return `| ${c} | ${fmt(rs.map((x) => x.startupMs / 1000), 2)} | ${fmt(rs.map((x) => x.marks.sdkLoadedMs / 1000), 2)} | ${fmt(rs.map((x) => (x.marks.bundledMs - x.marks.connectedMs) / 1000), 2)} | ${fmt(rs.map((x) => x.idleRssMiB), 0)} | ${rs.length} |`;
  });
  const sm = (c, f) => median(all(c).map(f));
  const failText = failures.length === 0 ? 'None: every run completed every workflow, and neither worker logged a warning or an error.\n' : failures.map((f) => `- **${f.contender}, ${f.scenario}, run ${f.run}** (${f.kind === 'failed' ? 'run failed' : 'worker logged warnings or errors'}):\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`).join('\n');
  return `## Bastion worker vs official worker

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, Bastion and the official worker alternating
(A B A B); each cell is median (min – max) over the runs that completed.

One dev server process (\`bastion server start-dev\`, in memory) serves every run. Each run
is a fresh child process (\`dist/bench/worker.bench.js\`) holding one contender's worker and
the same SDK's client: Bastion's \`Worker\` with Bastion's \`Client\`, or
\`@temporalio/worker\` 1.24 with \`@temporalio/client\` 1.24. Both run the same workflow file
(\`dist/test/fixtures/workflows.js\`, bundled by each SDK's \`bundleWorkflowCode\`) and the
same activity, with ${opts.workerOptions ? `these worker options on both sides: \`${opts.workerOptions}\`` : 'default worker options'}. Latency is start-to-result as the client sees
it. Peak RSS is the child's resident memory sampled every 100 ms; CPU is the child's
\`process.cpuUsage()\` over the measured phase, so it includes the client's share (the same
kind of work on both sides). The server column is the dev server's CPU over the same phase:
it shows how much work each worker's calls cost the server.
${tables}
### Start-up and idle memory

Start-up is the time from process start (\`performance.timeOrigin\`) until the worker is
RUNNING: Node boot, loading the SDK, connecting, bundling the workflows, \`Worker.create\`.
Idle RSS is read 2 s after RUNNING, before any workflow.

| contender | start-up s | SDK loaded at s | bundling s | idle RSS MiB | runs |
|---|---|---|---|---|---|
${sRows.join('\n')}

Bastion / official (medians): start-up ${ratio(sm('bastion', (x) => x.startupMs), sm('official', (x) => x.startupMs))}, idle RSS ${ratio(sm('bastion', (x) => x.idleRssMiB), sm('official', (x) => x.idleRssMiB))}.

### Failures and warnings

${failText.trimEnd()}
`;
}

// ---------- codec section ----------

const CODEC_CONTENDERS = [
  ['bastion', 'Bastion `EncryptionCodec` (XChaCha20-Poly1305, engine `auto`)'],
  ['bastion-libsodium', 'Bastion `EncryptionCodec`, `engine: \'libsodium\'`'],
  ['webcrypto-aes-gcm', 'AES-256-GCM via WebCrypto (official sample)'],
  ['compression-gzip', 'Bastion `CompressionCodec` (gzip, compressible JSON)'],
];
const sizeName = (n) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`);

async function codecSection() {
  const runs = [];
  for (let r = 0; r < opts.runs; r++) {
    progress(`codec run ${r + 1}/${opts.runs}`);
    const res = await runChild(CODEC_BENCH, []);
    const json = lastJson(res.stdout);
    if (res.code !== 0 || !json?.ok) {
      process.stderr.write(res.stderr);
      throw new Error(`codec.bench failed: exit ${res.code}${json?.error ? `\n${json.error}` : ''}`);
    }
    runs.push(json);
  }
  const sizes = runs[0].sizes;
  const cell = (size, name, k) => fmt(runs.map((x) => x.results[String(size)][name][k]));
  const rows = [];
  for (const size of sizes) {
    for (const [name, label] of CODEC_CONTENDERS) {
      const ratio = runs[0].results[String(size)][name].wireRatio;
      rows.push(`| ${sizeName(size)} | ${label} | ${cell(size, name, 'encodeMBps')} | ${cell(size, name, 'decodeMBps')} | ${ratio.toFixed(3)} |`);
    }
  }
  const med = (size, name, k) => median(runs.map((x) => x.results[String(size)][name][k]));
  const verdicts = sizes.map((size) => {
    const e = med(size, 'bastion', 'encodeMBps') / med(size, 'webcrypto-aes-gcm', 'encodeMBps');
    const d = med(size, 'bastion', 'decodeMBps') / med(size, 'webcrypto-aes-gcm', 'decodeMBps');
    const target = size <= 64 * 1024 ? (e >= 1 && d >= 1 ? 'met' : 'not met') : '—';
    return `| ${sizeName(size)} | ${e.toFixed(2)}× | ${d.toFixed(2)}× | ${size <= 64 * 1024 ? '≥ 1.0×' : '—'} | ${target} |`;
  });
  return `## Payload codecs (encryption, compression)

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, each a fresh process (\`dist/bench/codec.bench.js\`); each cell is median (min – max).

MB/s of payload \`data\` through one \`encode\` or \`decode\` call holding one payload (as the
SDKs encode one argument or result), timed for at least ${runs[0].minMs} ms per figure after a warm-up;
contenders interleaved per size. Cipher inputs are random bytes (\`binary/plain\`); the
compression input is order-like JSON rows (\`json/plain\`). The AES-GCM contender is the
official encryption sample's codec: serialize the Payload, random 12-byte IV,
\`crypto.subtle.encrypt\`, IV prepended. "wire ÷ data" is the encoded payload's size over
the input's.

| size | codec | encode MB/s | decode MB/s | wire ÷ data |
|---|---|---|---|---|
${rows.join('\n')}

| Bastion \`EncryptionCodec\` / WebCrypto AES-256-GCM (medians) | encode | decode | target | |
|---|---|---|---|---|
${verdicts.join('\n')}

Why: WebCrypto runs every call as a job on the libuv thread pool and resolves a promise
from there, which costs tens of microseconds per call and dominates at 1 KiB; Bastion's
codec encrypts synchronously inside its async \`encode\`. At 1 KiB \`auto\` uses libsodium
(WebAssembly), whose whole call is cheaper than setting up an OpenSSL cipher context; from
8 KiB on it derives the XChaCha20 subkey (HChaCha20) and runs Node's OpenSSL
ChaCha20-Poly1305, which is vectorised native code and produces the same bytes as
libsodium (tested). libsodium alone (second row) is WebAssembly without SIMD and falls behind AES-NI-backed AES-GCM
from 64 KiB. At 1 KiB the compression input serializes to just under the default
\`thresholdBytes\` (1,024), so it passes through unchanged (wire ÷ data 1.000). The machine has 2 cores and other work ran alongside (load averages above),
so expect ±30% between runs.
`;
}

// ---------- RESULTS.md ----------

/** Splits an existing RESULTS.md into its `## ` sections, keyed by heading. */
function previousSections() {
  if (!fs.existsSync(OUT)) return {};
  const text = fs.readFileSync(OUT, 'utf8');
  const out = {};
  // Files from before sections carried their own date kept it in the header only.
  const date = (text.match(/^Generated by .* on (\d{4}-\d\d-\d\d)/m) ?? [])[1];
  const runsLine = (text.match(/^- Runs: (.*)$/m) ?? [])[1];
  for (const part of text.split(/^(?=## )/m).slice(1)) {
    const [heading, ...body] = part.trimEnd().split('\n');
    const dated = /^Measured on /m.test(part) || !date ? body : ['', `Measured on ${date}${runsLine ? `; ${runsLine.replace(/^\d+ per figure/, (m) => m.replace(' per figure', ' runs per figure'))}` : ''}`, ...body];
    out[heading.trim()] = [heading, ...dated].join('\n') + '\n';
  }
  return out;
}

async function main() {
  const wants = (section) => opts.only === undefined || opts.only === section;
  for (const [file, needed] of [[DEV_SERVER_BENCH, wants('dev-server')], [WORKER_BENCH, wants('worker')], [CODEC_BENCH, wants('codec')]]) {
    if (needed && !fs.existsSync(file)) fail(`${path.relative(ROOT, file)} is missing: run \`npm run build\` first`);
  }
  const previous = previousSections();
  const keep = (prefix) => {
    const k = Object.keys(previous).find((h) => h.startsWith(prefix));
    return k ? previous[k] : `${prefix}\n\nNot measured yet: run \`npm run bench\`.\n`;
  };
  const devServer = wants('dev-server') ? await devServerSection() : keep('## Dev server with the official SDK');
  const worker = wants('worker') ? await workerSection() : keep('## Bastion worker vs official worker');
  const codec = wants('codec') ? await codecSection() : keep('## Payload codecs');
  const cpu = os.cpus();
  const load = (l) => l.map((x) => x.toFixed(1)).join(', ');
  const distAtEnd = fs.existsSync(DIST_SRC) ? newestMtime(DIST_SRC) : 0;
  const rebuilt = distAtEnd > distAtStart
    ? `\n- **dist/src was rebuilt during this run** (last at ${new Date(distAtEnd).toISOString().slice(11, 19)} UTC): runs that started before then used the older build.`
    : '';
  const md = `# Benchmark results

Generated by \`npm run bench\`${process.argv.length > 2 ? ` (\`${process.argv.slice(2).join(' ')}\`)` : ''} on ${today()}.

- Machine: ${os.platform()} ${os.arch()}, ${cpu.length} × ${cpu[0] ? cpu[0].model.trim() : 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}
- Load average (1, 5, 15 min) at start: ${load(loadAtStart)}; at end: ${load(os.loadavg())}. Above ~1 the machine had other work; expect wider ranges.${rebuilt}
- How to read and reproduce these figures: docs/performance.md.

${devServer}
${worker}
${codec}`;
  fs.writeFileSync(OUT, md);
  process.stdout.write(md);
  progress('done');
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
