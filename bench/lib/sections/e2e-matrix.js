'use strict';
/**
 * End to end, the whole matrix: every workflow shape × 1, 50 and 500 outstanding ×
 * plaintext and mTLS × encryption codec off and on, Bastion's worker and client against
 * the official ones (36 pairs per run), at smaller sizes than the `e2e` section, whose
 * larger runs carry the targets. One compact table with both contenders per row.
 */
const { fmt, median, ratio, today } = require('../stats');
const { runGroups } = require('./e2e-runner');

const HEADING = '## End to end: the whole matrix';
const SCENARIOS = ['one-activity', 'ten-activities', 'timer-signal'];
const CONCURRENCY = [1, 50, 500];
const SDKS = ['bastion', 'official'];
/** Workflows per measured phase, full and `--quick`; at 500 outstanding, 500 so that all are in flight at once. */
const SIZE = {
  'one-activity': { 1: [30, 10], 50: [200, 60], 500: [500, 500] },
  'ten-activities': { 1: [10, 5], 50: [60, 50], 500: [500, 500] },
  'timer-signal': { 1: [20, 10], 50: [200, 60], 500: [500, 500] },
};

/** Every combination, in the order the table lists them. */
function combos(opts, tlsDir) {
  const out = [];
  for (const scenario of SCENARIOS) {
    for (const concurrency of CONCURRENCY) {
      for (const tls of [false, true]) {
        for (const codec of [false, true]) {
          const [full, quick] = SIZE[scenario][concurrency];
          out.push({
            id: `${scenario}@${concurrency}${tls ? '+mtls' : ''}${codec ? '+codec' : ''}`,
            scenario,
            concurrency,
            tls,
            codec,
            size: opts.size ?? (opts.quick ? quick : full),
            cells: SDKS.map((sdk) => ({ worker: sdk, client: sdk, label: sdk, scenario, concurrency, codec, tlsDir: tls ? tlsDir : undefined })),
          });
        }
      }
    }
  }
  for (const c of out) for (const cell of c.cells) cell.size = c.size;
  return out;
}

const PAIRS = combos({}).length;

module.exports = {
  name: 'e2e-matrix',
  heading: HEADING,
  plannedRuns: (opts) => opts.runs * PAIRS * SDKS.length,
  async run({ opts, progress }) {
    const {
      groups: cs,
      results,
      failures,
    } = await runGroups({
      opts,
      progress,
      name: 'e2e-matrix',
      alternate: true,
      makeGroups: (tlsDir) => combos(opts, tlsDir),
      summary: (j) => `${j.throughput.toFixed(1)} wf/s, p99 ${j.p99.toFixed(0)} ms, worker ${j.workerCpuPer1000?.toFixed(2)} CPU s/1k wf`,
    });
    return render(opts, cs, results, failures);
  },
};

function render(opts, cs, results, failures) {
  const runsOf = (id, sdk) => results[id]?.[sdk] ?? [];
  const cell = (id, sdk, k, d) =>
    fmt(
      runsOf(id, sdk).map((x) => x[k]),
      d,
    );
  const r = (id, k) => ratio(median(runsOf(id, 'bastion').map((x) => x[k])), median(runsOf(id, 'official').map((x) => x[k])));
  const rows = cs.map(
    (c) =>
      `| ${c.scenario} | ${c.concurrency} | ${c.tls ? 'mTLS' : 'plain'} | ${c.codec ? 'on' : 'off'} | ${c.size} ` +
      `| ${cell(c.id, 'bastion', 'throughput', 1)} | ${cell(c.id, 'official', 'throughput', 1)} | ${r(c.id, 'throughput')} ` +
      `| ${cell(c.id, 'bastion', 'p99', 0)} | ${cell(c.id, 'official', 'p99', 0)} | ${r(c.id, 'p99')} ` +
      `| ${cell(c.id, 'bastion', 'workerCpuPer1000', 2)} | ${cell(c.id, 'official', 'workerCpuPer1000', 2)} | ${r(c.id, 'workerCpuPer1000')} |`,
  );
  // How often Bastion was ahead, over the combinations where both ran.
  const both = cs.filter((c) => runsOf(c.id, 'bastion').length && runsOf(c.id, 'official').length);
  const ahead = (k, better) =>
    both.filter((c) => better(median(runsOf(c.id, 'bastion').map((x) => x[k])), median(runsOf(c.id, 'official').map((x) => x[k])))).length;
  const failText =
    failures.length === 0
      ? 'None: every run completed every workflow with the right result, and no worker logged a warning or an error.'
      : failures.map((f) => `- **${f.label}**:\n\n\`\`\`\n${f.text.trim()}\n\`\`\`\n`).join('\n');
  const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, Bastion and official alternating
(A B A B, the first changing every run); each cell is median (min – max).

Every workflow shape × 1, 50 and 500 outstanding × plaintext and mTLS × the encryption
codec off and on: ${cs.length} pairs, each worker alone in its process as in the section
above ("Bastion" is Bastion's worker and client, "official" the official worker and client),
at smaller sizes (the "workflows" column, after 20 warm-up workflows) so that the whole
matrix runs in a reasonable time; the section above, with larger runs, carries the targets.
Ratios are Bastion ÷ official of the medians.

Bastion ahead on throughput in ${ahead('throughput', (a, b) => a > b)} of ${both.length} combinations, on p99 in
${ahead('p99', (a, b) => a < b)}, on worker CPU per workflow in ${ahead('workerCpuPer1000', (a, b) => a < b)}.

| workflow | outstanding | transport | codec | workflows | Bastion wf/s | official wf/s | ratio | Bastion p99 ms | official p99 ms | ratio | Bastion worker CPU s / 1,000 wf | official | ratio |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

### Failures and warnings

${failText.trimEnd()}
`;
  return {
    md,
    figures: {
      combos: Object.fromEntries(
        cs.map((c) => [
          c.id,
          Object.fromEntries(
            SDKS.map((s) => [
              s,
              {
                throughput: median(runsOf(c.id, s).map((x) => x.throughput)),
                p99: median(runsOf(c.id, s).map((x) => x.p99)),
                workerCpuPer1000: median(runsOf(c.id, s).map((x) => x.workerCpuPer1000)),
              },
            ]),
          ),
        ]),
      ),
    },
  };
}
