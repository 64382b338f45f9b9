'use strict';
/** Child processes: one-shot benchmark children, the dev server, and long-lived workers. */
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist/bench');
/** A child that has not finished in this long is killed and recorded as stalled. */
const CHILD_TIMEOUT_MS = 5 * 60_000;

/** The compiled benchmark child `name` (e.g. `e2e-client.js`). */
const bench = (name) => path.join(DIST, name);

/** Runs `node [nodeArgs] file args`; resolves with its exit code, stdout, the tail of stderr, whether it timed out, and its last JSON line. */
function runChild(file, args = [], { env = {}, nodeArgs = [], timeoutMs = CHILD_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, json: lastJson(stdout) });
    });
  });
}

/** The last JSON line of a child's stdout, or undefined. */
function lastJson(stdout) {
  const line = stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Why a child run failed, in one paragraph for RESULTS.md. */
function failureText(res) {
  const why = res.timedOut ? `killed after ${CHILD_TIMEOUT_MS / 1000} s (stalled)` : `exit ${res.code ?? res.signal}`;
  if (res.json?.error)
    return `${why}${res.json.phase ? `; phase ${res.json.phase}, ${res.json.completedInPhase} workflows completed in that phase` : ''}\n${res.json.error}`;
  return `${why}\n${res.stderr.trim().split('\n').slice(-15).join('\n')}`;
}

/**
 * Runs the compiled benchmark child `name` with `--key value` for each entry of `flags` and
 * resolves with its last JSON line, which must hold `results`.
 * @throws Error with {@link failureText} when the child fails or prints no results
 */
async function runBenchJson(name, flags) {
  const res = await runChild(
    bench(name),
    Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]),
  );
  if (res.code !== 0 || !res.json?.results) throw new Error(`${name} failed: ${failureText(res)}`);
  return res.json;
}

/** Starts `bastion server start-dev --port 0 [extraArgs]` as its own process. */
async function startServer(extraArgs = []) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/bastion.js'), 'server', 'start-dev', '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`dev server exited with ${code}: ${err.trim()}`)));
  });
  return {
    address,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Starts a long-lived child that prints a JSON line with `ready: true` (or `port`) when it
 * is ready; `stop()` closes its stdin (or sends SIGTERM) and resolves with its last JSON line.
 */
function startLongLived(file, args, { env = {}, readyKey = 'ready', stopBy = 'stdin', timeoutMs = 120_000 } = {}) {
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(file)} was not ready after ${timeoutMs / 1000} s\n${stderr.trim().split('\n').slice(-10).join('\n')}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n')) {
        try {
          const j = JSON.parse(line);
          if (j && j[readyKey] !== undefined) {
            clearTimeout(timer);
            resolve(j);
            return;
          }
          if (j && j.ok === false) {
            clearTimeout(timer);
            reject(new Error(j.error));
            return;
          }
        } catch {
          // not a complete JSON line yet
        }
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${path.basename(file)} exited with ${code} before it was ready\n${(lastJson(stdout)?.error ?? stderr).trim().split('\n').slice(-10).join('\n')}`,
        ),
      );
    });
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid,
    ready,
    async stop() {
      if (child.exitCode === null) {
        if (stopBy === 'stdin') child.stdin.end();
        else child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
      }
      return lastJson(stdout);
    },
  };
}

module.exports = { ROOT, DIST, CHILD_TIMEOUT_MS, bench, runChild, runBenchJson, lastJson, failureText, startServer, startLongLived };
