'use strict';
/**
 * Bastion's worker and client vs the official worker and client, both in one child process
 * (bench/worker.bench.ts): the `greet` and `signal` scenarios, start-up time and idle memory.
 */
const { bench, runChild, startServer } = require('../child');
const { fmt, median, ratio, today } = require('../stats');

const HEADING = '## Bastion worker vs official worker';
const CONTENDERS = ['bastion', 'official'];
const SCENARIOS = {
  greet: { size: 300, quick: 60, title: 'One activity (`greet`)', what: 'start `greet("x")` (one activity) and await its result' },
  signal: {
    size: 200,
    quick: 40,
    title: 'Signal and wake-up (`accumulate`)',
    what: 'start `accumulate(0)`, signal `add` 1, signal `done`, await the result (1)',
  },
};
/** The issue's targets, as ratios Bastion / official (higher is better for throughput). */
const TARGETS = { throughput: '≥ 1.0×' };
let opts;

module.exports = {
  name: 'worker',
  heading: HEADING,
  plannedRuns: (o) => o.runs * Object.keys(SCENARIOS).length * CONTENDERS.length,
  async run(ctx) {
    opts = ctx.opts;
    const { progress } = ctx;
    const server = await startServer();
    const results = {}; // scenario -> contender -> [json]
    const failures = [];
    try {
      for (let r = 0; r < opts.runs; r++) {
        for (const scenario of Object.keys(SCENARIOS)) {
          for (const contender of CONTENDERS) {
            const size = opts.size ?? (opts.quick ? SCENARIOS[scenario].quick : SCENARIOS[scenario].size);
            const label = `worker ${scenario} ${contender} run ${r + 1}`;
            const res = await runChild(bench('worker.bench.js'), [
              '--contender',
              contender,
              '--scenario',
              scenario,
              '--size',
              String(size),
              '--address',
              server.address,
              '--server-pid',
              String(server.pid),
              ...(opts.quick ? ['--idle-ms', '1000'] : []),
              ...(opts.workerOptions ? ['--worker-options', opts.workerOptions] : []),
            ]);
            const json = res.json;
            if (res.code === 0 && json?.ok) {
              ((results[scenario] ??= {})[contender] ??= []).push(json);
              const warned =
                json.logged && json.logged.warn + json.logged.error > 0 ? `; logged ${json.logged.warn} warnings, ${json.logged.error} errors` : '';
              progress.step(label, `${json.throughput.toFixed(1)} wf/s, p99 ${json.p99.toFixed(0)} ms, peak RSS ${json.peakRssMiB.toFixed(0)} MiB${warned}`);
              if (warned)
                failures.push({
                  contender,
                  scenario,
                  run: r + 1,
                  kind: 'logged',
                  text: `${json.logged.warn} warnings, ${json.logged.error} errors; the first distinct ones:\n${json.logged.samples.join('\n')}`,
                });
            } else {
              const why = res.timedOut ? 'killed (stalled)' : `exit ${res.code ?? res.signal}`;
              const text = json?.error
                ? `${why}; phase ${json.phase}, ${json.completedInPhase} workflows completed in that phase\n${json.error}${json.logged?.samples?.length ? `\nworker log (${json.logged.warn} warnings, ${json.logged.error} errors; the first distinct ones):\n${json.logged.samples.join('\n')}` : ''}`
                : `${why}\n${res.stderr.trim().split('\n').slice(-15).join('\n')}`;
              failures.push({ contender, scenario, run: r + 1, kind: 'failed', text });
              progress.step(label, `FAILED: ${text.split('\n')[0]}`);
            }
          }
        }
      }
    } finally {
      await server.stop();
    }
    const all = (c) => Object.values(results).flatMap((byC) => byC[c] ?? []);
    const sm = (c, f) => median(all(c).map(f));
    return {
      md: renderWorker(results, failures),
      figures: {
        startupS: { bastion: sm('bastion', (x) => x.startupMs / 1000), official: sm('official', (x) => x.startupMs / 1000) },
        idleRssMiB: { bastion: sm('bastion', (x) => x.idleRssMiB), official: sm('official', (x) => x.idleRssMiB) },
      },
    };
  },
};

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
      return `| ${c}${note} | ${fmt(
        rs.map((x) => x.throughput),
        1,
      )} | ${fmt(
        rs.map((x) => x.p50),
        0,
      )} | ${fmt(
        rs.map((x) => x.p99),
        0,
      )} | ${fmt(
        rs.map((x) => x.peakRssMiB),
        0,
      )} | ${fmt(
        rs.map((x) => x.cpuSecondsPer1000),
        2,
      )} | ${fmt(
        rs.map((x) => x.serverCpuSecondsPer1000),
        2,
      )} |`;
    });
    const m = (c, k) => median(runsOf(c).map((x) => x[k]));
    const gaps = CONTENDERS.map(
      (c) =>
        `${c} ${
          runsOf(c).length
            ? `${fmt(
                runsOf(c).map((x) => x.longestGapMs),
                0,
              )} ms`
            : 'n/a'
        }`,
    ).join(', ');
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
    return `| ${c} | ${fmt(
      rs.map((x) => x.startupMs / 1000),
      2,
    )} | ${fmt(
      rs.map((x) => x.marks.sdkLoadedMs / 1000),
      2,
    )} | ${fmt(
      rs.map((x) => (x.marks.createdMs - x.marks.connectedMs) / 1000),
      2,
    )} | ${fmt(
      rs.map((x) => x.idleRssMiB),
      0,
    )} | ${rs.length} |`;
  });
  const sm = (c, f) => median(all(c).map(f));
  const failText =
    failures.length === 0
      ? 'None: every run completed every workflow, and neither worker logged a warning or an error.\n'
      : failures
          .map(
            (f) =>
              `- **${f.contender}, ${f.scenario}, run ${f.run}** (${f.kind === 'failed' ? 'run failed' : 'worker logged warnings or errors'}):\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`,
          )
          .join('\n');
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
RUNNING: Node boot, loading the SDK, connecting, and \`Worker.create({ workflowsPath })\`, which
bundles the workflows (each SDK as its users call it; Bastion bundles in a short-lived thread).
Idle RSS is read 2 s after RUNNING, before any workflow.

| contender | start-up s | SDK loaded at s | \`Worker.create\` s (bundling included) | idle RSS MiB | runs |
|---|---|---|---|---|---|
${sRows.join('\n')}

Bastion / official (medians): start-up ${ratio(
    sm('bastion', (x) => x.startupMs),
    sm('official', (x) => x.startupMs),
  )}, idle RSS ${ratio(
    sm('bastion', (x) => x.idleRssMiB),
    sm('official', (x) => x.idleRssMiB),
  )}.

### Failures and warnings

${failText.trimEnd()}
`;
}
