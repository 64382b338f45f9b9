'use strict';
/** The cost of metrics: throughput and CPU per workflow with metrics off and on, alternated in one process. */
const { bench, runChild, failureText } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## Observability';
const CONCURRENCY = 50;

module.exports = {
  name: 'observability',
  heading: HEADING,
  plannedRuns: () => 1,
  async run({ opts, progress }) {
    const seconds = opts.quick ? 2 : 5;
    const runs = Math.max(2, opts.runs);
    const res = await runChild(bench('observability.bench.js'), ['--seconds', String(seconds), '--runs', String(runs), '--concurrency', String(CONCURRENCY)]);
    if (res.code !== 0 || !res.json?.results) throw new Error(`observability.bench failed: ${failureText(res)}`);
    const off = res.json.results.filter((r) => !r.metrics);
    const on = res.json.results.filter((r) => r.metrics);
    const throughputCost = 1 - median(on.map((r) => r.throughput)) / median(off.map((r) => r.throughput));
    const cpuCost = median(on.map((r) => r.cpuMsPerWorkflow)) / median(off.map((r) => r.cpuMsPerWorkflow)) - 1;
    const pctText = (x) => `${(x * 100).toFixed(1)} %`;
    const points = median(on.map((r) => r.pointsPerWorkflow));
    const pointNs = res.json.pointNs;
    const directUs = (points * pointNs) / 1000;
    const directShare = directUs / 1000 / median(off.map((r) => r.cpuMsPerWorkflow));
    progress.step('observability', `metrics cost ${pctText(throughputCost)} throughput, ${pctText(cpuCost)} CPU per workflow`);
    const row = (label, pick, digits = 0) => `| ${label} | ${fmt(off.map(pick), digits)} | ${fmt(on.map(pick), digits)} |`;
    const md = `${HEADING}

Measured on ${today()}${opts.quick ? ' (--quick: short phases, for trying the suite out)' : ''}; ${runs} runs of each phase (${seconds} s each), alternated
off / on in one process (\`bench/observability.bench.ts\`): the in-process dev server, a Bastion worker and
client on one connection, \`greet\` workflows (one activity each) at ${CONCURRENCY} outstanding. With metrics on,
the worker and its connection record every SDK metric into a prom-client registry, scraped once per phase;
with metrics off they get \`metrics: false\` (the no-op recorder). CPU is the whole process's (worker, client and
dev server) per workflow, so the worker's own share of the cost is larger than the CPU row shows. Each cell
is median (min – max). Tracing on/off is not measured here: the tracing interceptors are another change.

| figure | metrics off | metrics on |
|---|---|---|
${row('workflows/s', (r) => r.throughput)}
${row('CPU ms per workflow', (r) => r.cpuMsPerWorkflow, 2)}
${row('p50 start-to-result ms', (r) => r.p50)}
${row('p99 start-to-result ms', (r) => r.p99)}
| /metrics size, bytes | – | ${fmt(
      on.map((r) => r.scrapeBytes),
      0,
    )} |

Metrics cost **${pctText(throughputCost)}** of throughput and **${pctText(cpuCost)}** more CPU per workflow (target: at most 5 %);
on a loaded machine these two differences are within the noise of the phases, so the cost is also measured
directly: a workflow records **${points.toFixed(1)}** data points (counted by a wrapping recorder), and one data point
costs **${pointNs.toFixed(0)} ns** of CPU in the prom-client recorder (200 000 points with the worker's label shapes),
that is **${directUs.toFixed(1)} µs** per workflow, **${pctText(directShare)}** of the CPU a workflow costs with metrics off.
`;
    return { md, figures: { throughputCost, cpuCost, pointsPerWorkflow: points, pointNs, directShare } };
  },
};
