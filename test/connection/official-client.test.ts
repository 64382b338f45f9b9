/**
 * The official `@temporalio/client` over a Bastion `Connection` (its `ConnectionLike`),
 * against the dev server with mutual TLS and API keys, Bastion's worker running the
 * workflows: the Client's whole surface, the call scopes (`withDeadline`, `withMetadata`,
 * `withAbortSignal`) as the server sees them, and a certificate rotation under the Client.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Client, isGrpcCancelledError, isGrpcDeadlineError, WorkflowFailedError, type ConnectionLike, type WorkflowExecutionInfo } from '@temporalio/client';
import { Connection, type ConnectionOptions } from '../../src/connection';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import * as activities from '../fixtures/bastion-activities';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { rejection } from '../helpers/errors';
import { timed } from '../helpers/wait';

const test = suite('official @temporalio/client over a Bastion Connection');
const API_KEY = `bastion-key-${randomUUID()}`;
const OTHER_KEY = `second-key-${randomUUID()}`;
const TASK_QUEUE = `official-client-${randomUUID()}`;
let pki: TestPki;
let server: DevServer;
let connection: Connection;
let workerConnection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let serial = 0;

function clientCert(): TestCert {
  const n = ++serial;
  return issueCertificate(pki.dir, `oc-${n}`, { cn: `official-client-${n}`, kind: 'client', issuer: pki.ca, keyRole: `oc-${n}` });
}

function tls(pair: { cert: string; key: string }) {
  return { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: { crt: pair.cert, key: pair.key } };
}

function options(pair: TestCert): ConnectionOptions {
  return { address: server.address, tls: tls(pair), apiKey: API_KEY, logger: quietLogger, connectTimeout: '5s' };
}

test.before(async () => {
  pki = await makeTestPki();
  server = await DevServer.start({
    logLevel: 'off',
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    apiKeys: [API_KEY, OTHER_KEY],
  });
  connection = await Connection.connect(options(clientCert()));
  workerConnection = await Connection.connect(options(clientCert()));
  // Compile-time proof that the official interface is met; the Client takes the connection as is.
  const like: ConnectionLike = connection;
  client = new Client({ connection: like });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await bastionBundle(),
    activities,
    shutdownGraceTime: '1s',
    shutdownSignals: [],
    logger: quietLogger,
  });
  running = worker.run();
});

test.after(async () => {
  void worker?.shutdown();
  await running;
  await connection?.close();
  await workerConnection?.close();
  await server?.close();
  if (pki) removeTestPki(pki);
});

const start = (workflowId: string, first = 1) => client.workflow.start('accumulate', { taskQueue: TASK_QUEUE, workflowId, args: [first] });

test(
  'drives start, execute, signal, query, describe, list, cancel and terminate',
  timed(30_000, async () => {
    assert.is(await client.workflow.execute('greet', { taskQueue: TASK_QUEUE, workflowId: `greet-${randomUUID()}`, args: ['official'] }), 'Hello, official!');
    const id = `acc-${randomUUID()}`;
    const handle = await start(id, 5);
    await handle.signal('add', 3);
    assert.is(await handle.query('total'), 8);
    const described = await handle.describe();
    assert.is(described.workflowId, id);
    assert.is(described.type, 'accumulate');
    assert.is(described.taskQueue, TASK_QUEUE);
    assert.is(described.status.name, 'RUNNING');
    await handle.signal('done');
    assert.is(await handle.result(), 8);

    const cancelled = await start(`cancel-${randomUUID()}`);
    await cancelled.cancel();
    const cancelError = await rejection(cancelled.result(), WorkflowFailedError);
    assert.is(cancelError.cause?.name, 'CancelledFailure');

    const terminated = await start(`term-${randomUUID()}`);
    await terminated.terminate('enough');
    const terminateError = await rejection(terminated.result(), WorkflowFailedError);
    assert.is(terminateError.cause?.name, 'TerminatedFailure');
    assert.is((await terminated.describe()).status.name, 'TERMINATED');

    const listed: WorkflowExecutionInfo[] = [];
    for await (const info of client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) listed.push(info);
    for (const h of [handle, cancelled, terminated])
      assert.ok(
        listed.some((info) => info.workflowId === h.workflowId),
        `list holds ${h.workflowId}`,
      );
  }),
);

test(
  'workflowService answers in protobufjs callback style too, and operatorService reaches the server',
  timed(15_000, async () => {
    const info = await new Promise<unknown>((resolve, reject) =>
      connection.workflowService.getSystemInfo({}, (err, res) => (err ? reject(err) : resolve(res))),
    );
    assert.ok((info as { capabilities?: object }).capabilities);
    // The dev server has no OperatorService: the call crosses the wire and comes back UNIMPLEMENTED.
    const err = await rejection(connection.operatorService.listSearchAttributes({ namespace: 'default' }));
    assert.is(err.code, status.UNIMPLEMENTED);
  }),
);

test(
  'withMetadata headers reach the server: an unknown API key is refused there, another valid key is accepted',
  timed(15_000, async () => {
    const handle = await start(`meta-${randomUUID()}`);
    const refused = await rejection(client.withMetadata({ authorization: 'Bearer not-a-key-the-server-knows' }, () => handle.describe()));
    let cause: unknown = refused;
    while ((cause as { cause?: unknown }).cause && (cause as { code?: unknown }).code === undefined) cause = (cause as { cause?: unknown }).cause;
    assert.is((cause as { code?: number }).code, status.UNAUTHENTICATED);
    const described = await client.withMetadata({ authorization: `Bearer ${OTHER_KEY}` }, () => handle.describe());
    assert.is(described.status.name, 'RUNNING');
    await handle.terminate('done');
  }),
);

test(
  'withDeadline ends a long poll with DEADLINE_EXCEEDED; withAbortSignal cancels a call in flight with CANCELLED',
  timed(20_000, async () => {
    const handle = await start(`scope-${randomUUID()}`, 2);
    const late = await rejection(client.withDeadline(Date.now() + 300, () => handle.result()));
    assert.ok(isGrpcDeadlineError(late), 'the official client sees a deadline error');
    const past = await rejection(client.withDeadline(Date.now() - 1, () => handle.describe()));
    assert.ok(isGrpcDeadlineError(past), 'a deadline already past fails at once');

    const controller = new AbortController();
    const waiting = client.withAbortSignal(controller.signal, () => handle.result());
    // Once a full round trip made after it has come back, the result long poll is on the wire.
    await handle.describe();
    controller.abort(new Error('caller gave up'));
    const aborted = await rejection(waiting);
    assert.ok(isGrpcCancelledError(aborted), 'the official client sees a cancellation');
    // The workflow was untouched by either: it still runs and completes.
    await handle.signal('add', 1);
    await handle.signal('done');
    assert.is(await handle.result(), 3);
  }),
);

test(
  'keeps working across a certificate rotation: a pending result moves to the new channel; a refused pair changes nothing',
  timed(30_000, async () => {
    const handle = await start(`rot-${randomUUID()}`, 10);
    await handle.signal('add', 1);
    assert.is(await handle.query('total'), 11);
    const before = connection.tlsInfo()!;
    const pending = handle.result();
    await handle.describe();
    const rotated = await connection.setTlsConfig(tls(clientCert()));
    assert.ok(rotated.movedLongPolls >= 1, 'the result long poll moved to the new channel');
    assert.is.not(connection.tlsInfo()!.fingerprint256, before.fingerprint256);

    await handle.signal('add', 2);
    assert.is(await handle.query('total'), 13);
    const mismatched = { cert: clientCert().cert, key: pki.client.key };
    const refused = await rejection(connection.setTlsConfig(tls(mismatched)));
    assert.is((refused as { code?: string }).code, 'ERR_TLS_ROTATION_REFUSED');
    const rotations = connection.rotationCount;
    await handle.signal('done');
    assert.is(await pending, 13);
    assert.is((await handle.describe()).status.name, 'COMPLETED');
    assert.is(connection.rotationCount, rotations);
    assert.is(await client.withDeadline(Date.now() + 10_000, () => handle.query('total')), 13);
  }),
);

test.run();
