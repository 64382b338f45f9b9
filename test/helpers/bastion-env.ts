/**
 * An environment for Bastion's own worker and client: a dev server, a Bastion
 * Connection and Client, and Bastion workers running the same workflow files the
 * official SDK runs (test/fixtures/workflows, written against @temporalio/workflow).
 */
import * as path from 'node:path';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker, bundleWorkflowCode, type WorkerOptions } from '../../src/worker';
import { DevServer, type DevServerOptions } from '../../src/testing';
import * as activities from '../fixtures/bastion-activities';
import type { EnvOptions } from './official-env';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../fixtures/workflows.js');
const bundles = new Map<string, Promise<{ code: string }>>();

/** The workflows at `workflowsPath` bundled by Bastion's bundler, once per process. */
export function bastionBundle(workflowsPath = WORKFLOWS_PATH): Promise<{ code: string }> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) bundles.set(workflowsPath, (bundle = bundleWorkflowCode({ workflowsPath })));
  return bundle;
}

export const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface BastionEnv {
  server: DevServer;
  connection: Connection;
  client: Client;
  worker(taskQueue: string, extra?: Partial<WorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

export async function startBastionEnv(options: DevServerOptions = {}, { fixtureWorkflows = true }: EnvOptions = {}): Promise<BastionEnv> {
  const server = await DevServer.start({ logLevel: 'off', ...options });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  if (fixtureWorkflows) await bastionBundle();
  return {
    server,
    connection,
    client,
    worker: async (taskQueue, extra = {}) =>
      Worker.create({
        connection,
        taskQueue,
        ...(extra.workflowBundle || extra.workflowsPath ? {} : { workflowBundle: await bastionBundle() }),
        activities,
        shutdownGraceTime: '1s',
        shutdownSignals: [],
        logger: quietLogger,
        ...extra,
      }),
    async close() {
      await connection.close();
      await server.close();
    },
  };
}
