'use strict';
/** The dev server judged with the official SDK: starts/s, dispatch latency, end to end, memory vs SQLite. */
const { bench, runChild, failureText } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## Dev server with the official SDK';
const STORES = ['memory', 'sqlite'];

function env(opts) {
  return {
    ...(opts.quick ? { BENCH_STARTS: '300', BENCH_WORKFLOWS: '60', BENCH_DISPATCH: '30' } : {}),
    ...(opts.size ? { BENCH_WORKFLOWS: String(opts.size) } : {}),
  };
}

module.exports = {
  name: 'dev-server',
  heading: HEADING,
  plannedRuns: (opts) => opts.runs * STORES.length,
  async run({ opts, progress }) {
    const results = { memory: [], sqlite: [] };
    for (let r = 0; r < opts.runs; r++) {
      for (const store of STORES) {
        const res = await runChild(bench('dev-server.bench.js'), [], { env: { ...env(opts), BENCH_DB: store === 'sqlite' ? '1' : '0' } });
        if (res.code !== 0 || !res.json) throw new Error(`dev-server.bench (${store}) failed: ${failureText(res)}`);
        results[store].push(res.json);
        progress.step(
          `dev-server ${store} run ${r + 1}`,
          `${res.json.startsPerSec.toFixed(0)} starts/s, dispatch p50 ${res.json.dispatchP50.toFixed(1)} ms, ${res.json.e2ePerSec.toFixed(0)} wf/s`,
        );
      }
    }
    const first = results.memory[0];
    const rows = STORES.map((store) => {
      const rs = results[store];
      const f = (k, d = 1) =>
        fmt(
          rs.map((x) => x[k]),
          d,
        );
      return `| ${store} | ${f('startsPerSec', 0)} | ${f('dispatchP50', 2)} | ${f('dispatchP95', 2)} | ${f('dispatchP99', 2)} | ${f('e2ePerSec')} | ${f('p50')} | ${f('p95')} | ${f('p99')} | ${f('serverCpuSecondsPer1000', 2)} |`;
    });
    const md = `${HEADING} (@temporalio/client and @temporalio/worker 1.24)

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} per figure, memory and SQLite interleaved; each cell is median (min – max).

The dev server runs as its own process (\`bastion server start-dev\`, with \`--db-filename\`
for SQLite) on loopback. **Starts**: ${first.starts} StartWorkflowExecution calls, 64 in flight,
no worker. **Dispatch**: ${first.dispatches} times, a raw \`PollWorkflowTaskQueue\` from Bastion's
\`Connection\` waits on an empty task queue (given 20 ms to get there), then a workflow starts;
the figure is the time from sending the start until the poll returns the task (so it
includes the start call). **End to end**: ${first.workflows} workflows of one activity each
(\`greet\`), official worker and client, ${first.concurrency} outstanding, after a warm-up of 20;
latency is start-to-result as the client sees it.

| store | starts/s | dispatch p50 ms | dispatch p95 ms | dispatch p99 ms | end-to-end wf/s | p50 ms | p95 ms | p99 ms | server CPU s / 1,000 wf |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

The last column is the dev server process's own CPU time (user + system, from /proc)
during the end-to-end phase, per 1,000 workflows.
`;
    const m = (store, k) => median(results[store].map((x) => x[k]));
    return {
      md,
      figures: {
        startsPerSec: m('memory', 'startsPerSec'),
        dispatchP50: m('memory', 'dispatchP50'),
        sqliteStartsPerSec: m('sqlite', 'startsPerSec'),
        e2eMemory: m('memory', 'e2ePerSec'),
        e2eSqlite: m('sqlite', 'e2ePerSec'),
      },
    };
  },
};
