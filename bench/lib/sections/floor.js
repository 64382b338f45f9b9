'use strict';
/** The floor: a bare grpc-js unary round trip, calls per one-activity workflow, and end to end as a fraction of the floor. */
const { bench, runChild, startLongLived, failureText } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## The floor: grpc-js round trips and calls per workflow';
const CONCURRENCY = 50;

module.exports = {
  name: 'floor',
  heading: HEADING,
  plannedRuns: (opts) => opts.runs + 2,
  async run({ opts, progress, figuresOf }) {
    const counts = {};
    for (const sdk of ['bastion', 'official']) {
      const res = await runChild(bench('call-count.bench.js'), ['--sdk', sdk, '--size', opts.quick ? '50' : '200']);
      if (res.code !== 0 || !res.json?.ok) throw new Error(`call-count.bench (${sdk}) failed: ${failureText(res)}`);
      counts[sdk] = res.json;
      progress.step(`floor call count ${sdk}`, `${res.json.perWorkflow.toFixed(2)} calls per workflow`);
    }
    const runs = [];
    for (let r = 0; r < opts.runs; r++) {
      const server = startLongLived(bench('floor.bench.js'), ['--serve'], { readyKey: 'port', stopBy: 'signal' });
      try {
        const { port } = await server.ready;
        const res = await runChild(bench('floor.bench.js'), [
          '--address',
          `127.0.0.1:${port}`,
          '--calls',
          opts.quick ? '5000' : '30000',
          '--concurrency',
          String(CONCURRENCY),
        ]);
        if (res.code !== 0 || !res.json?.ok) throw new Error(`floor.bench failed: ${failureText(res)}`);
        runs.push(res.json);
        progress.step(
          `floor unary run ${r + 1}`,
          `${res.json.callsPerSec.toFixed(0)} calls/s at ${CONCURRENCY} in flight, ${res.json.sequentialUs.toFixed(0)} µs sequential`,
        );
      } finally {
        await server.stop();
      }
    }
    const callsPerSec = median(runs.map((x) => x.callsPerSec));
    const calls = counts.bastion.perWorkflow;
    const floorWf = callsPerSec / calls;
    const e2e = figuresOf('e2e');
    const achieved = e2e?.figures?.oneActivity50?.bastion?.throughput;
    const official = e2e?.figures?.oneActivity50?.official?.throughput;
    const methods = [...new Set([...Object.keys(counts.bastion.byMethod), ...Object.keys(counts.official.byMethod)])];
    const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} of the unary benchmark; each cell is median (min – max).

**Unary round trip**: \`@grpc/grpc-js\` client and server in two processes on loopback, a
200-byte message echoed by a generic handler (no protobuf work), ${CONCURRENCY} in flight (the
end-to-end concurrency), after 200 warm-up calls; plus the mean of sequential calls.

| figure | value |
|---|---|
| calls/s at ${CONCURRENCY} in flight | ${fmt(
      runs.map((x) => x.callsPerSec),
      0,
    )} |
| sequential round trip µs | ${fmt(
      runs.map((x) => x.sequentialUs),
      0,
    )} |

**Calls per one-activity workflow**: the dev server runs inside the counting process with
every WorkflowService handler wrapped in a counter (\`grpc.Server.prototype.addService\`
patched before it starts), and ${counts.bastion.size} \`oneActivity\` workflows run after 20 warm-up
workflows, 10 outstanding. A call counts when it arrives (a long poll counts once).

| method | Bastion worker + client | official worker + client |
|---|---|---|
${methods.map((m) => `| ${m} | ${(counts.bastion.byMethod[m] ?? 0).toFixed(2)} | ${(counts.official.byMethod[m] ?? 0).toFixed(2)} |`).join('\n')}
| **total** | **${counts.bastion.perWorkflow.toFixed(2)}** | **${counts.official.perWorkflow.toFixed(2)}** |

**Floor** = unary calls/s ÷ calls per workflow = ${callsPerSec.toFixed(0)} ÷ ${calls.toFixed(2)} = **${floorWf.toFixed(0)} workflows/s**.
No worker built on grpc-js can beat it against a grpc-js server on this machine; the server's
own work (matching, history) comes on top.

| one activity, 50 outstanding (end-to-end section${e2e ? `, ${e2e.date}` : ''}) | workflows/s | fraction of the floor |
|---|---|---|
| Bastion worker + client | ${achieved === undefined ? 'not measured' : achieved.toFixed(1)} | ${achieved === undefined ? 'n/a' : (achieved / floorWf).toFixed(2)} |
| official worker + client | ${official === undefined ? 'not measured' : official.toFixed(1)} | ${official === undefined ? 'n/a' : (official / floorWf).toFixed(2)} |
`;
    return { md, figures: { callsPerSec, callsPerWorkflow: calls, floorWf, fraction: achieved === undefined ? undefined : achieved / floorWf } };
  },
};
