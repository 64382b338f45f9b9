/**
 * The race seen after a server kill: a workflow task's completion is applied by the server,
 * its answer is lost, the retry gets NOT_FOUND, and meanwhile the run's next task has
 * already been handed to the worker. The NOT_FOUND must not evict or dispose the run under
 * that next task (which failed with "sandbox N does not exist in this thread" and a
 * WorkflowTaskFailed in history). The NOT_FOUND is injected by wrapping the worker's
 * connection: the real completion goes through, and its caller gets NOT_FOUND only once the
 * run's next task has been polled.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { temporal } from '../../src/common/proto';
import type { Connection } from '../../src/connection';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { timed, withTimeout } from '../helpers/wait';
import { grpcStatusError, withWorkflowService } from '../helpers/service-override';

const ET = temporal.api.enums.v1.EventType;
const test = suite('faults: NOT_FOUND answer to a completion the server already applied');

const hex = (token: Uint8Array | null | undefined): string => Buffer.from(token ?? []).toString('hex');

/**
 * A connection whose second workflow-task completion of each run (the run is cached by
 * then) answers NOT_FOUND once the run's next task has been polled.
 */
function injectingConnection(real: Connection) {
  const runOfToken = new Map<string, string>();
  const nextTaskPolled = new Map<string, () => void>();
  const completions = new Map<string, number>();
  const stats = { injected: 0, nextTaskPolledFirst: 0 };
  const target = real.workflowService;
  const connection = withWorkflowService(real, {
    pollWorkflowTaskQueue: async (request: never, options: never) => {
      const task = await target.pollWorkflowTaskQueue(request, options);
      const runId = task.workflowExecution?.runId;
      if (runId && task.taskToken?.length) {
        runOfToken.set(hex(task.taskToken), runId);
        nextTaskPolled.get(runId)?.();
      }
      return task;
    },
    respondWorkflowTaskCompleted: async (request: any, options: never) => {
      const runId = runOfToken.get(hex(request.taskToken));
      const n = runId === undefined ? 0 : (completions.get(runId) ?? 0) + 1;
      if (runId !== undefined) completions.set(runId, n);
      if (n !== 2) return target.respondWorkflowTaskCompleted(request as never, options);
      // No eager activity: its task would be lost with the answer we are about to drop.
      for (const c of request.commands ?? [])
        if (c.scheduleActivityTaskCommandAttributes) c.scheduleActivityTaskCommandAttributes.requestEagerExecution = false;
      const polled = new Promise<void>((resolve) => nextTaskPolled.set(runId!, resolve));
      await target.respondWorkflowTaskCompleted(request as never, options);
      // The server applied it; the answer is "lost" until the run's next task is in the worker's hands.
      await withTimeout(20_000, polled, "the run's next workflow task");
      stats.nextTaskPolledFirst++;
      await new Promise((r) => setImmediate(r));
      stats.injected++;
      throw grpcStatusError(status.NOT_FOUND, 'Workflow task not found.');
    },
  });
  return { connection, stats };
}

const env = useEnv(test, () => startBastionEnv());

test(
  "the run's next task completes on the same sandbox: no WorkflowTaskFailed, every workflow completes",
  timed(90_000, async () => {
    const { connection, stats } = injectingConnection(env().connection);
    const taskQueue = 'completion-not-found';
    const worker = await env().worker(taskQueue, { connection: connection as Connection });
    const handles = await Promise.all([0, 1, 2].map((i) => env().client.workflow.start('threeSteps', { taskQueue, workflowId: `cnf-${i}`, args: [`n${i}`] })));
    const results = await worker.runUntil(withTimeout(60_000, Promise.all(handles.map((h) => h.result())), 'workflow results'));
    assert.equal(
      results,
      [0, 1, 2].map((i) => `Hello, n${i}-1! Hello, n${i}-2! Hello, n${i}-3!`),
    );
    assert.is(stats.injected, 3, 'one NOT_FOUND per run');
    assert.is(stats.nextTaskPolledFirst, 3, "each NOT_FOUND arrived after the run's next task was polled");
    for (const h of handles) {
      const { events } = await h.fetchHistory();
      assert.is(events.filter((e) => Number(e.eventType) === ET.EVENT_TYPE_WORKFLOW_TASK_FAILED).length, 0, `${h.workflowId}: no WorkflowTaskFailed`);
    }
  }),
);

test.run();
