/**
 * `npm start`: Bastion end to end on one machine. Starts the embedded dev server,
 * a Bastion worker and a Bastion client, runs a workflow with an activity, prints the
 * result and the history the server recorded, and stops everything.
 */
import * as path from 'node:path';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import * as activities from './activities';

async function main(): Promise<void> {
  const server = await DevServer.start({ logLevel: 'warn' });
  console.log(`dev server listening on ${server.address}`);
  const connection = await Connection.connect({ address: server.address });
  const quiet = { debug: () => undefined, info: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
  const worker = await Worker.create({
    connection,
    taskQueue: 'demo',
    workflowsPath: path.join(__dirname, 'workflows.js'),
    activities,
    logger: quiet,
  });
  console.log(`worker ${worker.getState()} on task queue "demo"`);
  const client = new Client({ connection });
  const result = await worker.runUntil(async () => {
    const handle = await client.workflow.start('greeting', { taskQueue: 'demo', workflowId: `demo-${Date.now()}`, args: ['Bastion'] });
    console.log(`started workflow ${handle.workflowId}`);
    const r = await handle.result();
    const { events } = await handle.fetchHistory();
    console.log(`history: ${events.length} events`);
    return r;
  });
  console.log(`result: ${result}`);
  console.log(`worker ${worker.getState()}`);
  await connection.close();
  await server.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
