/**
 * Task tokens are authorised against the namespace sealed inside them and cannot be forged:
 * an API key granted only `default` can neither complete nor heartbeat nor answer tasks of
 * a workflow in `orders`, whether it sends an empty namespace with a real token, its own
 * namespace with a real token, or a token it made up. Judged with the official client.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { Connection } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { timed } from '../helpers/wait';

const E = temporal.api.enums.v1;
const test = suite('dev server: task tokens and namespaces');
const ADMIN = `bk_${'a1'.repeat(12)}`;
const NARROW = `bk_${'d3'.repeat(12)}`;
let server: DevServer;
let admin: Connection;
let narrow: Connection;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-tokens-'));

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off', namespaces: ['orders'], apiKeys: [ADMIN, { key: NARROW, namespaces: ['default'] }] });
  admin = await Connection.connect({ address: server.address, apiKey: ADMIN, tls: false });
  narrow = await Connection.connect({ address: server.address, apiKey: NARROW, tls: false });
});

test.after(async () => {
  await admin?.close();
  await narrow?.close();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

const schedule = (id: string, taskQueue: string) => ({
  commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: {
    activityId: id,
    activityType: { name: 'charge' },
    taskQueue: { name: taskQueue },
    startToCloseTimeout: { seconds: 60 as never },
  },
});

/** A token in the unsigned form the server used to accept: base64 JSON naming any run. */
const unsigned = (body: object) => Buffer.from(JSON.stringify(body));

/** A real token with one bit of its body flipped. */
function tampered(token: Uint8Array): Buffer {
  const b = Buffer.from(token);
  b[5] ^= 0x01;
  return b;
}

async function startOrder(conn: Connection, workflowId: string, taskQueue: string) {
  const { runId } = await conn.workflowService.startWorkflowExecution({
    namespace: 'orders',
    workflowId,
    workflowType: { name: 'order' },
    taskQueue: { name: taskQueue },
    requestId: randomUUID(),
  });
  const task = await conn.workflowService.pollWorkflowTaskQueue({ namespace: 'orders', taskQueue: { name: taskQueue }, identity: 'orders-worker' });
  assert.is(task.workflowExecution?.runId, runId);
  return { runId: runId!, task };
}

test(
  'a workflow task of `orders` cannot be completed with a key granted only `default`',
  timed(20_000, async () => {
    const { runId, task } = await startOrder(admin, 'order-wft', 'q-wft');
    const denied = await failure(
      narrow.workflowService.respondWorkflowTaskCompleted({ namespace: '', taskToken: task.taskToken, identity: 'intruder', commands: [] }),
    );
    assert.is(denied.code, grpc.status.PERMISSION_DENIED, denied.details);
    assert.match(denied.details, /not granted namespace "orders"/);
    const denied2 = await failure(narrow.workflowService.respondWorkflowTaskFailed({ namespace: '', taskToken: task.taskToken, identity: 'intruder' }));
    assert.is(denied2.code, grpc.status.PERMISSION_DENIED);

    const mismatch = await failure(
      narrow.workflowService.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'intruder', commands: [] }),
    );
    assert.is(mismatch.code, grpc.status.INVALID_ARGUMENT);
    assert.match(mismatch.details, /token from a different namespace/);

    for (const forged of [unsigned({ k: 'w', n: 'orders', w: 'order-wft', r: runId, s: 2, a: 1, t: 3 }), tampered(task.taskToken!)]) {
      for (const namespace of ['', 'default']) {
        const e = await failure(narrow.workflowService.respondWorkflowTaskCompleted({ namespace, taskToken: forged, identity: 'intruder', commands: [] }));
        assert.is(e.code, grpc.status.INVALID_ARGUMENT, `${namespace}: ${e.details}`);
        assert.match(e.details, /Error deserializing task token/);
      }
    }
    const e = await failure(
      admin.workflowService.respondWorkflowTaskCompleted({
        namespace: 'orders',
        taskToken: unsigned({ k: 'w', n: 'orders', r: runId, s: 2, a: 1, t: 3 }),
        commands: [],
      }),
    );
    assert.is(e.code, grpc.status.INVALID_ARGUMENT, 'a forged token is refused whoever sends it');

    // Nothing above touched the task: its rightful worker completes it.
    await admin.workflowService.respondWorkflowTaskCompleted({
      namespace: 'orders',
      taskToken: task.taskToken,
      identity: 'orders-worker',
      commands: [schedule('charge-1', 'q-wft')],
    });
    const history = await admin.workflowService.getWorkflowExecutionHistory({ namespace: 'orders', execution: { workflowId: 'order-wft' } });
    const types = history.history!.events!.map((ev) => ev.eventType);
    assert.is(types.filter((t) => t === E.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length, 1);
    assert.ok(types.includes(E.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED));
  }),
);

test(
  "activity task tokens: heartbeat, complete, fail and cancel are authorised against the token's namespace",
  timed(20_000, async () => {
    const { task } = await startOrder(admin, 'order-act', 'q-act');
    await admin.workflowService.respondWorkflowTaskCompleted({
      namespace: 'orders',
      taskToken: task.taskToken,
      identity: 'orders-worker',
      commands: [schedule('charge-2', 'q-act')],
    });
    const act = await admin.workflowService.pollActivityTaskQueue({ namespace: 'orders', taskQueue: { name: 'q-act' }, identity: 'orders-worker' });
    assert.ok(act.taskToken?.length);
    const svc = narrow.workflowService;
    const calls: Array<[string, (namespace: string, taskToken: Uint8Array) => Promise<unknown>]> = [
      ['RecordActivityTaskHeartbeat', (namespace, taskToken) => svc.recordActivityTaskHeartbeat({ namespace, taskToken })],
      ['RespondActivityTaskCompleted', (namespace, taskToken) => svc.respondActivityTaskCompleted({ namespace, taskToken })],
      ['RespondActivityTaskFailed', (namespace, taskToken) => svc.respondActivityTaskFailed({ namespace, taskToken, failure: { message: 'no' } })],
      ['RespondActivityTaskCanceled', (namespace, taskToken) => svc.respondActivityTaskCanceled({ namespace, taskToken })],
    ];
    for (const [name, call] of calls) {
      const denied = await failure(call('', act.taskToken!));
      assert.is(denied.code, grpc.status.PERMISSION_DENIED, `${name}: ${denied.details}`);
      const mismatch = await failure(call('default', act.taskToken!));
      assert.is(mismatch.code, grpc.status.INVALID_ARGUMENT, `${name}: ${mismatch.details}`);
      const forged = await failure(call('', tampered(act.taskToken!)));
      assert.is(forged.code, grpc.status.INVALID_ARGUMENT, `${name}: ${forged.details}`);
    }
    const byId = await failure(svc.respondActivityTaskCompletedById({ namespace: 'orders', workflowId: 'order-act', activityId: 'charge-2' }));
    assert.is(byId.code, grpc.status.PERMISSION_DENIED);
    const wrongKind = await failure(admin.workflowService.respondActivityTaskCompleted({ namespace: 'orders', taskToken: task.taskToken }));
    assert.is(wrongKind.code, grpc.status.INVALID_ARGUMENT, 'a workflow task token is not an activity task token');
    assert.match(wrongKind.details, /workflow task token/);
    const beat = await admin.workflowService.recordActivityTaskHeartbeat({ namespace: '', taskToken: act.taskToken });
    assert.is(beat.cancelRequested, false, 'the rightful worker still heartbeats, with the namespace taken from the token');
    await admin.workflowService.respondActivityTaskCompleted({ namespace: 'orders', taskToken: act.taskToken });
  }),
);

test(
  'a query task of `orders` cannot be answered with a key granted only `default`',
  timed(20_000, async () => {
    const { task } = await startOrder(admin, 'order-query', 'q-query');
    await admin.workflowService.respondWorkflowTaskCompleted({
      namespace: 'orders',
      taskToken: task.taskToken,
      identity: 'orders-worker',
      commands: [schedule('charge-3', 'q-query')],
    });
    const query = admin.workflowService.queryWorkflow({ namespace: 'orders', execution: { workflowId: 'order-query' }, query: { queryType: 'status' } });
    const queryTask = await admin.workflowService.pollWorkflowTaskQueue({ namespace: 'orders', taskQueue: { name: 'q-query' }, identity: 'orders-worker' });
    assert.ok(queryTask.query, 'a query task');
    const denied = await failure(
      narrow.workflowService.respondQueryTaskCompleted({
        namespace: '',
        taskToken: queryTask.taskToken,
        completedType: E.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
        queryResult: { payloads: [] },
      }),
    );
    assert.is(denied.code, grpc.status.PERMISSION_DENIED, denied.details);
    const forged = await failure(
      narrow.workflowService.respondQueryTaskCompleted({
        namespace: 'default',
        taskToken: tampered(queryTask.taskToken!),
        completedType: E.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
      }),
    );
    assert.is(forged.code, grpc.status.INVALID_ARGUMENT);
    await admin.workflowService.respondQueryTaskCompleted({
      namespace: 'orders',
      taskToken: queryTask.taskToken,
      completedType: E.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
      queryResult: { payloads: [{ metadata: {}, data: Buffer.from('ok') }] },
    });
    const answer = await query;
    assert.is(Buffer.from(answer.queryResult!.payloads![0]!.data!).toString(), 'ok', 'the rightful answer got through');
  }),
);

test(
  'history page tokens are sealed: forged, altered or task tokens are refused',
  timed(20_000, async () => {
    await startOrder(admin, 'order-history', 'q-history');
    const page = await admin.workflowService.getWorkflowExecutionHistory({
      namespace: 'orders',
      execution: { workflowId: 'order-history' },
      maximumPageSize: 1,
    });
    assert.ok(page.nextPageToken?.length, 'a first page with a token');
    const next = await admin.workflowService.getWorkflowExecutionHistory({
      namespace: 'orders',
      execution: { workflowId: 'order-history' },
      maximumPageSize: 1,
      nextPageToken: page.nextPageToken,
    });
    assert.is(Number(next.history!.events![0]!.eventId), 2, 'the real token pages on');
    const foreign = await failure(
      narrow.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'x' }, nextPageToken: page.nextPageToken }),
    );
    assert.is(foreign.code, grpc.status.INVALID_ARGUMENT);
    assert.match(foreign.details, /another namespace/);
    // A run of `default`, read through a forged token in the old unsigned form.
    const { runId } = await narrow.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: 'mine',
      workflowType: { name: 'wf' },
      taskQueue: { name: 'q-mine' },
      requestId: randomUUID(),
    });
    for (const token of [unsigned({ r: runId, n: 1, l: 0 }), tampered(page.nextPageToken!)]) {
      const e = await failure(
        narrow.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'mine' }, nextPageToken: token }),
      );
      assert.is(e.code, grpc.status.INVALID_ARGUMENT, e.details);
      assert.match(e.details, /not a page token issued by this server/);
    }
  }),
);

test(
  'DescribeNamespace by id is authorised on the namespace with that id',
  timed(10_000, async () => {
    const orders = await admin.workflowService.describeNamespace({ namespace: 'orders' });
    const e = await failure(narrow.workflowService.describeNamespace({ id: orders.namespaceInfo!.id! }));
    assert.is(e.code, grpc.status.PERMISSION_DENIED, e.details);
    const own = await admin.workflowService.describeNamespace({ namespace: 'default' });
    const ok = await narrow.workflowService.describeNamespace({ id: own.namespaceInfo!.id! });
    assert.is(ok.namespaceInfo?.name, 'default');
  }),
);

test(
  'ListNamespaces shows a limited key only its namespaces',
  timed(10_000, async () => {
    const names = async (conn: Connection) => (await conn.workflowService.listNamespaces({})).namespaces!.map((n) => n.namespaceInfo?.name);
    assert.equal(await names(narrow), ['default']);
    assert.equal(await names(admin), ['default', 'orders']);
  }),
);

test(
  'tokens survive a restart on the same database; another in-memory server refuses them',
  timed(30_000, async () => {
    const db = path.join(dir, 'tokens.db');
    let durable = await DevServer.start({ logLevel: 'off', dbFilename: db, namespaces: ['orders'] });
    let conn = await Connection.connect({ address: durable.address });
    const { task } = await startOrder(conn, 'order-restart', 'q-restart');
    await conn.workflowService.respondWorkflowTaskCompleted({
      namespace: 'orders',
      taskToken: task.taskToken,
      identity: 'w',
      commands: [schedule('charge-4', 'q-restart')],
    });
    const act = await conn.workflowService.pollActivityTaskQueue({ namespace: 'orders', taskQueue: { name: 'q-restart' }, identity: 'w' });
    await conn.close();
    await durable.close();

    const other = await DevServer.start({ logLevel: 'off', namespaces: ['orders'] });
    const otherConn = await Connection.connect({ address: other.address });
    try {
      const e = await failure(otherConn.workflowService.respondActivityTaskCompleted({ namespace: 'orders', taskToken: act.taskToken }));
      assert.is(e.code, grpc.status.INVALID_ARGUMENT, 'a token sealed by another server process');
    } finally {
      await otherConn.close();
      await other.close();
    }

    durable = await DevServer.start({ logLevel: 'off', dbFilename: db });
    conn = await Connection.connect({ address: durable.address });
    try {
      await conn.workflowService.respondActivityTaskCompleted({ namespace: 'orders', taskToken: act.taskToken, identity: 'w' });
      const history = await conn.workflowService.getWorkflowExecutionHistory({ namespace: 'orders', execution: { workflowId: 'order-restart' } });
      assert.ok(
        history.history!.events!.some((ev) => ev.eventType === E.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
        'completed after the restart',
      );
    } finally {
      await conn.close();
      await durable.close();
    }
  }),
);

test.run();
