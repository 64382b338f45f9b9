/**
 * Eager activity execution: a ScheduleActivityTask command with `requestEagerExecution`
 * on the workflow's own task queue comes back started in the RespondWorkflowTaskCompleted
 * response (at most 3), other queues and unflagged commands go through activity polls;
 * Bastion's worker asks for it and runs what it gets, the official worker too; a dev
 * server with it off hands everything to polls.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { temporal } from '@temporalio/proto';
import { DevServer } from '../../src/testing';
import { Connection } from '../../src/connection';
import { startBastionEnv } from '../helpers/bastion-env';
import { startOfficialEnv } from '../helpers/official-env';
import { timed } from '../helpers/wait';

const E = temporal.api.enums.v1;
const test = suite('dev server and workers: eager activity execution');

const schedule = (id: string, taskQueue: string, eager: boolean) => ({
  commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: {
    activityId: id,
    activityType: { name: 'greet' },
    taskQueue: { name: taskQueue },
    startToCloseTimeout: { seconds: 10 as never },
    requestEagerExecution: eager,
  },
});

async function rawServer(eagerActivityExecution?: boolean) {
  const server = await DevServer.start({ logLevel: 'off', ...(eagerActivityExecution === undefined ? {} : { eagerActivityExecution }) });
  const connection = await Connection.connect({ address: server.address });
  return {
    server,
    svc: connection.workflowService,
    close: async () => {
      await connection.close();
      await server.close();
    },
  };
}

test(
  "eager commands on the workflow's queue come back started (at most 3); the rest go to polls",
  timed(20_000, async () => {
    const { server, svc, close } = await rawServer();
    try {
      await svc.startWorkflowExecution({
        namespace: 'default',
        workflowId: 'eager-raw',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'tq-eager' },
        requestId: 'eager-raw',
      });
      const task = await svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-eager' }, identity: 'w1' });
      const res = await svc.respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken: task.taskToken,
        identity: 'w1',
        commands: [
          schedule('a1', 'tq-eager', true),
          schedule('a2', 'tq-eager', true),
          schedule('a3', 'tq-eager', false),
          schedule('a4', 'other-queue', true),
          schedule('a5', 'tq-eager', true),
          schedule('a6', 'tq-eager', true),
        ],
      });
      const eager = (res.activityTasks ?? []).map((t) => t.activityId);
      assert.equal(eager, ['a1', 'a2', 'a5'], "the first three eager ones on the workflow's own queue");
      for (const t of res.activityTasks!) {
        assert.ok(t.taskToken?.length, 'a task token to complete it with');
        assert.is(t.attempt, 1);
        assert.is(t.workflowExecution?.workflowId, 'eager-raw');
      }
      // The others are waiting for polls: a3 and a6 on tq-eager, a4 on other-queue.
      const polled = [
        await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-eager' }, identity: 'w2' }),
        await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-eager' }, identity: 'w2' }),
        await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'other-queue' }, identity: 'w2' }),
      ]
        .map((t) => t.activityId)
        .sort();
      assert.equal(polled, ['a3', 'a4', 'a6']);
      // An eager task completes like a polled one.
      await svc.respondActivityTaskCompleted({ namespace: 'default', taskToken: res.activityTasks![0]!.taskToken, identity: 'w1', result: { payloads: [] } });
      const history = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'eager-raw' } });
      const started = history.history!.events!.filter((e) => e.eventType === E.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
      assert.is(started.length, 1, 'ActivityTaskStarted written when the eager attempt completed');
      assert.is(started[0]!.activityTaskStartedEventAttributes!.identity, 'w1', 'started by the worker that completed the workflow task');
      assert.equal(server.stats(), { activityTasksByPoll: 3, activityTasksEager: 3 });
    } finally {
      await close();
    }
  }),
);

test(
  'with eagerActivityExecution: false every activity goes to a poll',
  timed(20_000, async () => {
    const { server, svc, close } = await rawServer(false);
    try {
      await svc.startWorkflowExecution({
        namespace: 'default',
        workflowId: 'eager-off',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'tq-off' },
        requestId: 'eager-off',
      });
      const task = await svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-off' }, identity: 'w1' });
      const res = await svc.respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken: task.taskToken,
        identity: 'w1',
        commands: [schedule('b1', 'tq-off', true)],
      });
      assert.is(res.activityTasks?.length ?? 0, 0);
      const polled = await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-off' }, identity: 'w2' });
      assert.is(polled.activityId, 'b1');
      assert.equal(server.stats(), { activityTasksByPoll: 1, activityTasksEager: 0 });
    } finally {
      await close();
    }
  }),
);

test('a bad eagerActivityExecution option is refused with its name', async () => {
  try {
    await DevServer.start({ logLevel: 'off', eagerActivityExecution: 'yes' as never });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match((err as Error).message, /eagerActivityExecution/);
  }
});

test(
  "Bastion's worker asks for eager execution and runs what comes back",
  timed(60_000, async () => {
    const env = await startBastionEnv();
    try {
      const worker = await env.worker('tq-bastion-eager');
      const results = await worker.runUntil(() =>
        Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            env.client.workflow.execute('greet', { taskQueue: 'tq-bastion-eager', workflowId: `b-eager-${i}`, args: [`n${i}`] }),
          ),
        ),
      );
      assert.equal(
        results,
        Array.from({ length: 10 }, (_, i) => `Hello, n${i}!`),
      );
      const stats = env.server.stats();
      assert.is(stats.activityTasksEager + stats.activityTasksByPoll, 10, 'each activity ran once');
      assert.ok(stats.activityTasksEager >= 8, `most activities went eagerly (${JSON.stringify(stats)})`);
    } finally {
      await env.close();
    }
  }),
);

test(
  "Bastion's worker does not ask for eager execution without a free activity slot",
  timed(60_000, async () => {
    const env = await startBastionEnv();
    try {
      const worker = await env.worker('tq-bastion-no-eager', { maxConcurrentActivityTaskExecutions: 1 });
      // With one activity slot, held by the poller, no slot is free to reserve: nothing goes eagerly.
      const r = await worker.runUntil(() => env.client.workflow.execute('greet', { taskQueue: 'tq-bastion-no-eager', workflowId: 'b-no-eager', args: ['x'] }));
      assert.is(r, 'Hello, x!');
      assert.equal(env.server.stats(), { activityTasksByPoll: 1, activityTasksEager: 0 });
    } finally {
      await env.close();
    }
  }),
);

test(
  'the official worker gets its activities eagerly from the dev server too',
  timed(60_000, async () => {
    const env = await startOfficialEnv();
    try {
      const worker = await env.worker('tq-official-eager');
      const results = await worker.runUntil(
        Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            env.client.workflow.execute('greet', { taskQueue: 'tq-official-eager', workflowId: `o-eager-${i}`, args: [`n${i}`] }),
          ),
        ),
      );
      assert.equal(
        results,
        Array.from({ length: 5 }, (_, i) => `Hello, n${i}!`),
      );
      const stats = env.server.stats();
      assert.is(stats.activityTasksEager + stats.activityTasksByPoll, 5, 'each activity ran once');
      assert.ok(stats.activityTasksEager >= 1, `the official worker asked and ran eager tasks (${JSON.stringify(stats)})`);
    } finally {
      await env.close();
    }
  }),
);

test.run();
