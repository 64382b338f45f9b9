/**
 * An environment for judging the dev server with the official Temporal SDK: a dev
 * server on port 0, an official client, and official workers sharing one webpack
 * bundle of test/fixtures/workflows (made up front unless `fixtureWorkflows: false`).
 */
import * as path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { DevServer, type DevServerOptions } from '../../src/testing';

let runtimeInstalled = false;
const bundles = new Map<string, Promise<{ code: string }>>();

export const WORKFLOWS_PATH = path.resolve(__dirname, '../fixtures/workflows.js');

/** Quiet official runtime logs (warnings and errors only). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

/** The workflows at `workflowsPath` bundled by the official bundler, once per process. */
export function workflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<{ code: string }> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) bundles.set(workflowsPath, (bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') })));
  return bundle;
}

export interface OfficialEnv {
  server: DevServer;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  /** Creates an official worker on `taskQueue` with the fixture activities (and workflows, unless `extra` names others). */
  worker(taskQueue: string, extra?: Partial<WorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

/** How a test environment is made beyond its dev server's options. */
export interface EnvOptions {
  /**
   * Bundle test/fixtures/workflows before returning; with `false` it is bundled on the first
   * `worker()` that needs it, so files whose workers run other workflows skip it.
   * @default true
   */
  fixtureWorkflows?: boolean;
}

export async function startOfficialEnv(options: DevServerOptions = {}, { fixtureWorkflows = true }: EnvOptions = {}): Promise<OfficialEnv> {
  installQuietRuntime();
  const server = await DevServer.start({ logLevel: (process.env.BASTION_TEST_SERVER_LOG as never) ?? 'error', ...options });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const activities = await import('../fixtures/activities');
  if (fixtureWorkflows) await workflowBundle();
  const workers: Worker[] = [];
  return {
    server,
    client,
    connection,
    nativeConnection,
    async worker(taskQueue, extra = {}) {
      const workflows = extra.workflowBundle || extra.workflowsPath ? {} : { workflowBundle: await workflowBundle() };
      const w = await Worker.create({ connection: nativeConnection, taskQueue, ...workflows, activities, shutdownGraceTime: '1s', ...extra });
      workers.push(w);
      return w;
    },
    async close() {
      for (const w of workers) {
        if (w.getState() === 'RUNNING') w.shutdown();
      }
      await Promise.all(workers.map((w) => waitStopped(w)));
      await connection.close();
      await nativeConnection.close();
      await server.close();
    },
  };
}

/** Runs `fn` while `worker` runs, then shuts the worker down and waits for it. */
export async function whileRunning<T>(worker: Worker, fn: () => Promise<T>): Promise<T> {
  return worker.runUntil(fn);
}

async function waitStopped(w: Worker): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!['STOPPED', 'FAILED', 'INITIALIZED'].includes(w.getState()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
