'use strict';
/**
 * End to end: Bastion's worker and client vs the official ones, each worker alone in its
 * process; scenarios × concurrency on plaintext, plus the client swap, mTLS and the
 * encryption codec at 50 outstanding. The matrix is in CELLS; see RESULTS.md for why.
 */
const { fmt, median, ratio, ratioOf, today } = require('../stats');
const { runGroups } = require('./e2e-runner');

const HEADING = '## End to end: worker and client in separate processes';
const SCENARIO_TEXT = {
  'one-activity': '`oneActivity`: one activity',
  'ten-activities': '`tenActivities`: ten sequential activities',
  'timer-signal': '`timerAndSignal`: a 20 ms timer, then waits for a signal the client sends right after the start',
};
/** Workflows per measured phase, full and `--quick`, by scenario and concurrency. */
const SIZE = {
  'one-activity': { 1: [60, 20], 50: [500, 100], 500: [1500, 500] },
  'ten-activities': { 50: [120, 40] },
  'timer-signal': { 50: [400, 100] },
};

/** The matrix: every group is a pair (or more) of cells interleaved A B A B. */
function groups(opts, tlsDir) {
  const both = (base) => ['bastion', 'official'].map((sdk) => ({ ...base, worker: sdk, client: sdk, label: sdk }));
  const g = [];
  for (const [scenario, byConc] of Object.entries(SIZE)) {
    for (const c of Object.keys(byConc)) {
      g.push({
        id: `${scenario}@${c}`,
        title: `${SCENARIO_TEXT[scenario]}, ${c} outstanding`,
        kind: 'stack',
        cells: both({ scenario, concurrency: Number(c) }),
      });
    }
  }
  g.push({
    id: 'client@50',
    title: "Client swap: Bastion's worker, one activity, 50 outstanding, driven by each client",
    kind: 'client',
    cells: ['bastion', 'official'].map((sdk) => ({ scenario: 'one-activity', concurrency: 50, worker: 'bastion', client: sdk, label: `${sdk} client` })),
  });
  g.push({ id: 'mtls@50', title: 'mTLS, one activity, 50 outstanding', kind: 'stack', cells: both({ scenario: 'one-activity', concurrency: 50, tlsDir }) });
  g.push({
    id: 'codec@50',
    title: 'Encryption codec on (plaintext transport), one activity, 50 outstanding',
    kind: 'stack',
    cells: both({ scenario: 'one-activity', concurrency: 50, codec: true }),
  });
  g.push({
    id: 'mtls+codec@50',
    title: 'mTLS and the encryption codec, one activity, 50 outstanding',
    kind: 'stack',
    cells: both({ scenario: 'one-activity', concurrency: 50, tlsDir, codec: true }),
  });
  for (const grp of g) {
    for (const cell of grp.cells) {
      const [full, quick] = SIZE[cell.scenario][cell.concurrency];
      cell.size = opts.size ?? (opts.quick ? quick : full);
    }
  }
  return g;
}

const CELLS_PER_RUN = groups({ runs: 1 }).reduce((n, g) => n + g.cells.length, 0);

module.exports = {
  name: 'e2e',
  heading: HEADING,
  plannedRuns: (opts) => opts.runs * CELLS_PER_RUN,
  async run({ opts, progress }) {
    const {
      groups: gs,
      results,
      failures,
    } = await runGroups({
      opts,
      progress,
      name: 'e2e',
      makeGroups: (tlsDir) => groups(opts, tlsDir),
      summary: (j) =>
        `${j.throughput.toFixed(1)} wf/s, p99 ${j.p99.toFixed(0)} ms, worker ${j.workerCpuPer1000?.toFixed(2)} CPU s/1k wf, ${j.workerPeakRssMiB?.toFixed(0)} MiB${j.workerLogged ? `, worker logged ${j.workerLogged.warn} warnings ${j.workerLogged.error} errors` : ''}`,
    });
    return render(opts, gs, results, failures);
  },
};

function render(opts, gs, results, failures) {
  const runsOf = (g, label) => results[g]?.[label] ?? [];
  const m = (g, label, k) => median(runsOf(g, label).map((x) => x[k]));
  let tables = '';
  for (const g of gs) {
    const rows = g.cells.map((cell) => {
      const rs = runsOf(g.id, cell.label);
      if (rs.length === 0) return `| ${cell.label} | failed | | | | | | | |`;
      const f = (k, d) =>
        fmt(
          rs.map((x) => x[k]),
          d,
        );
      return `| ${cell.label} | ${f('throughput', 1)} | ${f('p50', 0)} | ${f('p95', 0)} | ${f('p99', 0)} | ${f('workerCpuPer1000', 2)} | ${f('workerPeakRssMiB', 0)} | ${f('clientCpuPer1000', 2)} | ${f('serverCpuPer1000', 2)} |`;
    });
    const [a, b] = g.cells.map((c) => c.label);
    tables += `
### ${g.title}

${g.cells[0].size} workflows after 20 warm-up workflows.

| ${g.kind === 'client' ? 'client' : 'worker and client'} | workflows/s | p50 ms | p95 ms | p99 ms | worker CPU s / 1,000 wf | worker peak RSS MiB | client CPU s / 1,000 wf | server CPU s / 1,000 wf |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Bastion / official (medians): throughput ${ratio(m(g.id, a, 'throughput'), m(g.id, b, 'throughput'))}, p99 ${ratio(m(g.id, a, 'p99'), m(g.id, b, 'p99'))}, ${g.kind === 'client' ? `client CPU ${ratio(m(g.id, a, 'clientCpuPer1000'), m(g.id, b, 'clientCpuPer1000'))}` : `worker CPU ${ratio(m(g.id, a, 'workerCpuPer1000'), m(g.id, b, 'workerCpuPer1000'))}, worker peak RSS ${ratio(m(g.id, a, 'workerPeakRssMiB'), m(g.id, b, 'workerPeakRssMiB'))}`}.
`;
  }
  const failText =
    failures.length === 0
      ? 'None: every run completed every workflow with the right result, and no worker logged a warning or an error.'
      : failures.map((f) => `- **${f.label}**:\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`).join('\n');
  const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, the two contenders of each table alternating
(A B A B); each cell is median (min – max) over the runs that completed.

Each run starts a fresh worker process (\`dist/bench/e2e-worker.js\`: one SDK's \`Worker\`,
bundling \`dist/bench/fixtures/workflows.js\`) and a fresh client process
(\`dist/bench/e2e-client.js\`), against one dev server per transport (\`bastion server
start-dev\`, in memory; for mTLS with \`--tls-cert --tls-key --tls-client-ca\` and
certificates made at run time with \`certs/\`: an ECDSA P-256 CA, server and client
certificate). "Bastion" is Bastion's worker driven by Bastion's client, "official" is
\`@temporalio/worker\` 1.24 driven by \`@temporalio/client\` 1.24, except in the client swap.
The codec is Bastion's \`EncryptionCodec\` (one random key per bench run) given to both
workers and clients as \`dataConverter: { payloadCodecs: [codec] }\`.
${opts.workerOptions ? `\nWorker options on both sides: \`${opts.workerOptions}\`.\n` : ''}
- **workflows/s**: workflows of the measured phase ÷ its wall time; **p50/p95/p99**:
  start-to-result latency as the client sees it.
- **worker CPU s / 1,000 wf**: the worker process's user + system time from
  \`/proc/<pid>/stat\` (all threads, so the official worker's Rust core counts) over the
  measured phase, per 1,000 workflows; 10 ms resolution.
- **worker peak RSS**: the worker process's resident memory sampled every 50 ms during the
  measured phase (\`VmRSS\`).
- **client CPU**: the client process's \`process.cpuUsage()\`; **server CPU**: the dev server's.

Why this matrix: concurrency 1, 50 and 500 are run for the one-activity workflow (the one the
targets are about); the other scenarios, the client swap, mTLS and the codec run at 50
outstanding only, where both stacks are busy but not queueing, with enough workflows per
run for the targets. Every combination of scenario × concurrency × transport × codec (36
pairs) is in the next section, "the whole matrix", at smaller sizes.
${tables}
### Failures and warnings

${failText.trimEnd()}
`;
  const g = 'one-activity@50';
  const figures = {
    oneActivity50: Object.fromEntries(
      ['bastion', 'official'].map((c) => [
        c,
        {
          throughput: m(g, c, 'throughput'),
          p99: m(g, c, 'p99'),
          workerCpuPer1000: m(g, c, 'workerCpuPer1000'),
          workerPeakRssMiB: m(g, c, 'workerPeakRssMiB'),
        },
      ]),
    ),
  };
  figures.ratios = {
    throughput: ratioOf(figures.oneActivity50.bastion.throughput, figures.oneActivity50.official.throughput),
    p99: ratioOf(figures.oneActivity50.bastion.p99, figures.oneActivity50.official.p99),
    workerCpu: ratioOf(figures.oneActivity50.bastion.workerCpuPer1000, figures.oneActivity50.official.workerCpuPer1000),
  };
  return { md, figures };
}
