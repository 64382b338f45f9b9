/**
 * Deadlines, handshake timeouts and health: every call has a deadline, a connection that
 * never completes its HTTP/2 handshake is abandoned and its calls reissued on a fresh one,
 * and `health()` tells the last success and the last error.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { Connection } from '../../src/index';
import { FaultProxy } from '../helpers/fault-proxy';
import { timed, waitFor } from '../helpers/wait';
import { hangUntilCancelled, startRecordingServer } from './recording-server';

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: unknown };
  }
  throw new Error('expected the promise to reject');
}

function capturingLogger() {
  const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

const test = suite('connection: deadlines, handshake timeout, health');

test(
  'a long poll gets `longPollTimeout` as its deadline, an ordinary call `callTimeout`',
  timed(15_000, async () => {
    const server = await startRecordingServer({ PollWorkflowTaskQueue: hangUntilCancelled, DescribeNamespace: hangUntilCancelled });
    const connection = await Connection.connect({ address: server.address, longPollTimeout: '300ms', callTimeout: '200ms' });
    try {
      const poll = await rejection(connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default' }));
      assert.is(poll.code, status.DEADLINE_EXCEEDED);
      const call = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(call.code, status.DEADLINE_EXCEEDED);
      const h = connection.health();
      assert.is(h.lastError?.code, 'DEADLINE_EXCEEDED');
      assert.ok(h.lastSuccessfulCallAt instanceof Date, 'GetSystemInfo in connect() succeeded');
      assert.is(h.channelState, 'READY');
    } finally {
      await connection.close();
      await server.close();
    }
  }),
);

test(
  'a connection that never completes its handshake is abandoned after `connectTimeout`; the call is reissued on a fresh one and succeeds',
  timed(30_000, async () => {
    const server = await startRecordingServer({});
    const proxy = await FaultProxy.start(server.address);
    const { lines, logger } = capturingLogger();
    const connection = await Connection.connect({ address: proxy.address, connectTimeout: '300ms', logger });
    try {
      // The relay keeps accepting but never answers; the connection it carried is reset,
      // so grpc-js opens a new one, which hangs in its handshake.
      proxy.blackHole();
      proxy.reset();
      const pending = connection.workflowService.getSystemInfo({});
      await waitFor(() => connection.health().abandonedHandshakes >= 2, 15_000, 'two handshakes abandoned');
      await proxy.heal();
      const info = await pending;
      assert.is(info.serverVersion, 'recording');
      const warnings = lines.filter((l) => l.level === 'warn' && /no HTTP\/2 connection within `connectTimeout`/.test(l.message));
      assert.is(warnings.length, 1, 'warned once per outage');
      assert.is(warnings[0]!.meta!.address, proxy.address);
      assert.is(warnings[0]!.meta!.connectTimeoutMs, 300);
      assert.is(connection.health().channelState, 'READY');
    } finally {
      await connection.close();
      await proxy.close();
      await server.close();
    }
  }),
);

test(
  'a long poll on a connection whose peer went silent is failed by keepalive and answered on a new connection',
  timed(30_000, async () => {
    let polls = 0;
    const server = await startRecordingServer({
      PollActivityTaskQueue: (_req, call) => {
        polls++;
        // The first poll hangs (its connection is about to die); later ones answer at once.
        return polls === 1 ? hangUntilCancelled(_req, call) : {};
      },
    });
    const proxy = await FaultProxy.start(server.address);
    const connection = await Connection.connect({
      address: proxy.address,
      connectTimeout: '500ms',
      keepAlive: { interval: '200ms', timeout: '200ms' },
      logger: capturingLogger().logger,
    });
    try {
      const first = connection.workflowService.pollActivityTaskQueue({ namespace: 'default' });
      await waitFor(() => polls === 1, 5_000, 'the first poll reached the server');
      proxy.blackHole();
      const err = await rejection(first);
      assert.is(err.code, status.UNAVAILABLE, 'keepalive dropped the silent connection');
      await proxy.heal();
      await connection.workflowService.pollActivityTaskQueue({ namespace: 'default' });
      assert.is(polls, 2);
    } finally {
      await connection.close();
      await proxy.close();
      await server.close();
    }
  }),
);

test(
  'waitForReady resolves once connected, and false when the server stays away',
  timed(15_000, async () => {
    const server = await startRecordingServer({});
    const proxy = await FaultProxy.start(server.address);
    const connection = await Connection.connect({
      address: proxy.address,
      reconnect: { initialInterval: '50ms', maxInterval: '100ms' },
      logger: capturingLogger().logger,
    });
    try {
      assert.ok(await connection.waitForReady({ timeoutMs: 0 }));
      await proxy.refuse();
      await waitFor(() => connection.health().channelState !== 'READY', 5_000, 'the connection noticed the reset');
      assert.not.ok(await connection.waitForReady({ timeoutMs: 300 }));
      await proxy.heal();
      assert.ok(await connection.waitForReady({ timeoutMs: 5_000 }));
    } finally {
      await connection.close();
      await proxy.close();
      await server.close();
    }
  }),
);

test(
  'a connection the path closes (FIN) or resets (RST) is reopened for the next call',
  timed(20_000, async () => {
    const server = await startRecordingServer({});
    const proxy = await FaultProxy.start(server.address);
    const connection = await Connection.connect({ address: proxy.address, logger: capturingLogger().logger });
    try {
      for (const fault of ['cut', 'reset'] as const) {
        const before = proxy.accepted;
        proxy[fault]();
        await waitFor(() => connection.health().channelState !== 'READY', 5_000, `the connection noticed the ${fault}`);
        const info = await connection.workflowService.getSystemInfo({});
        assert.is(info.serverVersion, 'recording');
        assert.is(proxy.accepted, before + 1, `one new connection after the ${fault}`);
      }
    } finally {
      await connection.close();
      await proxy.close();
      await server.close();
    }
  }),
);

test.run();
