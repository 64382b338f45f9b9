#!/usr/bin/env node
'use strict';
/**
 * Runs the benchmarks and regenerates bench/RESULTS.md (and bench/results.json, bench/*.svg).
 *
 * Usage: npm run bench [-- --only SECTION[,SECTION]] [--runs N] [--size N] [--quick] [--worker-options JSON]
 *   sections  dev-server, worker, e2e, e2e-matrix, scaling, floor, codec, rotation, native, observability, updates (all by default, in this order)
 *   --runs N  runs per figure (default 3); each cell is median (min – max)
 *   --size N  workflows per measured phase (dev-server end to end, worker and e2e scenarios)
 *   --quick   small sizes everywhere: for trying the suite out, not for quoting
 *   --worker-options JSON  extra Worker.create options for both workers, e.g. '{"maxCachedWorkflows":0}'
 *
 * Every measurement runs in fresh child processes (compiled to dist/bench/ by `npm run build`);
 * the two contenders of a figure alternate A B A B. One progress line per run on stderr.
 * The sections live in bench/lib/sections/; docs/performance.md explains every figure.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseOptions } = require('./lib/options');
const { createProgress } = require('./lib/progress');
const { ROOT, DIST } = require('./lib/child');
const { OUT, previousSections, loadFigures, saveFigures, targetsTable, header } = require('./lib/results');
const { today } = require('./lib/stats');

const SECTION_MODULES = {
  'dev-server': require('./lib/sections/dev-server'),
  worker: require('./lib/sections/worker'),
  e2e: require('./lib/sections/e2e'),
  'e2e-matrix': require('./lib/sections/e2e-matrix'),
  scaling: require('./lib/sections/scaling'),
  floor: require('./lib/sections/floor'),
  codec: require('./lib/sections/codec'),
  rotation: require('./lib/sections/rotation'),
  native: require('./lib/sections/native'),
  observability: require('./lib/sections/observability'),
  updates: require('./lib/sections/updates'),
};

/** The newest modification time under dir (ms), to notice a rebuild of dist/ during a run. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseOptions(argv);
  const loadAtStart = os.loadavg();
  for (const f of ['e2e-worker.js', 'fixtures/workflows.js', 'worker.bench.js']) {
    if (!fs.existsSync(path.join(DIST, f))) {
      process.stderr.write(`dist/bench/${f} is missing: run \`npm run build\` first.\n`);
      process.exit(1);
    }
  }
  const distSrc = path.join(ROOT, 'dist/src');
  const distAtStart = newestMtime(distSrc);
  const modules = opts.sections.map((s) => SECTION_MODULES[s]);
  const total = modules.reduce((n, m) => n + m.plannedRuns(opts), 0);
  const progress = createProgress(total);
  process.stderr.write(`bench: ${opts.sections.join(', ')}; ${total} runs; load average ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}\n`);
  const figures = loadFigures();
  const sections = {};
  for (const m of modules) {
    const { md, figures: f } = await m.run({ opts, progress, figuresOf: (name) => figures[name] });
    sections[m.name] = md;
    figures[m.name] = { date: today(), quick: opts.quick, runs: opts.runs, figures: f };
    saveFigures(figures);
  }
  const previous = previousSections();
  const kept = (m) => {
    const k = Object.keys(previous).find((h) => h.startsWith(m.heading));
    return k ? previous[k] : `${m.heading}\n\nNot measured yet: run \`npm run bench -- --only ${m.name}\`.\n`;
  };
  const distAtEnd = newestMtime(distSrc);
  const rebuilt =
    distAtEnd > distAtStart
      ? `\n- **dist/src was rebuilt during this run** (last at ${new Date(distAtEnd).toISOString().slice(11, 19)} UTC): runs that started before then used the older build.`
      : '';
  const body = Object.values(SECTION_MODULES)
    .map((m) => sections[m.name] ?? kept(m))
    .join('\n');
  const md = `${header({ argv, loadAtStart, quick: opts.quick, runs: opts.runs, rebuilt })}\n${targetsTable(figures)}\n${body}`;
  fs.writeFileSync(OUT, md);
  process.stderr.write(`bench: wrote ${path.relative(ROOT, OUT)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
