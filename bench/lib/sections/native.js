'use strict';
/** The official worker with and without bastion-temporal/native: steady, rotating every 2 s, and the swap itself. */
const { runBenchJson } = require('../child');
const { fmt, median, today } = require('../stats');

const HEADING = '## Native engine (bastion-temporal/native)';
const EVERY_MS = 2000;
const CONCURRENCY = 50;

module.exports = {
  name: 'native',
  heading: HEADING,
  plannedRuns: () => 1,
  async run({ opts, progress }) {
    const seconds = opts.quick ? 3 : 6;
    const { results } = await runBenchJson('native.bench.js', { seconds, runs: opts.runs, every: EVERY_MS, concurrency: CONCURRENCY });
    const of = (kind) => results.filter((r) => r.kind === kind);
    const official = of('official');
    const native = of('native');
    const rotating = of('rotating');
    const steadyRatio = median(native.map((r) => r.perSecond)) / median(official.map((r) => r.perSecond));
    const rotatingRatio = median(rotating.map((r) => r.perSecond)) / median(official.map((r) => r.perSecond));
    const swaps = rotating.flatMap((r) => r.swapMs);
    const connects = rotating.flatMap((r) => r.connectMs);
    const whole = rotating.flatMap((r) => r.rotationMs);
    progress.step('native', `${steadyRatio.toFixed(2)}× steady, ${rotatingRatio.toFixed(2)}× rotating; swap median ${median(swaps).toFixed(2)} ms`);
    const row = (label, pick, digits = 0) =>
      `| ${label} | ${fmt(official.map(pick), digits)} | ${fmt(native.map(pick), digits)} | ${fmt(rotating.map(pick), digits)} |`;
    const all = (xs, digits) => (xs.length ? `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)} – ${Math.max(...xs).toFixed(digits)})` : '–');
    const md = `${HEADING}

Measured on ${today()}; ${opts.runs} run${opts.runs === 1 ? '' : 's'} of each phase (${seconds} s each), alternated in one process
(\`bench/native.bench.ts\`): the dev server with mutual TLS, a Bastion client driving \`oneActivity\`
workflows at ${CONCURRENCY} outstanding, and the official \`@temporalio/worker\` 1.24 (its Rust Core) on
a connection made by the official \`NativeConnection.connect\` (**official**), by \`connectNative\` with
the worker attached (**native**), or by \`connectNative\` rotating the client certificate through
\`setTlsConfig\` every ${EVERY_MS / 1000} s (**rotating**: each rotation validates the pair, connects a new
\`NativeConnection\`, proves it with \`GetSystemInfo\`, then sets \`worker.connection\`). A new worker per
phase. Each cell is median (min – max).

| figure | official | native | native, rotating every ${EVERY_MS / 1000} s |
|---|---|---|---|
${row('workflows/s', (r) => r.perSecond)}
${row('p50 start-to-result ms', (r) => r.p50)}
${row('p99 start-to-result ms', (r) => r.p99)}
| rotations per phase | – | – | ${fmt(rotating.map((r) => r.rotations))} |

| one rotation, all phases pooled | ms |
|---|---|
| \`worker.connection =\` on the attached worker (the swap) | ${all(swaps, 2)} |
| connect the new \`NativeConnection\` and prove it with \`GetSystemInfo\` | ${all(connects, 1)} |
| whole rotation (validation to swap) | ${all(whole, 1)} |

Steady throughput with \`bastion-temporal/native\` is **${steadyRatio.toFixed(2)}×** the official connection's
(the manager adds nothing to the call path: the worker talks to Core's own connection); rotating
every ${EVERY_MS / 1000} s it is **${rotatingRatio.toFixed(2)}×**. The swap itself is a setter call (median
**${median(swaps).toFixed(2)} ms**); the time of a rotation goes to the new TLS handshake and its test
call, off the worker's path. See docs/native-engine.md.
`;
    return { md, figures: { steadyRatio, rotatingRatio, swapMsMedian: median(swaps), rotationMsMedian: median(whole) } };
  },
};
