/**
 * A workflow task the server returns with a completion (`returnNewWorkflowTask`): when a
 * signal or update arrives while a cached run's task is running, the server starts the
 * run's next task at once and hands it back in the completion's answer; the worker runs
 * it without polling for it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../src/connection';
import { startBastionEnv } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';

const QUEUE = 'returned-task';

interface Completion {
  token: Buffer;
  asked: boolean;
  returned?: Buffer;
}

test(
  'a signal that arrives while a task runs is carried by the task the completion returns, and the worker completes that task',
  timed(30_000, async () => {
    const env = await startBastionEnv();
    const workerConnection = await Connection.connect({ address: env.server.address });
    const svc = workerConnection.workflowService;
    const respond = svc.respondWorkflowTaskCompleted.bind(svc);
    const completions: Completion[] = [];
    let signalled = false;
    const wrapped = async (req: Parameters<typeof respond>[0], ...rest: unknown[]) => {
      // The first completion of the run waits until a signal is in: the server now has a
      // new task to schedule the moment this one completes.
      if (!signalled) {
        signalled = true;
        await env.client.workflow.getHandle(`${QUEUE}-1`).signal('add', 5);
      }
      const res = await (respond as (...a: unknown[]) => ReturnType<typeof respond>)(req, ...rest);
      const returned = res.workflowTask?.taskToken;
      completions.push({
        token: Buffer.from(req.taskToken as Uint8Array),
        asked: req.returnNewWorkflowTask === true,
        returned: returned && returned.length > 0 ? Buffer.from(returned) : undefined,
      });
      return res;
    };
    Object.assign(svc, { respondWorkflowTaskCompleted: wrapped });
    const worker = await env.worker(QUEUE, { connection: workerConnection });
    try {
      await worker.runUntil(async () => {
        const h = await env.client.workflow.start('accumulate', { taskQueue: QUEUE, workflowId: `${QUEUE}-1`, args: [1] });
        assert.is(await h.query('total'), 6, 'the signal sent during the first task was applied');
        await h.signal('done');
        assert.is(await h.result(), 6);
      });
      const [first, second] = completions;
      assert.ok(first?.asked, 'the completion of a task of a cached run asks for the next task');
      assert.ok(first.returned, 'the server returned the task it scheduled for the signal');
      assert.ok(second && second.token.equals(first.returned), 'the next completion answers the returned task');
    } finally {
      await worker.shutdown();
      await workerConnection.close();
      await env.close();
    }
  }),
);

test.run();
