/**
 * An environment for judging the dev server with the official Temporal SDK: a dev
 * server on port 0, an official client, and official workers sharing one webpack
 * bundle of test/fixtures/workflows.
 */
import * as path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { DevServer, type DevServerOptions } from '../../src/testing';

let runtimeInstalled = false;
let bundlePromise: Promise<{ code: string }> | undefined;

export const WORKFLOWS_PATH = path.resolve(__dirname, '../fixtures/workflows.js');

/** Quiet official runtime logs (warnings and errors only). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

export function workflowBundle(): Promise<{ code: string }> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
  return bundlePromise;
}

export interface OfficialEnv {
  server: DevServer;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  /** Creates an official worker on `taskQueue` with the fixture activities. */
  worker(taskQueue: string, extra?: Partial<WorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

export async function startOfficialEnv(options: DevServerOptions = {}): Promise<OfficialEnv> {
  installQuietRuntime();
  const server = await DevServer.start({ logLevel: (process.env.BASTION_TEST_SERVER_LOG as never) ?? 'error', ...options });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const activities = await import('../fixtures/activities');
  const bundle = await workflowBundle();
  const workers: Worker[] = [];
  return {
    server,
    client,
    connection,
    nativeConnection,
    async worker(taskQueue, extra = {}) {
      const w = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities, shutdownGraceTime: '1s', ...extra });
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
