/** The SQLite store: restart in-process, and clear errors for unusable files. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Connection } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { timed } from '../helpers/wait';

const test = suite('dev server SQLite store');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-store-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test(
  'namespaces, runs and histories survive a clean restart',
  timed(20_000, async () => {
    const db = path.join(dir, 'restart.db');
    let server = await DevServer.start({ dbFilename: db, namespaces: ['orders'], logLevel: 'off' });
    let conn = await Connection.connect({ address: server.address });
    const { runId } = await conn.workflowService.startWorkflowExecution({
      namespace: 'orders',
      workflowId: 'o-1',
      workflowType: { name: 'wf' },
      taskQueue: { name: 'q' },
      requestId: 'req-1',
    });
    await conn.workflowService.signalWorkflowExecution({ namespace: 'orders', workflowExecution: { workflowId: 'o-1' }, signalName: 'paid' });
    await conn.close();
    await server.close();

    server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
    conn = await Connection.connect({ address: server.address });
    try {
      const ns = await conn.workflowService.describeNamespace({ namespace: 'orders' });
      assert.is(ns.namespaceInfo?.name, 'orders', 'namespace persisted without --namespace');
      const h = await conn.workflowService.getWorkflowExecutionHistory({ namespace: 'orders', execution: { workflowId: 'o-1' } });
      assert.is(h.history!.events!.length, 3, 'started, task scheduled, signaled');
      assert.equal(
        h.history!.events!.map((e) => Number(e.eventId)),
        [1, 2, 3],
      );
      const again = await conn.workflowService.startWorkflowExecution({
        namespace: 'orders',
        workflowId: 'o-1',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q' },
        requestId: 'req-1',
      });
      assert.is(again.runId, runId, 'request-id dedupe survives a restart');
      const task = await conn.workflowService.pollWorkflowTaskQueue({ namespace: 'orders', taskQueue: { name: 'q' }, identity: 't' });
      assert.is(task.workflowExecution?.runId, runId, 'the pending workflow task is offered again');
    } finally {
      await conn.close();
      await server.close();
    }
  }),
);

test(
  'an unopenable database file is a clear error naming it',
  timed(10_000, async () => {
    const err = await DevServer.start({ dbFilename: path.join(dir, 'no/such/dir/x.db') }).catch((e) => e);
    assert.is(err.code, 'ERR_SERVER_STORE');
    assert.match(err.message, /Could not open the database `--db-filename` .*no\/such\/dir\/x\.db/);
  }),
);

test(
  'a database of another schema version is refused, not altered',
  timed(10_000, async () => {
    const file = path.join(dir, 'future.db');
    const d = new Database(file);
    d.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '99');");
    d.close();
    const err = await DevServer.start({ dbFilename: file }).catch((e) => e);
    assert.is(err.code, 'ERR_SERVER_STORE');
    assert.match(err.message, /schema version 99/);
  }),
);

test.run();
