/**
 * DeleteWorkflowExecution on the dev server, judged with the official client: a closed run
 * is removed (from SQLite too, across a restart); a running one is terminated first, so a
 * caller awaiting its result sees the termination.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { timed } from '../helpers/wait';

const test = suite('dev server DeleteWorkflowExecution');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-delete-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const start = (client: Client, workflowId: string) => client.workflow.start('neverRuns', { taskQueue: 'nobody-polls', workflowId });

test(
  'a running workflow is terminated, then gone; a result waiter sees the termination',
  timed(30_000, async () => {
    const server = await DevServer.start({ logLevel: 'off' });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    try {
      const handle = await start(client, 'del-1');
      const result = handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      await connection.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'del-1' } });
      const err = await result;
      assert.instance(err, WorkflowFailedError);
      assert.match(String((err as WorkflowFailedError).cause?.message), /Delete workflow execution/);
      const described = await handle.describe().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.instance(described, WorkflowNotFoundError);
      const { count } = await client.workflow.count(`WorkflowId = 'del-1'`);
      assert.is(count, 0);
      // The id is free again, and deleting what is gone is NOT_FOUND.
      await start(client, 'del-1');
      await connection.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'del-1' } });
      const again = await connection.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'del-1' } }).then(
        () => undefined,
        (e: { code?: number }) => e,
      );
      assert.is((again as { code?: number }).code, 5, 'NOT_FOUND');
    } finally {
      await connection.close();
      await server.close();
    }
  }),
);

test(
  'a deleted run stays deleted after a restart on the same database',
  timed(30_000, async () => {
    const db = path.join(dir, 'delete.db');
    let server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
    let connection = await Connection.connect({ address: server.address });
    let client = new Client({ connection });
    await start(client, 'kept');
    const gone = await start(client, 'gone');
    await gone.terminate('done');
    await connection.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'gone' } });
    await connection.close();
    await server.close();

    server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    try {
      const ids: string[] = [];
      for await (const w of client.workflow.list()) ids.push(w.workflowId);
      assert.equal(ids, ['kept']);
      const err = await client.workflow
        .getHandle('gone')
        .describe()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.instance(err, WorkflowNotFoundError);
    } finally {
      await connection.close();
      await server.close();
    }
  }),
);

test.run();
