/**
 * `handle.result()` is a long poll: it keeps waiting through expired long-poll deadlines
 * and through a connection that is refused for a while.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { FaultProxy } from '../helpers/fault-proxy';
import { timed, waitFor, withTimeout } from '../helpers/wait';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const test = suite('faults: a client waiting for a result');

const env = useEnv(test, () => startBastionEnv());

test(
  'result() waits through expired long-poll deadlines (a slow relay) and refused connections, then returns the result',
  timed(60_000, async () => {
    const proxy = await FaultProxy.start(env().server.address);
    const connection = await Connection.connect({
      address: proxy.address,
      longPollTimeout: '300ms',
      reconnect: { initialInterval: '50ms', maxInterval: '200ms' },
      logger: quiet,
    });
    try {
      const client = new Client({ connection });
      const taskQueue = 'client-result-faults';
      const handle = await client.workflow.start('threeSteps', { taskQueue, workflowId: 'client-result-1', args: ['r'] });
      let settled = false;
      const result = handle.result().finally(() => void (settled = true));
      result.catch(() => undefined);
      // A slow path: long polls expire before their answers arrive.
      proxy.delay(500);
      await waitFor(() => connection.health().lastError?.code === 'DEADLINE_EXCEEDED', 10_000, 'an expired long poll');
      await proxy.refuse();
      await waitFor(() => connection.health().lastError?.code === 'UNAVAILABLE', 10_000, 'a refused long poll');
      await proxy.heal();
      assert.not.ok(settled, 'result() is still waiting');
      const worker = await env().worker(taskQueue);
      assert.is(await worker.runUntil(withTimeout(30_000, result, 'the result')), 'Hello, r-1! Hello, r-2! Hello, r-3!');
    } finally {
      await connection.close();
      await proxy.close();
    }
  }),
);

test.run();
