/** FAILED: an unrecoverable poll error ends the worker, and run() rejects with it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, WORKFLOW_SERVICE_NAME } from '../../src/common/proto';
import { Connection } from '../../src/connection';
import { Worker } from '../../src/worker';
import { quietLogger } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';

test(
  'a server that refuses the worker permission to poll moves it to FAILED and run() rejects',
  timed(20_000, async () => {
    const server = new grpc.Server();
    server.addService(serviceDefinition(WORKFLOW_SERVICE_NAME), {
      GetSystemInfo: (_: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { capabilities: {} }),
      DescribeNamespace: (_: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { namespaceInfo: { name: 'default' } }),
      PollActivityTaskQueue: (_: unknown, cb: grpc.sendUnaryData<object>) =>
        cb({ code: grpc.status.PERMISSION_DENIED, details: 'Request unauthorized for task queue' }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const states: string[] = [];
    const worker = await Worker.create({
      connection,
      taskQueue: 'denied',
      activities: { a: async () => 1 },
      shutdownSignals: [],
      logger: {
        ...quietLogger,
        info: (m: string) => {
          const x = /-> (\w+)/.exec(m);
          if (x) states.push(x[1]!);
        },
      },
    });
    const err: any = await worker.run().then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err, 'run() rejected');
    assert.match(err.message, /Polling task queue denied failed and cannot recover: .*PERMISSION_DENIED|Request unauthorized/);
    assert.is(worker.getState(), 'FAILED');
    assert.equal(states, ['RUNNING', 'FAILED']);
    await connection.close();
    server.forceShutdown();
  }),
);

test.run();
