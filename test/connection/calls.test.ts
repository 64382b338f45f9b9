/**
 * Calls over a plaintext connection to a real grpc-js server: headers, request encoding,
 * retries and what is never retried, deadlines, cancellation, and close().
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { Connection, CLIENT_VERSION, VERSION, type ConnectionOptions } from '../../src/index';
import { serviceMethodNames, WORKFLOW_SERVICE_NAME, temporal, type TemporalTypes } from '../../src/common/proto';
import { timed } from '../helpers/wait';
import { failFirst, grpcError, hangUntilCancelled, startRecordingServer, type Handler, type RecordingServer } from './recording-server';
import { rejection } from '../helpers/errors';

const FAST_RETRY = { maxAttempts: 5, initialIntervalMs: 5, maxIntervalMs: 20 };

async function withServer(
  handlers: Record<string, Handler>,
  options: ConnectionOptions,
  body: (server: RecordingServer, connection: Connection) => Promise<void>,
): Promise<void> {
  const server = await startRecordingServer(handlers);
  try {
    const connection = await Connection.connect({ address: server.address, retry: FAST_RETRY, ...options });
    try {
      await body(server, connection);
    } finally {
      await connection.close();
    }
  } finally {
    await server.close();
  }
}

const basics = suite('connection: connect and headers');

basics(
  'connects over plaintext and ensureConnected calls GetSystemInfo',
  timed(10_000, async () => {
    await withServer({}, {}, async (server, connection) => {
      assert.is(server.count('GetSystemInfo'), 1);
      assert.is(connection.state, 'open');
      await connection.ensureConnected();
      assert.is(server.count('GetSystemInfo'), 2);
      const info = await connection.workflowService.getSystemInfo({});
      assert.is(info.serverVersion, 'recording');
      assert.ok(info.capabilities?.sdkMetadata);
    });
  }),
);

basics(
  'every WorkflowService RPC exists as a lower-camel method',
  timed(10_000, async () => {
    await withServer({}, {}, async (_server, connection) => {
      const names = serviceMethodNames(WORKFLOW_SERVICE_NAME);
      assert.ok(names.length > 50);
      for (const name of names) {
        const method = name.charAt(0).toLowerCase() + name.slice(1);
        assert.type((connection.workflowService as unknown as Record<string, unknown>)[method], 'function', method);
      }
      // A method the server does not implement rejects with the gRPC status.
      const err = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(err.code, status.UNIMPLEMENTED);
    });
  }),
);

basics(
  'sends client-name, client-version, temporal-namespace and custom metadata',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: () => ({}) }, { metadata: { 'x-team': 'payments', 'X-Upper': 'ok' } }, async (server, connection) => {
      await connection.workflowService.describeNamespace({ namespace: 'orders' });
      const { headers } = server.last('DescribeNamespace')!;
      assert.is(headers['client-name'], 'bastion');
      assert.is(headers['client-version'], CLIENT_VERSION);
      assert.is(headers['temporal-namespace'], 'orders');
      assert.is(headers['x-team'], 'payments');
      assert.is(headers['x-upper'], 'ok');
      assert.is(headers.authorization, undefined);
      // GetSystemInfo has no namespace field, so no namespace header.
      assert.is(server.last('GetSystemInfo')!.headers['temporal-namespace'], undefined);
    });
  }),
);

basics('client-version is the package version', () => {
  const pkg = require('../../../package.json') as { version: string };
  assert.is(CLIENT_VERSION, pkg.version);
  assert.is(VERSION, pkg.version);
});

basics(
  'sends authorization: Bearer <apiKey> for a string key, over plaintext when tls is false',
  timed(10_000, async () => {
    await withServer({}, { apiKey: 'secret-key-1', tls: false }, async (server) => {
      assert.is(server.last('GetSystemInfo')!.headers.authorization, 'Bearer secret-key-1');
    });
  }),
);

basics(
  'calls an apiKey function before every call',
  timed(10_000, async () => {
    let n = 0;
    const apiKey = async () => `token-${++n}`;
    await withServer({ DescribeNamespace: () => ({}) }, { apiKey, tls: false }, async (server, connection) => {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(
        server.calls.map((c) => c.headers.authorization),
        ['Bearer token-1', 'Bearer token-2', 'Bearer token-3'],
      );
    });
  }),
);

basics(
  'an apiKey function returning a non-string rejects the call with ERR_INVALID_OPTION',
  timed(10_000, async () => {
    let bad = false;
    const apiKey = (() => (bad ? 42 : 'ok')) as unknown as () => string;
    await withServer({ DescribeNamespace: () => ({}) }, { apiKey, tls: false }, async (server, connection) => {
      bad = true;
      const err = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(err.code, 'ERR_INVALID_OPTION');
      assert.match(err.message, /`apiKey` function must return a non-empty string/);
      assert.is(server.count('DescribeNamespace'), 0);
    });
  }),
);

basics(
  'encodes plain-object requests: enum names, nested messages, bytes',
  timed(10_000, async () => {
    await withServer({ StartWorkflowExecution: () => ({ runId: 'run-1', started: true }) }, {}, async (server, connection) => {
      const res = await connection.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId: 'wf-1',
        workflowType: { name: 'greet' },
        taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_NORMAL' as unknown as TemporalTypes.api.enums.v1.TaskQueueKind },
        input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hi"') }] },
      });
      assert.is(res.runId, 'run-1');
      const req = server.last('StartWorkflowExecution')!.request as { taskQueue: { kind: number }; input: { payloads: Array<{ data: Uint8Array }> } };
      assert.is(req.taskQueue.kind, temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
      assert.is(Buffer.from(req.input.payloads[0]!.data).toString(), '"hi"');
    });
  }),
);

basics.run();

const retries = suite('connection: retries');

retries(
  'retries an ordinary call on UNAVAILABLE and succeeds after two failures',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: failFirst(2, status.UNAVAILABLE) }, {}, async (server, connection) => {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      assert.is(server.count('DescribeNamespace'), 3);
      // Each attempt carries the headers.
      for (const c of server.calls.filter((x) => x.method === 'DescribeNamespace')) assert.is(c.headers['temporal-namespace'], 'default');
    });
  }),
);

retries(
  'retries RESOURCE_EXHAUSTED',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: failFirst(1, status.RESOURCE_EXHAUSTED) }, {}, async (server, connection) => {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      assert.is(server.count('DescribeNamespace'), 2);
    });
  }),
);

retries(
  'gives up after retry.maxAttempts and rejects with the last status',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: failFirst(100, status.UNAVAILABLE) }, { retry: { ...FAST_RETRY, maxAttempts: 3 } }, async (server, connection) => {
      const err = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(err.code, status.UNAVAILABLE);
      assert.is(err.details, 'attempt 3 failed on purpose');
      assert.is(server.count('DescribeNamespace'), 3);
    });
  }),
);

retries(
  'does not retry INVALID_ARGUMENT',
  timed(10_000, async () => {
    await withServer(
      {
        DescribeNamespace: () => {
          throw grpcError(status.INVALID_ARGUMENT, 'namespace is required');
        },
      },
      {},
      async (server, connection) => {
        const err = await rejection(connection.workflowService.describeNamespace({}));
        assert.is(err.code, status.INVALID_ARGUMENT);
        assert.is(server.count('DescribeNamespace'), 1);
      },
    );
  }),
);

retries(
  'does not retry a long poll (PollWorkflowTaskQueue) on UNAVAILABLE',
  timed(10_000, async () => {
    await withServer({ PollWorkflowTaskQueue: failFirst(1, status.UNAVAILABLE) }, {}, async (server, connection) => {
      const err = await rejection(connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } }));
      assert.is(err.code, status.UNAVAILABLE);
      assert.is(server.count('PollWorkflowTaskQueue'), 1);
    });
  }),
);

retries(
  'does not retry PollActivityTaskQueue on RESOURCE_EXHAUSTED',
  timed(10_000, async () => {
    await withServer({ PollActivityTaskQueue: failFirst(1, status.RESOURCE_EXHAUSTED) }, {}, async (server, connection) => {
      const err = await rejection(connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } }));
      assert.is(err.code, status.RESOURCE_EXHAUSTED);
      assert.is(server.count('PollActivityTaskQueue'), 1);
    });
  }),
);

retries(
  'GetWorkflowExecutionHistory is retried, except with waitNewEvent (a long poll)',
  timed(10_000, async () => {
    await withServer({ GetWorkflowExecutionHistory: failFirst(1, status.UNAVAILABLE) }, {}, async (server, connection) => {
      const wait = await rejection(connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', waitNewEvent: true }));
      assert.is(wait.code, status.UNAVAILABLE);
      assert.is(server.count('GetWorkflowExecutionHistory'), 1);
    });
    await withServer({ GetWorkflowExecutionHistory: failFirst(1, status.UNAVAILABLE) }, {}, async (server, connection) => {
      await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default' });
      assert.is(server.count('GetWorkflowExecutionHistory'), 2);
    });
  }),
);

retries(
  'retry.maxAttempts 1 turns retries off',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: failFirst(1, status.UNAVAILABLE) }, { retry: { maxAttempts: 1 } }, async (server, connection) => {
      const err = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(err.code, status.UNAVAILABLE);
      assert.is(server.count('DescribeNamespace'), 1);
    });
  }),
);

retries.run();

const lifecycle = suite('connection: deadlines, cancellation, close');

lifecycle(
  'callTimeout is a deadline for ordinary calls: DEADLINE_EXCEEDED',
  timed(10_000, async () => {
    await withServer({ DescribeNamespace: hangUntilCancelled }, { callTimeout: '200ms' }, async (_server, connection) => {
      const started = Date.now();
      const err = await rejection(connection.workflowService.describeNamespace({ namespace: 'default' }));
      assert.is(err.code, status.DEADLINE_EXCEEDED);
      assert.ok(Date.now() - started < 5_000);
    });
  }),
);

lifecycle(
  'a per-call timeout applies to a long poll',
  timed(10_000, async () => {
    await withServer({ PollWorkflowTaskQueue: hangUntilCancelled }, { callTimeout: '100ms' }, async (_server, connection) => {
      const err = await rejection(connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default' }, { timeout: 150 }));
      assert.is(err.code, status.DEADLINE_EXCEEDED);
    });
  }),
);

lifecycle(
  'an AbortSignal cancels the call and rejects with its reason',
  timed(10_000, async () => {
    await withServer({ PollActivityTaskQueue: hangUntilCancelled }, {}, async (server, connection) => {
      const controller = new AbortController();
      const pending = connection.workflowService.pollActivityTaskQueue({ namespace: 'default' }, { signal: controller.signal });
      while (server.count('PollActivityTaskQueue') === 0) await new Promise((r) => setImmediate(r));
      const reason = new Error('worker shutting down');
      controller.abort(reason);
      assert.is(await rejection(pending), reason);
      const already = await rejection(connection.workflowService.getSystemInfo({}, { signal: AbortSignal.abort() }));
      assert.is(already.name, 'AbortError');
    });
  }),
);

lifecycle(
  'close() is idempotent, concurrent calls share one promise, later calls reject with ERR_CONNECTION_CLOSED',
  timed(10_000, async () => {
    const server = await startRecordingServer();
    try {
      const connection = await Connection.connect({ address: server.address });
      const a = connection.close();
      const b = connection.close();
      assert.is(a, b);
      await Promise.all([a, b]);
      await connection.close();
      assert.is(connection.state, 'closed');
      const err = await rejection(connection.workflowService.getSystemInfo({}));
      assert.is(err.code, 'ERR_CONNECTION_CLOSED');
      assert.is(err.name, 'ConnectionError');
      assert.match(err.message, /`workflowService\.getSystemInfo` was called after the connection to 127\.0\.0\.1:\d+ was closed/);
      const ensure = await rejection(connection.ensureConnected());
      assert.is(ensure.code, 'ERR_CONNECTION_CLOSED');
    } finally {
      await server.close();
    }
  }),
);

lifecycle(
  'close() cancels a call in flight and a retry waiting for its next attempt',
  timed(10_000, async () => {
    const server = await startRecordingServer({ PollWorkflowTaskQueue: hangUntilCancelled, DescribeNamespace: failFirst(100, status.UNAVAILABLE) });
    try {
      const connection = await Connection.connect({ address: server.address, retry: { maxAttempts: 10, initialIntervalMs: 60_000, maxIntervalMs: 60_000 } });
      const poll = connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default' });
      const retrying = connection.workflowService.describeNamespace({ namespace: 'default' });
      while (server.count('PollWorkflowTaskQueue') === 0 || server.count('DescribeNamespace') === 0) await new Promise((r) => setImmediate(r));
      await connection.close();
      for (const err of [await rejection(poll), await rejection(retrying)]) {
        assert.is(err.code, 'ERR_CONNECTION_CLOSED');
        assert.match(err.message, /was closed while this call was in flight or waiting to retry/);
      }
    } finally {
      await server.close();
    }
  }),
);

lifecycle(
  'Symbol.asyncDispose closes the connection',
  timed(10_000, async () => {
    const server = await startRecordingServer();
    try {
      const connection = await Connection.connect({ address: server.address });
      await connection[Symbol.asyncDispose]();
      assert.is(connection.state, 'closed');
    } finally {
      await server.close();
    }
  }),
);

lifecycle.run();
