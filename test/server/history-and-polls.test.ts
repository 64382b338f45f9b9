/**
 * Long polls and history paging, driven with raw WorkflowService calls.
 */
import * as assert from 'uvu/assert';
import { temporal } from '@temporalio/proto';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';

const E = temporal.api.enums.v1;
const { test, svc, connection } = rawServerSuite('dev server long polls and history', {});

const start = (workflowId: string, taskQueue: string) =>
  svc().startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 'wf' }, taskQueue: { name: taskQueue }, requestId: workflowId });

test(
  'a waiting poll receives a new task at once, and each task goes to one poller',
  timed(10_000, async () => {
    const polls = Array.from({ length: 3 }, (_, i) => svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-once' }, identity: `p${i}` }));
    await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    await start('once-1', 'tq-once');
    const first = await Promise.race(polls);
    const latency = Date.now() - t0;
    assert.ok(first.taskToken?.length, 'a poller got the task');
    assert.ok(latency < 2000, `delivered without waiting for a polling interval (${latency} ms)`);
    await start('once-2', 'tq-once');
    await start('once-3', 'tq-once');
    const all = await Promise.all(polls);
    const runs = all.map((p) => p.workflowExecution?.workflowId).sort();
    assert.equal(runs, ['once-1', 'once-2', 'once-3'], 'three tasks, three pollers, no duplicates');
  }),
);

test(
  'a poll with a short deadline answers "no task" just before the deadline',
  timed(10_000, async () => {
    const t0 = Date.now();
    const res = await connection().withDeadline(Date.now() + 3500, () =>
      svc().pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-empty' }, identity: 'p' }),
    );
    const held = Date.now() - t0;
    assert.ok(!res.taskToken?.length, 'empty response means no task');
    assert.ok(held >= 1000 && held < 3500, `held ${held} ms, then answered before the caller's deadline`);
  }),
);

test(
  'history long poll waits for the next event and is never empty without a token',
  timed(15_000, async () => {
    await start('lp-1', 'tq-lp');
    const h1 = await svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'lp-1' } });
    const n = h1.history!.events!.length;
    assert.is(n, 2, 'started + workflow task scheduled');
    const waiting = svc().getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: 'lp-1' },
      waitNewEvent: true,
      nextPageToken: undefined,
    });
    // The first long poll returns what exists plus a token to continue from.
    const first = await waiting;
    assert.is(first.history!.events!.length, 2);
    assert.ok(first.nextPageToken?.length, 'token to continue');
    const next = svc().getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: 'lp-1' },
      waitNewEvent: true,
      nextPageToken: first.nextPageToken,
    });
    await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'lp-1' }, signalName: 'go' });
    const got = await next;
    assert.is(got.history!.events![0]!.eventType, E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    assert.ok(got.nextPageToken?.length, 'still open: a token to keep polling');
  }),
);

test(
  'CLOSE_EVENT long poll answers with only the close event when the workflow closes',
  timed(15_000, async () => {
    await start('lp-close', 'tq-lp');
    const waiting = svc().getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: 'lp-close' },
      waitNewEvent: true,
      historyEventFilterType: E.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    await svc().terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'lp-close' }, reason: 'done' });
    const res = await waiting;
    assert.is(res.history!.events!.length, 1);
    assert.is(res.history!.events![0]!.eventType, E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    assert.ok(!res.nextPageToken?.length);
  }),
);

test(
  'history pages follow nextPageToken to the end',
  timed(15_000, async () => {
    await start('paged', 'tq-paged');
    for (let i = 0; i < 25; i++) await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'paged' }, signalName: `s${i}` });
    const ids: number[] = [];
    let token: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await svc().getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: 'paged' },
        maximumPageSize: 10,
        nextPageToken: token,
      });
      for (const e of page.history!.events!) ids.push(Number(e.eventId));
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages++;
    } while (token && pages < 20);
    assert.is(pages, 3);
    assert.equal(
      ids,
      Array.from({ length: 27 }, (_, i) => i + 1),
      'contiguous event ids from 1',
    );
  }),
);

test(
  'a signal during a running workflow task is buffered until the task completes',
  timed(15_000, async () => {
    await start('buffered', 'tq-buf');
    const task = await svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-buf' }, identity: 'w' });
    await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'buffered' }, signalName: 'late' });
    const mid = await svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'buffered' } });
    assert.is(mid.history!.events!.length, 3, 'nothing written after WorkflowTaskStarted while the task runs');
    // Completing with a close command while a signal waits: the task fails with UNHANDLED_COMMAND.
    await svc().respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: task.taskToken,
      identity: 'w',
      commands: [{ commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const after = await svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'buffered' } });
    const types = after.history!.events!.map((e) => e.eventType);
    assert.equal(types.slice(3), [
      E.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      E.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    ]);
    assert.is(after.history!.events![3]!.workflowTaskFailedEventAttributes!.cause, E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND);
  }),
);

test(
  'a sticky task nobody picks up moves to the normal queue after its schedule-to-start timeout',
  timed(15_000, async () => {
    await start('sticky', 'tq-sticky');
    const t1 = await svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-sticky' }, identity: 'w' });
    await svc().respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: t1.taskToken,
      identity: 'w',
      stickyAttributes: {
        workerTaskQueue: { name: 'tq-sticky-w1', kind: E.TaskQueueKind.TASK_QUEUE_KIND_STICKY },
        scheduleToStartTimeout: { seconds: 1 as never },
      },
    });
    await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'sticky' }, signalName: 'x' });
    const t0 = Date.now();
    const t2 = await svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-sticky' }, identity: 'other' });
    assert.ok(Date.now() - t0 >= 900, 'waited for the sticky timeout');
    assert.is(Number(t2.previousStartedEventId), 3);
    assert.is(Number(t2.history!.events![0]!.eventId), 1, 'full history on the normal queue');
    // The sticky worker receives only new events.
    await svc().respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: t2.taskToken,
      identity: 'other',
      stickyAttributes: {
        workerTaskQueue: { name: 'tq-sticky-w2', kind: E.TaskQueueKind.TASK_QUEUE_KIND_STICKY },
        scheduleToStartTimeout: { seconds: 10 as never },
      },
    });
    await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'sticky' }, signalName: 'y' });
    const t3 = await svc().pollWorkflowTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'tq-sticky-w2', kind: E.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: 'tq-sticky' },
      identity: 'other',
    });
    const first = Number(t3.history!.events![0]!.eventId);
    assert.is(first, Number(t3.previousStartedEventId) + 1, 'partial history starts after the previous started event');
  }),
);

test.run();
