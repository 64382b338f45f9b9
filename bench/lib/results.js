'use strict';
/** RESULTS.md: the header, sections kept from the last run when not re-run, figures kept in bench/results.json, the targets table. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./child');
const { today } = require('./stats');

const OUT = path.join(ROOT, 'bench/RESULTS.md');
const FIGURES = path.join(ROOT, 'bench/results.json');

/** The `## ` sections of the existing RESULTS.md, keyed by heading line. */
function previousSections() {
  if (!fs.existsSync(OUT)) return {};
  const out = {};
  for (const part of fs
    .readFileSync(OUT, 'utf8')
    .split(/^(?=## )/m)
    .slice(1)) {
    out[part.split('\n')[0].trim()] = part.trimEnd() + '\n';
  }
  return out;
}

/** The figures each section recorded last time: `{ [section]: { date, quick, runs, figures } }`. */
function loadFigures() {
  try {
    return JSON.parse(fs.readFileSync(FIGURES, 'utf8'));
  } catch {
    return {};
  }
}

function saveFigures(all) {
  fs.writeFileSync(FIGURES, JSON.stringify(all, null, 2) + '\n');
}

const x = (v) => (v === undefined || v === null ? 'n/a' : `${v.toFixed(2)}×`);
const verdict = (v, ok) => (v === undefined || v === null ? 'not measured' : ok(v) ? 'met' : '**not met**');

/** The issue's targets with the achieved figure beside each, from the latest figures of every section. */
function targetsTable(all) {
  const e2e = all.e2e?.figures;
  const floor = all.floor?.figures;
  const worker = all.worker?.figures;
  const scaling = all.scaling?.figures;
  const codec = all.codec?.figures;
  const src = (s) => (all[s] ? `${s}, ${all[s].date}${all[s].quick ? ', quick' : ''}` : 'not run');
  const r = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);
  const rows = [
    [
      'End to end ≥ ½ the floor, Bastion worker + client (one activity, 50 outstanding)',
      '≥ 0.50 of floor',
      floor?.fraction,
      (v) => v >= 0.5,
      floor?.fraction === undefined ? 'n/a' : `${floor.fraction.toFixed(2)} of ${floor.floorWf.toFixed(0)} wf/s`,
      src('floor'),
    ],
    [
      'Worker CPU s / 1,000 wf, Bastion ÷ official (one activity, 50)',
      '≤ 0.7×',
      e2e?.ratios?.workerCpu,
      (v) => v <= 0.7,
      x(e2e?.ratios?.workerCpu),
      src('e2e'),
    ],
    ['Throughput, Bastion ÷ official (one activity, 50)', '≥ 1.0×', e2e?.ratios?.throughput, (v) => v >= 1, x(e2e?.ratios?.throughput), src('e2e')],
    ['p99 latency, Bastion ÷ official (one activity, 50)', '≤ 1.0×', e2e?.ratios?.p99, (v) => v <= 1, x(e2e?.ratios?.p99), src('e2e')],
    [
      `Memory per cached workflow, Bastion ÷ official (${scaling?.cachedKiB?.count ?? 1000} cached)`,
      '≤ 1.0×',
      r(scaling?.cachedKiB?.bastion, scaling?.cachedKiB?.official),
      (v) => v <= 1,
      scaling?.cachedKiB
        ? `${x(r(scaling.cachedKiB.bastion, scaling.cachedKiB.official))} (${scaling.cachedKiB.bastion?.toFixed(0)} vs ${scaling.cachedKiB.official?.toFixed(0)} KiB)`
        : 'n/a',
      src('scaling'),
    ],
    [
      'Start-up to RUNNING, Bastion ÷ official',
      '≤ 1.0×',
      r(worker?.startupS?.bastion, worker?.startupS?.official),
      (v) => v <= 1,
      worker?.startupS
        ? `${x(r(worker.startupS.bastion, worker.startupS.official))} (${worker.startupS.bastion?.toFixed(2)} vs ${worker.startupS.official?.toFixed(2)} s)`
        : 'n/a',
      src('worker'),
    ],
    [
      'Idle RSS, Bastion ÷ official',
      '≤ 0.5×',
      r(worker?.idleRssMiB?.bastion, worker?.idleRssMiB?.official),
      (v) => v <= 0.5,
      worker?.idleRssMiB
        ? `${x(r(worker.idleRssMiB.bastion, worker.idleRssMiB.official))} (${worker.idleRssMiB.bastion?.toFixed(0)} vs ${worker.idleRssMiB.official?.toFixed(0)} MiB)`
        : 'n/a',
      src('worker'),
    ],
    [
      'Encryption codec ÷ WebCrypto AES-256-GCM at 1 KiB (encode, decode)',
      '≥ 1.0×',
      codec?.vsAesGcm1024 && Math.min(codec.vsAesGcm1024.encode, codec.vsAesGcm1024.decode),
      (v) => v >= 1,
      codec?.vsAesGcm1024 ? `${x(codec.vsAesGcm1024.encode)}, ${x(codec.vsAesGcm1024.decode)}` : 'n/a',
      src('codec'),
    ],
    [
      'Encryption codec ÷ WebCrypto AES-256-GCM at 64 KiB (encode, decode)',
      '≥ 1.0×',
      codec?.vsAesGcm65536 && Math.min(codec.vsAesGcm65536.encode, codec.vsAesGcm65536.decode),
      (v) => v >= 1,
      codec?.vsAesGcm65536 ? `${x(codec.vsAesGcm65536.encode)}, ${x(codec.vsAesGcm65536.decode)}` : 'n/a',
      src('codec'),
    ],
  ];
  return `## Targets (issue 6)

Medians from the sections below; "from" says which run of which section each figure comes from.

| target | wanted | achieved | verdict | from |
|---|---|---|---|---|
${rows.map(([name, want, v, ok, shown, from]) => `| ${name} | ${want} | ${shown} | ${verdict(v, ok)} | ${from} |`).join('\n')}
`;
}

/** The header: command, date, machine, Node, load averages. */
function header({ argv, loadAtStart, quick, runs, rebuilt }) {
  const cpu = os.cpus();
  const load = (l) => l.map((v) => v.toFixed(2)).join(', ');
  const quality =
    quick || runs < 3
      ? `\n> **Quick figures**: this file was last written by a run with ${quick ? '`--quick` (small sizes)' : ''}${quick && runs < 3 ? ' and ' : ''}${runs < 3 ? `\`--runs ${runs}\`` : ''}, on a machine where other work may have run. Use them as orders of magnitude; a full \`npm run bench\` on a quiet machine gives the figures to quote.\n`
      : '';
  return `# Benchmark results

Generated by \`npm run bench\`${argv.length ? ` (\`${argv.join(' ')}\`)` : ''} on ${today()} ${new Date().toISOString().slice(11, 16)} UTC.
${quality}
- Machine: ${os.platform()} ${os.arch()}, ${cpu.length} cores, ${cpu[0] ? cpu[0].model.trim() : 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}
- Load average (1, 5, 15 min) at start: ${load(loadAtStart)}; at end: ${load(os.loadavg())}. Above ~1 the machine had other work; expect wider ranges.${rebuilt}
- Sections not run this time are kept from their last run, with their own date.
- How to read and reproduce these figures: [docs/performance.md](../docs/performance.md). Charts: [scaling-replay.svg](scaling-replay.svg), [scaling-cache-memory.svg](scaling-cache-memory.svg), [scaling-payload.svg](scaling-payload.svg).
`;
}

module.exports = { OUT, previousSections, loadFigures, saveFigures, targetsTable, header };
