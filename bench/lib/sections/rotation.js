'use strict';
/** The cost of a TLS rotation under load: steady state against rotating every 500 ms, alternated in one process. */
const { runBenchJson } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## TLS rotation under load';
const EVERY_MS = 500;
const CONCURRENCY = 50;

module.exports = {
  name: 'rotation',
  heading: HEADING,
  plannedRuns: () => 1,
  async run({ opts, progress }) {
    const seconds = opts.quick ? 2 : 5;
    const { results } = await runBenchJson('rotation.bench.js', { seconds, runs: opts.runs, every: EVERY_MS, concurrency: CONCURRENCY });
    const steady = results.filter((r) => r.kind === 'steady');
    const rotating = results.filter((r) => r.kind === 'rotating');
    const ratio = median(rotating.map((r) => r.perSecond)) / median(steady.map((r) => r.perSecond));
    const longestWait = Math.max(...rotating.map((r) => r.probeMaxMs));
    progress.step('rotation', `${ratio.toFixed(2)}× throughput while rotating; longest call ${longestWait.toFixed(0)} ms`);
    const row = (label, pick, digits = 0) => `| ${label} | ${fmt(steady.map(pick), digits)} | ${fmt(rotating.map(pick), digits)} |`;
    const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} of each phase (${seconds} s each), alternated steady / rotating in one process
(\`bench/rotation.bench.ts\`): the dev server with mutual TLS, a Bastion worker and client on one
connection, \`greet\` workflows at ${CONCURRENCY} outstanding. While rotating, the client certificate is
replaced through \`connection.setTlsConfig\` every ${EVERY_MS} ms (each rotation validates the pair and
makes a test call over the new channel before switching). A probe issues \`GetSystemInfo\` back to back
throughout, so the longest wait of any single call across a switch is seen. Each cell is median (min – max).

| figure | steady | rotating every ${EVERY_MS} ms |
|---|---|---|
${row('workflows/s', (r) => r.perSecond)}
${row('p50 start-to-result ms', (r) => r.p50)}
${row('p99 start-to-result ms', (r) => r.p99)}
${row('longest workflow ms', (r) => r.max)}
${row('longest single call (probe) ms', (r) => r.probeMaxMs, 1)}
${row('probe p99 ms', (r) => r.probeP99Ms, 1)}
| rotations per phase | – | ${fmt(rotating.map((r) => r.rotations))} |
| time of one \`setTlsConfig\` (median of a phase) ms | – | ${fmt(
      rotating.map((r) => r.rotationMsMedian),
      1,
    )} |
| slowest \`setTlsConfig\` ms | – | ${fmt(
      rotating.map((r) => r.rotationMsMax),
      1,
    )} |

Throughput while rotating is **${ratio.toFixed(2)}×** steady state; the longest any call waited in a rotating
phase was **${longestWait.toFixed(0)} ms**. No call fails during a switch: calls in flight finish on the old
channel and long polls move to the new one (see docs/certificate-rotation.md).
`;
    return { md, figures: { throughputRatio: ratio, longestCallMs: longestWait } };
  },
};
