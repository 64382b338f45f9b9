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

export const WORKFLOWS_PATH = path.resolve(__dirname, '../fixtures/workflows.js');
let bundle: Promise<{ code: string }> | undefined;

export function bastionBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  return bundle!;
}

export const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface BastionEnv {
  server: DevServer;
  connection: Connection;
  client: Client;
  worker(taskQueue: string, extra?: Partial<WorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

export async function startBastionEnv(options: DevServerOptions = {}): Promise<BastionEnv> {
  const server = await DevServer.start({ logLevel: 'off', ...options });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const code = (await bastionBundle()).code;
  return {
    server,
    connection,
    client,
    worker: (taskQueue, extra = {}) =>
      Worker.create({
        connection,
        taskQueue,
        workflowBundle: { code },
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
