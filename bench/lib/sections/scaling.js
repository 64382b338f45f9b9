'use strict';
/**
 * How cost grows with the work: replay cost vs history length, memory per cached workflow
 * vs the number cached, throughput vs payload size. Tables here, one SVG chart per curve
 * in bench/.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { bench, runChild, startServer, failureText, ROOT } = require('../child');
const { fmt, median, today, sizeName } = require('../stats');
const { lineChart } = require('../svg-chart');
const { runCell } = require('./e2e-runner');

const HEADING = '## Scaling: history length, cached workflows, payload size';
const SDKS = ['bastion', 'official'];
const plan = (opts) => ({
  events: opts.quick ? [10, 100, 1000] : [10, 100, 1000, 5000],
  cached: opts.quick ? [100, 500] : [100, 1000, 5000],
  payloads: opts.quick
    ? [
        [1024, 40],
        [65536, 20],
        [1048576, 6],
      ]
    : [
        [1024, 200],
        [16384, 200],
        [262144, 60],
        [1048576, 30],
      ],
  /** Replays per figure: enough events to time, within limits. */
  reps: (events) => Math.max(opts.quick ? 2 : 3, Math.min(opts.quick ? 50 : 200, Math.ceil((opts.quick ? 5000 : 20000) / events))),
});
const CHARTS = {
  replay: 'bench/scaling-replay.svg',
  cache: 'bench/scaling-cache-memory.svg',
  payload: 'bench/scaling-payload.svg',
};

module.exports = {
  name: 'scaling',
  heading: HEADING,
  plannedRuns: (opts) => {
    const p = plan(opts);
    return 1 + opts.runs * SDKS.length * (p.events.length + p.cached.length + p.payloads.length);
  },
  async run({ opts, progress }) {
    const p = plan(opts);
    const failures = [];
    const out = { replay: {}, cache: {}, payload: {} }; // kind -> key -> sdk -> [json]
    const push = (kind, key, sdk, json) => ((out[kind][key] ??= {})[sdk] ??= []).push(json);
    // Histories, recorded once for all runs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bench-histories-'));
    const gen = await runChild(bench('history-gen.js'), ['--out', dir, '--events', p.events.join(',')]);
    if (gen.code !== 0 || !gen.json?.ok) throw new Error(`history-gen failed: ${failureText(gen)}`);
    progress.step(
      'scaling record histories',
      Object.values(gen.json.files)
        .map((f) => `${f.events} events`)
        .join(', '),
    );
    const server = await startServer();
    try {
      for (let r = 0; r < opts.runs; r++) {
        for (const target of p.events) {
          const file = gen.json.files[String(target)];
          for (const sdk of SDKS) {
            const label = `scaling replay ${file.events} events ${sdk} run ${r + 1}`;
            const res = await runChild(bench('replay.bench.js'), ['--sdk', sdk, '--history', file.path, '--reps', String(p.reps(file.events))]);
            if (res.code === 0 && res.json?.ok) {
              push('replay', target, sdk, res.json);
              progress.step(label, `${res.json.perHistoryMs.toFixed(1)} ms per history, ${res.json.perEventUs.toFixed(0)} µs per event`);
            } else {
              failures.push({ label, text: failureText(res) });
              progress.step(label, 'FAILED');
            }
          }
        }
        for (const count of p.cached) {
          for (const sdk of SDKS) {
            const label = `scaling cache ${count} workflows ${sdk} run ${r + 1}`;
            const res = await runChild(bench('cache-memory.bench.js'), ['--sdk', sdk, '--count', String(count)], { nodeArgs: ['--expose-gc'] });
            if (res.code === 0 && res.json?.ok) {
              push('cache', count, sdk, res.json);
              progress.step(label, `${res.json.perWorkflowKiB.toFixed(0)} KiB per cached workflow`);
            } else {
              failures.push({ label, text: failureText(res) });
              progress.step(label, 'FAILED');
            }
          }
        }
        for (const [bytes, size] of p.payloads) {
          for (const sdk of SDKS) {
            const label = `scaling payload ${sizeName(bytes)} ${sdk} run ${r + 1}`;
            const res = await runCell(
              server,
              { worker: sdk, client: sdk, scenario: 'echo', payloadBytes: bytes, size, concurrency: 10, warmup: 5 },
              opts.workerOptions,
            );
            if (res.ok) {
              push('payload', bytes, sdk, res.json);
              progress.step(label, `${res.json.throughput.toFixed(1)} wf/s, ${((res.json.throughput * bytes) / 2 ** 20).toFixed(1)} MiB/s of input`);
            } else {
              failures.push({ label, text: res.text });
              progress.step(label, 'FAILED');
            }
          }
        }
      }
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return render(opts, p, gen.json.files, out, failures);
  },
};

function render(opts, p, files, out, failures) {
  const med = (kind, key, sdk, k) => median((out[kind][key]?.[sdk] ?? []).map((x) => x[k]));
  const cell = (kind, key, sdk, k, d) =>
    fmt(
      (out[kind][key]?.[sdk] ?? []).map((x) => x[k]),
      d,
    );
  const series = (kind, keys, k, xOf = (x) => x) =>
    SDKS.map((sdk) => ({ name: sdk === 'bastion' ? 'Bastion worker' : 'official worker', points: keys.map((key) => [xOf(key), med(kind, key, sdk, k)]) }));
  const write = (file, chart) => fs.writeFileSync(path.join(ROOT, file), lineChart(chart));
  write(CHARTS.replay, {
    title: 'Replay: time per event vs history length',
    xLabel: 'history events',
    yLabel: 'µs per event',
    logX: true,
    series: series('replay', p.events, 'perEventUs', (t) => files[String(t)].events),
  });
  write(CHARTS.cache, {
    title: 'Memory per cached workflow',
    xLabel: 'cached workflows',
    yLabel: 'KiB per workflow',
    logX: true,
    series: series('cache', p.cached, 'perWorkflowKiB'),
  });
  write(CHARTS.payload, {
    title: 'Echo through one activity: throughput vs payload size',
    xLabel: 'payload size',
    yLabel: 'workflows/s',
    logX: true,
    logY: true,
    xTickLabel: sizeName,
    series: series(
      'payload',
      p.payloads.map(([b]) => b),
      'throughput',
    ),
  });
  const replayRows = p.events.map(
    (t) =>
      `| ${files[String(t)].events} | ${SDKS.map((s) => `${cell('replay', t, s, 'perHistoryMs', 1)} | ${cell('replay', t, s, 'perEventUs', 0)}`).join(' | ')} |`,
  );
  const cacheRows = p.cached.map(
    (c) => `| ${c} | ${SDKS.map((s) => `${cell('cache', c, s, 'perWorkflowKiB', 0)} | ${cell('cache', c, s, 'loadedRssMiB', 0)}`).join(' | ')} |`,
  );
  const payloadRows = p.payloads.map(
    ([b, n]) =>
      `| ${sizeName(b)} | ${n} | ${SDKS.map((s) => `${cell('payload', b, s, 'throughput', 1)} | ${cell('payload', b, s, 'p99', 0)} | ${cell('payload', b, s, 'workerCpuPer1000', 1)}`).join(' | ')} |`,
  );
  const failText = failures.length === 0 ? 'None.' : failures.map((f) => `- **${f.label}**:\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`).join('\n');
  const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, Bastion and official alternating; each cell is median (min – max). Every figure is a fresh process.

### History length: replay (a workflow task on a cache miss)

A workflow task on a cache miss rebuilds the run by replaying its whole history, so its
cost is the replay of that history. Histories of the bench workflow \`sequence(n)\` (5 + 6n
events: n sequential activities) are recorded once per bench run with Bastion's worker,
then each SDK replays the same history repeatedly through one replayer
(\`Worker.runReplayHistories\`; the bundle is built first and not timed; one warm-up replay).
Chart: [${path.basename(CHARTS.replay)}](${path.basename(CHARTS.replay)}).

| events | Bastion ms per history (= per cache-miss task) | Bastion µs per event | official ms per history | official µs per event |
|---|---|---|---|---|
${replayRows.join('\n')}

### Cached workflows: memory per cached workflow

A worker with \`maxCachedWorkflows\` above the count starts N workflows that wait for a
signal (\`waitForSignal\`), waits until its cache holds all N, and reports (resident memory
after − before) ÷ N, each read after three \`gc()\` calls 300 ms apart (\`--expose-gc\`). The worker, its
client and a dev server of its own; the client's and the worker's memory are in one process,
the same on both sides. Chart: [${path.basename(CHARTS.cache)}](${path.basename(CHARTS.cache)}).

| cached workflows | Bastion KiB per workflow | Bastion RSS MiB | official KiB per workflow | official RSS MiB |
|---|---|---|---|---|
${cacheRows.join('\n')}

### Payload size: echo through one activity

\`echo(input)\` passes a random base64 string of the given size through one activity and
returns it, so each workflow moves it four times (input, activity input, activity result,
result). 10 outstanding, worker and client in separate processes as in the end-to-end
section. Chart: [${path.basename(CHARTS.payload)}](${path.basename(CHARTS.payload)}).

| payload | workflows | Bastion wf/s | Bastion p99 ms | Bastion worker CPU s / 1,000 wf | official wf/s | official p99 ms | official worker CPU s / 1,000 wf |
|---|---|---|---|---|---|---|---|
${payloadRows.join('\n')}

### Failures

${failText.trimEnd()}
`;
  const mid = p.cached.includes(1000) ? 1000 : p.cached[p.cached.length - 1];
  return {
    md,
    figures: { cachedKiB: { count: mid, bastion: med('cache', mid, 'bastion', 'perWorkflowKiB'), official: med('cache', mid, 'official', 'perWorkflowKiB') } },
  };
}
