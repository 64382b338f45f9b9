'use strict';
/** The cost of metrics and tracing: throughput and CPU per workflow with each off and on, alternated in one process. */
const os = require('node:os');
const { runBenchJson } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## Observability';
const CONCURRENCY = 50;
const KINDS = ['off', 'metrics', 'tracing', 'both'];

module.exports = {
  name: 'observability',
  heading: HEADING,
  plannedRuns: () => 1,
  async run({ opts, progress }) {
    const seconds = opts.quick ? 2 : 5;
    const runs = Math.max(2, opts.runs);
    const loadAtStart = os.loadavg();
    const json = await runBenchJson('observability.bench.js', { seconds, runs, concurrency: CONCURRENCY });
    const loadAtEnd = os.loadavg();
    const of = Object.fromEntries(KINDS.map((k) => [k, json.results.filter((r) => r.kind === k)]));
    const med = (kind, key) => median(of[kind].map((r) => r[key]));
    /** Throughput lost and CPU per workflow added by `kind` against `off`. */
    const cost = (kind) => ({
      throughput: 1 - med(kind, 'perSecond') / med('off', 'perSecond'),
      cpu: med(kind, 'cpuMsPerWorkflow') / med('off', 'cpuMsPerWorkflow') - 1,
    });
    const costs = { metrics: cost('metrics'), tracing: cost('tracing'), both: cost('both') };
    const pctText = (x) => `${(x * 100).toFixed(1)} %`;
    const points = med('metrics', 'pointsPerWorkflow');
    const spans = med('tracing', 'spansPerWorkflow');
    const { pointNs, spanNs } = json;
    const offCpuUs = med('off', 'cpuMsPerWorkflow') * 1000;
    const directUs = (points * pointNs) / 1000;
    const directShare = directUs / offCpuUs;
    const spanDirectUs = (spans * spanNs) / 1000;
    const spanDirectShare = spanDirectUs / offCpuUs;
    progress.step(
      'observability',
      `metrics cost ${pctText(costs.metrics.throughput)} throughput, ${pctText(costs.metrics.cpu)} CPU; tracing ${pctText(costs.tracing.throughput)}, ${pctText(costs.tracing.cpu)}`,
    );
    const row = (label, pick, digits = 0) => `| ${label} | ${KINDS.map((k) => fmt(of[k].map(pick), digits)).join(' | ')} |`;
    const costRow = (label, kind) => `| ${label} | ${pctText(costs[kind].throughput)} | ${pctText(costs[kind].cpu)} |`;
    const load = (l) => l.map((v) => v.toFixed(2)).join(', ');
    const md = `${HEADING}

Measured on ${today()}${opts.quick ? ' (--quick: short phases, for trying the suite out)' : ''}; ${runs} runs of each phase (${seconds} s each), alternated
off / metrics / tracing / both, then backwards, in one process (\`bench/observability.bench.ts\`): the in-process dev
server, a Bastion worker and client on one connection, \`greet\` workflows (one activity each) at ${CONCURRENCY} outstanding.
Load average (1, 5, 15 min) at the start of this section: ${load(loadAtStart)}; at its end: ${load(loadAtEnd)} (2 cores: above ~1,
other work shared the machine and the ranges widen).

- **metrics**: the worker and its connection record every SDK metric into a prom-client registry, scraped once per
  phase; otherwise they get \`metrics: false\` (the no-op recorder).
- **tracing**: Bastion's OpenTelemetry interceptors from \`bastion-temporal/tracing\` on the client
  (\`StartWorkflow\`), the workflows (\`RunWorkflow\`, \`StartActivity\`, through the \`exporter\` sink) and the
  activities (\`RunActivity\`), with a global \`BasicTracerProvider\` (an AsyncLocalStorage context manager, the W3C
  propagator) whose one span processor counts the ended spans and exports nothing: the cost measured is making
  and propagating spans, not shipping them. Otherwise no interceptors.
- **both**: metrics and tracing together.

CPU is the whole process's (worker, client and dev server) per workflow, so the worker's own share of a cost is larger
than the CPU row shows. Each cell is median (min – max).

| figure | off | metrics | tracing | both |
|---|---|---|---|---|
${row('workflows/s', (r) => r.perSecond)}
${row('CPU ms per workflow', (r) => r.cpuMsPerWorkflow, 2)}
${row('p50 start-to-result ms', (r) => r.p50)}
${row('p99 start-to-result ms', (r) => r.p99)}
| /metrics size, bytes | – | ${fmt(
      of.metrics.map((r) => r.scrapeBytes),
      0,
    )} | – | ${fmt(
      of.both.map((r) => r.scrapeBytes),
      0,
    )} |
| spans per workflow | – | – | ${fmt(
      of.tracing.map((r) => r.spansPerWorkflow),
      1,
    )} | ${fmt(
      of.both.map((r) => r.spansPerWorkflow),
      1,
    )} |

| against off (medians) | throughput lost | CPU per workflow added |
|---|---|---|
${costRow('metrics', 'metrics')}
${costRow('tracing', 'tracing')}
${costRow('both', 'both')}

Metrics cost **${pctText(costs.metrics.throughput)}** of throughput and **${pctText(costs.metrics.cpu)}** more CPU per workflow (target: at most 5 %);
tracing **${pctText(costs.tracing.throughput)}** and **${pctText(costs.tracing.cpu)}**. On a loaded machine differences of a few per cent are within
the noise of the phases (compare the ranges), so the costs are also measured directly. A workflow records **${points.toFixed(1)}** metric
data points (counted by a wrapping recorder), and one data point costs **${pointNs.toFixed(0)} ns** of CPU in the prom-client
recorder (200 000 points with the worker's label shapes): **${directUs.toFixed(1)} µs** per workflow, **${pctText(directShare)}** of the
CPU a workflow costs with everything off. A workflow ends **${spans.toFixed(1)}** spans, and one span costs
**${spanNs.toFixed(0)} ns** of CPU in the OpenTelemetry SDK (50 000 active spans with three attributes into the same provider):
**${spanDirectUs.toFixed(1)} µs** per workflow, **${pctText(spanDirectShare)}**; this direct figure leaves out what the interceptors
add around a span (the \`_tracer-data\` header written and read on each hop, workflow spans built in the sandbox and
sent through the sink), which the A/B phases include.
`;
    return {
      md,
      figures: {
        load1mAtStart: loadAtStart[0],
        throughputCost: costs.metrics.throughput,
        cpuCost: costs.metrics.cpu,
        tracingThroughputCost: costs.tracing.throughput,
        tracingCpuCost: costs.tracing.cpu,
        bothThroughputCost: costs.both.throughput,
        bothCpuCost: costs.both.cpu,
        pointsPerWorkflow: points,
        pointNs,
        directShare,
        spansPerWorkflow: spans,
        spanNs,
        spanDirectShare,
      },
    };
  },
};
