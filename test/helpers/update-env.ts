/**
 * Shared set-up of the update tests (test/updates): where the update workflows are, and
 * a dev server with an official worker already running them on one task queue.
 */
import * as path from 'node:path';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { startOfficialEnv, workflowBundle, type OfficialEnv } from './official-env';

/** test/fixtures/update-workflows: a counter with update handlers, and workflows around it. */
export const UPDATE_WORKFLOWS_PATH = path.resolve(__dirname, '../fixtures/update-workflows.js');

export interface OfficialUpdateEnv {
  env: OfficialEnv;
  /** The update workflows, bundled by the official bundler. */
  bundle: { code: string };
  /** Another official worker running the update workflows on `taskQueue` (not started). */
  worker(taskQueue: string, extra?: Partial<WorkerOptions>): Promise<Worker>;
  /** Stops the running worker and every worker made by `worker`, then the dev server. */
  close(): Promise<void>;
}

/** A dev server and an official worker running the update workflows on `taskQueue`. */
export async function startOfficialUpdateEnv(taskQueue: string): Promise<OfficialUpdateEnv> {
  const [env, bundle] = await Promise.all([startOfficialEnv({}, { fixtureWorkflows: false }), workflowBundle(UPDATE_WORKFLOWS_PATH)]);
  const worker = (queue: string, extra: Partial<WorkerOptions> = {}) => env.worker(queue, { workflowBundle: bundle, ...extra });
  const main = await worker(taskQueue);
  const running = main.run();
  return {
    env,
    bundle,
    worker,
    async close() {
      main.shutdown();
      await running;
      await env.close();
    },
  };
}
