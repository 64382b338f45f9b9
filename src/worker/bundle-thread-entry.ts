/**
 * The bundler's thread: bundles once, posts the result (or the error's code and message)
 * and exits, so webpack and everything it allocated leave the worker's process with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BastionError } from '../common/errors';
import { bundleWorkflowCode, type BundleOptions } from './bundler';

const port = parentPort!;
const logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: object) => port.postMessage({ kind: 'warn', message, meta }),
};

bundleWorkflowCode({ ...(workerData as BundleOptions), logger }).then(
  (bundle) => port.postMessage({ kind: 'done', bundle }),
  (err: unknown) => {
    const e = err as Error & { code?: string };
    port.postMessage({ kind: 'failed', code: err instanceof BastionError ? e.code : undefined, message: e?.message ?? String(err) });
  },
);
