'use strict';
/**
 * One end-to-end cell: a worker alone in its process (e2e-worker.js) and a client driving
 * it from another (e2e-client.js), so the worker's CPU and memory are its own.
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { bench, runChild, startLongLived, failureText, startServer, DIST } = require('../child');

/** The codec key for every child of this run (never printed). */
const CODEC_ENV = { BENCH_CODEC_KEY: randomBytes(32).toString('base64') };

/**
 * @param {{ address: string, serverPid?: number }} server
 * @param {{ worker: string, client: string, scenario: string, concurrency: number, size: number, tlsDir?: string, codec?: boolean, payloadBytes?: number, warmup?: number, driver?: string, driverArgs?: string[] }} cell
 *   `driver`: another client child than e2e-client.js (e.g. `updates.bench.js`), given `driverArgs` instead of the scenario's.
 * @param {string} workerOptions JSON, or undefined
 * @returns {Promise<{ ok: true, json: object } | { ok: false, text: string }>}
 */
async function runCell(server, cell, workerOptions) {
  const taskQueue = `bench-e2e-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const common = [
    '--address',
    server.address,
    '--task-queue',
    taskQueue,
    ...(cell.tlsDir ? ['--tls-dir', cell.tlsDir] : []),
    ...(cell.codec ? ['--codec'] : []),
  ];
  const worker = startLongLived(bench('e2e-worker.js'), ['--sdk', cell.worker, ...common, ...(workerOptions ? ['--worker-options', workerOptions] : [])], {
    env: CODEC_ENV,
  });
  try {
    const ready = await worker.ready;
    const scenarioArgs = cell.driver
      ? cell.driverArgs
      : [
          '--sdk',
          cell.client,
          '--scenario',
          cell.scenario,
          '--size',
          String(cell.size),
          '--concurrency',
          String(cell.concurrency),
          ...(cell.payloadBytes ? ['--payload-bytes', String(cell.payloadBytes)] : []),
          ...(cell.warmup !== undefined ? ['--warmup', String(cell.warmup)] : []),
        ];
    const res = await runChild(
      bench(cell.driver ?? 'e2e-client.js'),
      [...common, ...scenarioArgs, '--worker-pid', String(ready.pid), ...(server.pid ? ['--server-pid', String(server.pid)] : [])],
      { env: CODEC_ENV },
    );
    const end = await worker.stop();
    if (res.code !== 0 || !res.json?.ok) return { ok: false, text: failureText(res) };
    const logged = end?.logged;
    return { ok: true, json: { ...res.json, startupMs: ready.startupMs, workerLogged: logged && logged.warn + logged.error > 0 ? logged : undefined } };
  } catch (err) {
    await worker.stop();
    return { ok: false, text: String(err?.message ?? err) };
  }
}

/**
 * Runs groups of cells `opts.runs` times against two dev servers (plaintext, and mTLS with
 * certificates made for this run), one progress line per cell.
 * @param {{ opts: object, progress: object, name: string, makeGroups: (tlsDir: string) => Array<{ id: string, cells: object[] }>, summary: (json: object) => string, alternate?: boolean }} a
 *   `alternate`: the cells of a group run in reverse order on every other run (A B, B A…).
 * @returns {Promise<{ groups: object[], results: Record<string, Record<string, object[]>>, failures: Array<{ label: string, text: string }> }>}
 */
async function runGroups({ opts, progress, name, makeGroups, summary, alternate = false }) {
  const { makeBenchPki } = require(path.join(DIST, 'bench-pki.js'));
  const pki = await makeBenchPki();
  const plain = await startServer();
  const groups = makeGroups(pki.dir);
  // The mTLS server only when a cell uses it.
  const mtls = groups.some((g) => g.cells.some((c) => c.tlsDir))
    ? await startServer(['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-client-ca', pki.caCert])
    : undefined;
  const results = {}; // group id -> cell label -> [json]
  const failures = [];
  try {
    for (let r = 0; r < opts.runs; r++) {
      for (const g of groups) {
        for (const cell of alternate && r % 2 ? [...g.cells].reverse() : g.cells) {
          const label = `${name} ${g.id} ${cell.label} run ${r + 1}`;
          const out = await runCell(cell.tlsDir ? mtls : plain, cell, opts.workerOptions);
          if (out.ok) {
            ((results[g.id] ??= {})[cell.label] ??= []).push(out.json);
            const j = out.json;
            progress.step(label, summary(j));
            if (j.workerLogged)
              failures.push({
                label,
                text: `worker logged ${j.workerLogged.warn} warnings, ${j.workerLogged.error} errors:\n${j.workerLogged.samples.join('\n')}`,
              });
          } else {
            failures.push({ label, text: out.text });
            progress.step(label, `FAILED: ${out.text.split('\n')[0]}`);
          }
        }
      }
    }
  } finally {
    await plain.stop();
    await mtls?.stop();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  }
  return { groups, results, failures };
}

module.exports = { runCell, runGroups, CODEC_ENV };
