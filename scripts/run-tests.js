#!/usr/bin/env node
'use strict';
/**
 * Runs every compiled uvu test file (dist/test/**\/*.test.js) in its own process with a
 * time limit, then prints, last, one line: `N passed, N failed, N skipped` counting
 * test cases. A file that crashes or runs past its limit counts as one failure on top
 * of what it reported. Usage: node scripts/run-tests.js [--faults] [filter...]
 * `--faults` (`npm run faults`) runs only test/faults at the trial's sizes (100 workflows,
 * 90 s faults, the official worker as reference; BASTION_FAULTS=long) with a 30-minute
 * limit per file, and prints the measured recovery times (`[fault-trial]` lines).
 * `--jobs N` (or BASTION_TEST_JOBS) runs N files at a time (default 1); a file's output is
 * then printed whole when it ends, so files never interleave.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TEST_DIR = path.join(ROOT, 'dist', 'test');
const FAULTS = process.argv.includes('--faults');
if (FAULTS) process.env.BASTION_FAULTS = 'long';
const FILE_TIMEOUT_MS = Number(process.env.BASTION_TEST_FILE_TIMEOUT_MS || (FAULTS ? 1_800_000 : 240_000));

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const JOBS = Number(option('--jobs', process.env.BASTION_TEST_JOBS || 1));
if (!Number.isInteger(JOBS) || JOBS < 1) {
  console.error(`\`--jobs\` must be a whole number of at least 1, got ${option('--jobs', process.env.BASTION_TEST_JOBS)}`);
  process.exit(2);
}

function runFile(file, live) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (live) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      if (live) process.stderr.write(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

function sumField(out, label) {
  let total = 0;
  const re = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm');
  for (const m of out.matchAll(re)) total += Number(m[1]);
  return total;
}

async function main() {
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--faults' && a !== '--jobs' && all[i - 1] !== '--jobs');
  const filters = FAULTS ? (args.length ? args : ['test/faults/']) : args;
  // Filters match the path from the project root, so a checkout in a folder named like a test does not match everything.
  const files = findTests(TEST_DIR).filter((f) => filters.length === 0 || filters.some((x) => path.relative(ROOT, f).includes(x)));
  if (files.length === 0) {
    console.error(`no test files found under ${path.relative(ROOT, TEST_DIR)}; run \`npm run build\` first`);
  }
  let passed = 0,
    failed = 0,
    skipped = 0;
  const live = JOBS === 1;
  async function one(file) {
    const rel = path.relative(ROOT, file);
    if (live) console.log(`\n# ${rel}`);
    const started = Date.now();
    const { code, out, timedOut } = await runFile(file, live);
    if (!live) process.stdout.write(`\n# ${rel}\n${out}`);
    const total = sumField(out, 'Total');
    const p = sumField(out, 'Passed');
    const s = sumField(out, 'Skipped');
    passed += p;
    skipped += s;
    let f = Math.max(0, total - p - s);
    if (timedOut) {
      console.log(`# ${rel}: killed after ${FILE_TIMEOUT_MS} ms`);
      f += 1;
    } else if (code !== 0 && f === 0) {
      console.log(`# ${rel}: exited with code ${code}`);
      f += 1;
    }
    failed += f;
    console.log(`# ${rel}: ${p} passed, ${f} failed, ${s} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const queue = [...files];
  await Promise.all(
    Array.from({ length: Math.min(JOBS, files.length) }, async () => {
      while (queue.length > 0) await one(queue.shift());
    }),
  );
  if (files.length === 0) failed += 1;
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
