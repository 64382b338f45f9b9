'use strict';
/**
 * Workflow updates against one workflow: round-trip latency one at a time and updates per
 * second with 16 in flight, Bastion's worker vs the official one (each alone in its
 * process), both driven by Bastion's client, alternating A B / B A.
 */
const os = require('node:os');
const { fmt, median, ratio, ratioOf, today } = require('../stats');
const { runGroups } = require('./e2e-runner');

const HEADING = '## Workflow updates';
const CONCURRENCY = 16;
/** Updates per part, full and `--quick`; `--size N` sets both counts to N. */
const COUNTS = { full: { warmup: 30, sequential: 400, concurrent: 1500, seconds: 60 }, quick: { warmup: 10, sequential: 100, concurrent: 300, seconds: 20 } };
const UPDATES = {
  increment: '`increment`: the handler adds to a counter and returns it',
  incrementAfterActivity: '`incrementAfterActivity`: the handler awaits one activity, then adds',
};
const SDKS = ['bastion', 'official'];

function counts(opts) {
  const c = opts.quick ? COUNTS.quick : COUNTS.full;
  return opts.size ? { ...c, sequential: opts.size, concurrent: opts.size } : c;
}

module.exports = {
  name: 'updates',
  heading: HEADING,
  plannedRuns: (opts) => opts.runs * SDKS.length,
  async run({ opts, progress }) {
    const c = counts(opts);
    const loadAtStart = os.loadavg();
    const driverArgs = [
      '--sequential',
      String(c.sequential),
      '--size',
      String(c.concurrent),
      '--concurrency',
      String(CONCURRENCY),
      '--warmup',
      String(c.warmup),
      '--seconds',
      String(c.seconds),
    ];
    const { results, failures } = await runGroups({
      opts,
      progress,
      name: 'updates',
      alternate: true,
      makeGroups: () => [{ id: 'one-workflow', cells: SDKS.map((sdk) => ({ worker: sdk, label: sdk, driver: 'updates.bench.js', driverArgs })) }],
      summary: (j) => {
        const inc = j.parts.increment;
        return `increment p50 ${inc.sequential.p50.toFixed(1)} ms, p99 ${inc.sequential.p99.toFixed(1)} ms, ${inc.concurrent.perSecond.toFixed(0)} updates/s at ${CONCURRENCY}`;
      },
    });
    return render(opts, c, results['one-workflow'] ?? {}, failures, [loadAtStart, os.loadavg()]);
  },
};

function render(opts, c, bySdk, failures, [loadAtStart, loadAtEnd]) {
  const load = (l) => l.map((v) => v.toFixed(2)).join(', ');
  /** The values of one figure over the runs of one SDK. */
  const vals = (sdk, update, part, key) => (bySdk[sdk] ?? []).map((j) => j.parts[update][part][key]);
  const med = (sdk, update, part, key) => median(vals(sdk, update, part, key));
  const row = (label, update, part, key, digits) =>
    `| ${label} | ${fmt(vals('bastion', update, part, key), digits)} | ${fmt(vals('official', update, part, key), digits)} | ${key === 'count' ? '–' : ratio(med('bastion', update, part, key), med('official', update, part, key))} |`;
  let tables = '';
  for (const [update, title] of Object.entries(UPDATES)) {
    tables += `
### ${title}

| figure | Bastion worker | official worker | Bastion ÷ official |
|---|---|---|---|
${row('one at a time: p50 round trip ms', update, 'sequential', 'p50', 1)}
${row('one at a time: p99 round trip ms', update, 'sequential', 'p99', 1)}
${row('one at a time: updates measured', update, 'sequential', 'count', 0)}
${row('one at a time: worker CPU ms / update', update, 'sequential', 'workerCpuMsPerUpdate', 2)}
${row('one at a time: history events / update', update, 'sequential', 'eventsPerUpdate', 2)}
${row(`${CONCURRENCY} in flight: updates/s`, update, 'concurrent', 'perSecond', 0)}
${row(`${CONCURRENCY} in flight: p50 round trip ms`, update, 'concurrent', 'p50', 1)}
${row(`${CONCURRENCY} in flight: p99 round trip ms`, update, 'concurrent', 'p99', 1)}
${row(`${CONCURRENCY} in flight: updates measured`, update, 'concurrent', 'count', 0)}
${row(`${CONCURRENCY} in flight: worker CPU ms / update`, update, 'concurrent', 'workerCpuMsPerUpdate', 2)}
${row(`${CONCURRENCY} in flight: history events / update`, update, 'concurrent', 'eventsPerUpdate', 2)}
`;
  }
  const failText =
    failures.length === 0
      ? 'None: in every run the workflow counted exactly the updates the client completed, and no worker logged a warning or an error.'
      : failures.map((f) => `- **${f.label}**:\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`).join('\n');
  const md = `${HEADING}

Measured on ${today()}${opts.quick ? ' (--quick: small counts, for trying the suite out)' : ''}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per worker, alternating
Bastion / official, official / Bastion…; each cell is median (min – max) over the runs that completed.
Load average (1, 5, 15 min) at the start of this section: ${load(loadAtStart)}; at its end: ${load(loadAtEnd)} (2 cores: above ~1,
other work shared the machine and the ranges widen).

Each run starts a fresh worker process (\`dist/bench/e2e-worker.js\`: Bastion's \`Worker\` or
\`@temporalio/worker\` 1.24, bundling the same \`dist/bench/fixtures/workflows.js\`) against one dev
server (\`bastion server start-dev\`, in memory, plaintext on loopback), and a driver process
(\`dist/bench/updates.bench.js\`) that uses **Bastion's client for both workers**. The driver starts
one \`updateCounter\` workflow and sends every update of the run to it with \`executeUpdate\`
(wait stage COMPLETED): ${c.warmup} warm-up updates of each kind, then for each kind ${c.sequential}
updates one at a time (the round trip of one update), then ${c.concurrent} with ${CONCURRENCY} in flight
(updates/s); each part stops early after ${c.seconds} s. One at a time, each update must return
the counter with every earlier update in it, and at the end the workflow's counter must equal
the updates completed. Worker CPU is the worker process's user + system time from
\`/proc/<pid>/stat\` (all threads) over the part, per update (10 ms resolution). History events
per update (from \`describe()\` before and after a part) show how many updates a workflow task
carried: 5 when each update has a task of its own (scheduled, started, completed, accepted,
completed), fewer when one task carries several (for \`incrementAfterActivity\` add the
activity's and its task's events). The
workflow's history grows by every update (a workflow task and the update's events), so the
later parts run on a longer history, the same for both workers.
${opts.workerOptions ? `\nWorker options on both sides: \`${opts.workerOptions}\`.\n` : ''}${tables}
### Failures and warnings

${failText.trimEnd()}
`;
  const figure = (update) =>
    Object.fromEntries(
      SDKS.map((sdk) => [
        sdk,
        {
          p50: med(sdk, update, 'sequential', 'p50'),
          p99: med(sdk, update, 'sequential', 'p99'),
          updatesPerSecond: med(sdk, update, 'concurrent', 'perSecond'),
          workerCpuMsPerUpdate: med(sdk, update, 'concurrent', 'workerCpuMsPerUpdate'),
        },
      ]),
    );
  const figures = {
    load1mAtStart: loadAtStart[0],
    concurrency: CONCURRENCY,
    increment: figure('increment'),
    incrementAfterActivity: figure('incrementAfterActivity'),
  };
  figures.ratios = {
    p50: ratioOf(figures.increment.bastion.p50, figures.increment.official.p50),
    p99: ratioOf(figures.increment.bastion.p99, figures.increment.official.p99),
    updatesPerSecond: ratioOf(figures.increment.bastion.updatesPerSecond, figures.increment.official.updatesPerSecond),
  };
  return { md, figures };
}
