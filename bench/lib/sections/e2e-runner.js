'use strict';
/**
 * One end-to-end cell: a worker alone in its process (e2e-worker.js) and a client driving
 * it from another (e2e-client.js), so the worker's CPU and memory are its own.
 */
const { randomBytes } = require('node:crypto');
const { bench, runChild, startLongLived, failureText } = require('../child');

/** The codec key for every child of this run (never printed). */
const CODEC_ENV = { BENCH_CODEC_KEY: randomBytes(32).toString('base64') };

/**
 * @param {{ address: string, serverPid?: number }} server
 * @param {{ worker: string, client: string, scenario: string, concurrency: number, size: number, tlsDir?: string, codec?: boolean, payloadBytes?: number, warmup?: number }} cell
 * @param {string} workerOptions JSON, or undefined
 * @returns {Promise<{ ok: true, json: object } | { ok: false, text: string }>}
 */
async function runCell(server, cell, workerOptions) {
  const taskQueue = `bench-e2e-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const common = ['--address', server.address, '--task-queue', taskQueue, ...(cell.tlsDir ? ['--tls-dir', cell.tlsDir] : []), ...(cell.codec ? ['--codec'] : [])];
  const worker = startLongLived(bench('e2e-worker.js'), ['--sdk', cell.worker, ...common, ...(workerOptions ? ['--worker-options', workerOptions] : [])], { env: CODEC_ENV });
  try {
    const ready = await worker.ready;
    const res = await runChild(bench('e2e-client.js'), [
      '--sdk', cell.client, ...common, '--scenario', cell.scenario, '--size', String(cell.size), '--concurrency', String(cell.concurrency),
      '--worker-pid', String(ready.pid), ...(server.pid ? ['--server-pid', String(server.pid)] : []),
      ...(cell.payloadBytes ? ['--payload-bytes', String(cell.payloadBytes)] : []), ...(cell.warmup !== undefined ? ['--warmup', String(cell.warmup)] : []),
    ], { env: CODEC_ENV });
    const end = await worker.stop();
    if (res.code !== 0 || !res.json?.ok) return { ok: false, text: failureText(res) };
    const logged = end?.logged;
    return { ok: true, json: { ...res.json, startupMs: ready.startupMs, workerLogged: logged && logged.warn + logged.error > 0 ? logged : undefined } };
  } catch (err) {
    await worker.stop();
    return { ok: false, text: String(err?.message ?? err) };
  }
}

module.exports = { runCell, CODEC_ENV };
