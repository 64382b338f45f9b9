'use strict';
/** Command-line options of bench/run.js, parsed and checked once. */

/** Every section, in the order they run and appear in RESULTS.md. */
const SECTIONS = ['dev-server', 'worker', 'e2e', 'e2e-matrix', 'scaling', 'floor', 'codec', 'rotation', 'native', 'observability', 'updates'];

const USAGE = `Usage: npm run bench -- [--only SECTION[,SECTION]] [--runs N] [--size N] [--quick] [--worker-options JSON]
  sections: ${SECTIONS.join(', ')}`;

function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/**
 * @param {string[]} argv
 * @returns {{ runs: number, size?: number, only?: string[], quick: boolean, workerOptions?: string, sections: string[] }}
 */
function parseOptions(argv) {
  const known = new Set(['--runs', '--size', '--only', '--quick', '--worker-options', '--help']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) fail(`Unknown option \`${a}\`.`);
  if (argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const get = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = get('runs') === undefined ? 3 : Number(get('runs'));
  const size = get('size') === undefined ? undefined : Number(get('size'));
  if (!Number.isInteger(runs) || runs < 1) fail(`\`--runs\` must be a positive integer; got ${get('runs')}.`);
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) fail(`\`--size\` must be a positive integer; got ${get('size')}.`);
  const only =
    get('only') === undefined
      ? undefined
      : get('only')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const s of only ?? []) if (!SECTIONS.includes(s)) fail(`\`--only\` takes sections from ${SECTIONS.join(', ')}; got \`${s}\`.`);
  const workerOptions = get('worker-options');
  if (workerOptions !== undefined) {
    try {
      const parsed = JSON.parse(workerOptions);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    } catch (err) {
      fail(`\`--worker-options\` must be a JSON object such as '{"maxCachedWorkflows":0}'; got ${workerOptions} (${err.message}).`);
    }
  }
  const quick = argv.includes('--quick');
  return { runs, size, only, quick, workerOptions, sections: only ? SECTIONS.filter((s) => only.includes(s)) : SECTIONS };
}

module.exports = { parseOptions, SECTIONS };
