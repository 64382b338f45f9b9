/**
 * `withDeadline`, `withMetadata` and `withAbortSignal` on a Bastion `Connection`, seen from
 * a real grpc-js server that records each call's headers: scoped headers and their
 * nesting, the deadline sent as `grpc-timeout`, cancellation reaching the server, and
 * the errors the official Client recognises.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { isGrpcCancelledError, isGrpcDeadlineError } from '@temporalio/client';
import { Connection } from '../../src/connection';
import { hangUntilCancelled, startRecordingServer, type RecordingServer } from './recording-server';
import { rejection, thrown } from '../helpers/errors';
import { timed, waitFor } from '../helpers/wait';
import { collectGarbageRounds } from '../helpers/gc';

const test = suite('connection: call scopes');
let server: RecordingServer;
let connection: Connection;
let cancelledOnServer = 0;
/** The deadline grpc-js gave each DescribeNamespace call on the server (from `grpc-timeout`). */
const serverDeadlines: Array<Date | number> = [];

test.before(async () => {
  server = await startRecordingServer({
    DescribeNamespace: (_request, call) => {
      serverDeadlines.push(call.getDeadline());
      return {};
    },
    GetWorkflowExecutionHistory: async (request, call) => {
      const res = await hangUntilCancelled(request, call);
      cancelledOnServer++;
      return res;
    },
  });
  connection = await Connection.connect({ address: server.address, tls: false, apiKey: 'connection-key-1', metadata: { 'x-static': 'conn' } });
});

test.after(async () => {
  await connection?.close();
  await server?.close();
});

const describe = () => connection.workflowService.describeNamespace({ namespace: 'default' });

test(
  'withMetadata: nested scopes merge, the inner wins, and a scoped authorization replaces the API key',
  timed(10_000, async () => {
    await connection.withMetadata({ 'x-outer': 'o', 'x-both': 'outer' }, () =>
      connection.withMetadata({ 'x-both': 'inner', authorization: 'Bearer scoped-key' }, async () => {
        await describe();
      }),
    );
    const headers = server.last('DescribeNamespace')!.headers;
    assert.is(headers['x-outer'], 'o');
    assert.is(headers['x-both'], 'inner');
    assert.is(headers['x-static'], 'conn');
    assert.is(headers.authorization, 'Bearer scoped-key');
    await connection.workflowService.describeNamespace({ namespace: 'default' }, { metadata: { 'x-call': 'c' } });
    const plain = server.last('DescribeNamespace')!.headers;
    assert.is(plain.authorization, 'Bearer connection-key-1', 'outside the scope the API key is back');
    assert.is(plain['x-call'], 'c');
    assert.is(plain['x-outer'], undefined);
  }),
);

test(
  'withDeadline: the server receives the scope deadline and the call fails with DEADLINE_EXCEEDED',
  timed(10_000, async () => {
    const deadline = Date.now() + 60_000;
    await connection.withDeadline(new Date(deadline), () => describe());
    const seen = Number(serverDeadlines.at(-1));
    assert.ok(seen <= deadline + 50 && seen > deadline - 30_000, `the server holds the scope deadline (${seen} for ${deadline})`);
    const err = await rejection(
      connection.withDeadline(Date.now() + 200, () =>
        connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'w' }, waitNewEvent: true }),
      ),
    );
    assert.is(err.code, status.DEADLINE_EXCEEDED);
    assert.ok(isGrpcDeadlineError(err));
    const before = server.count('DescribeNamespace');
    const past = await rejection(connection.withDeadline(Date.now() - 1, () => describe()));
    assert.is(past.code, status.DEADLINE_EXCEEDED);
    assert.is(server.count('DescribeNamespace'), before, 'a call past its deadline is not sent');
  }),
);

test(
  'withAbortSignal: aborting cancels the call on the server and rejects with CANCELLED, the reason as cause',
  timed(10_000, async () => {
    const controller = new AbortController();
    const seen = server.count('GetWorkflowExecutionHistory');
    const cancelledBefore = cancelledOnServer;
    const pending = connection.withAbortSignal(controller.signal, () =>
      connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'w' }, waitNewEvent: true }),
    );
    await waitFor(() => server.count('GetWorkflowExecutionHistory') > seen, 5_000, 'the call reached the server');
    const reason = new Error('caller gave up');
    controller.abort(reason);
    const err = await rejection(pending);
    assert.is(err.code, status.CANCELLED);
    assert.is(err.cause, reason);
    assert.ok(isGrpcCancelledError(err));
    await waitFor(() => cancelledOnServer > cancelledBefore, 5_000, 'the server saw the cancellation');
    const refused = await rejection(connection.withAbortSignal(controller.signal, () => describe()));
    assert.is(refused.code, status.CANCELLED);
  }),
);

test("closing a connection disables its scopes' AsyncLocalStorage, so Node's list of enabled ones lets it go", async () => {
  const storages: Array<WeakRef<object>> = [];
  for (let i = 0; i < 8; i++) {
    const c = await Connection.connect({ address: server.address, tls: false });
    // A scope enables the storage: from then on Node keeps it in its list until it is disabled.
    await c.withMetadata({ 'x-n': String(i) }, () => c.workflowService.describeNamespace({ namespace: 'default' }));
    storages.push(new WeakRef((c as unknown as { scopes: { storage: object } }).scopes.storage));
    await c.close();
    // A scope on a closed connection runs its function without enabling the storage again.
    const late = await rejection(c.withMetadata({ 'x-n': 'late' }, () => c.workflowService.describeNamespace({ namespace: 'default' })));
    assert.is(late.code, 'ERR_CONNECTION_CLOSED');
  }
  await collectGarbageRounds(6);
  // No `deref()` before the collections: it would keep its target alive until the job ends.
  const alive = storages.filter((r) => r.deref() !== undefined).length;
  assert.ok(alive <= 1, `${alive} of 8 closed connections' AsyncLocalStorage instances are still alive`);
});

test('refuses malformed scopes with ERR_INVALID_OPTION', () => {
  assert.is(thrown(() => connection.withDeadline('soon' as never, () => describe())).code, 'ERR_INVALID_OPTION');
  assert.is(thrown(() => connection.withMetadata({ 'x-n': 1 as never }, () => describe())).code, 'ERR_INVALID_OPTION');
  assert.is(thrown(() => connection.withAbortSignal({} as never, () => describe())).code, 'ERR_INVALID_OPTION');
});

test.run();
