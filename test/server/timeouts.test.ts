/** Server-side timeouts, driven with raw WorkflowService calls. */
import * as assert from 'uvu/assert';
import { temporal } from '@temporalio/proto';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';

const E = temporal.api.enums.v1;
const ET = E.EventType;
const { test, svc } = rawServerSuite('dev server timeouts', {});
const secs = (s: number) => ({ seconds: Math.floor(s) as never, nanos: Math.round((s % 1) * 1e9) });

const history = async (workflowId: string) => (await svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })).history!.events!;
/** Starts workflow `workflowId` of type `wf` on `taskQueue`. */
const start = (workflowId: string, taskQueue: string, extra: object = {}) =>
  svc().startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: taskQueue },
    requestId: `r-${workflowId}`,
    ...extra,
  });
const pollTask = (taskQueue: string, identity = 'w') => svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity });
/** Completes workflow task `task` with one command. */
const complete = (task: { taskToken?: Uint8Array | null }, command: object) =>
  svc().respondWorkflowTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'w', commands: [command] });
const scheduleActivity = (attrs: object) => ({
  commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: { activityId: 'a1', ...attrs },
});

test(
  'a workflow task nobody completes times out and is retried as attempt 2',
  timed(10_000, async () => {
    await start('wft-timeout', 'tq-wft', { workflowTaskTimeout: secs(1) });
    const first = await pollTask('tq-wft', 'slow');
    assert.is(first.attempt, 1);
    const second = await pollTask('tq-wft', 'fast');
    assert.is(second.attempt, 2);
    const types = (await history('wft-timeout')).map((e) => e.eventType);
    assert.ok(types.includes(ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT));
  }),
);

test(
  'an activity nobody polls for times out schedule-to-start and the workflow hears of it',
  timed(10_000, async () => {
    await start('s2s', 'tq-s2s');
    await complete(
      await pollTask('tq-s2s'),
      scheduleActivity({
        activityType: { name: 'never' },
        taskQueue: { name: 'nobody-polls' },
        scheduleToStartTimeout: secs(0.5),
        startToCloseTimeout: secs(10),
      }),
    );
    const next = await pollTask('tq-s2s');
    const timedOut = next.history!.events!.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)!;
    assert.ok(timedOut, 'ActivityTaskTimedOut delivered');
    assert.is(timedOut.activityTaskTimedOutEventAttributes!.failure!.timeoutFailureInfo!.timeoutType, E.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
  }),
);

test(
  'a workflow past its execution timeout is TIMED_OUT',
  timed(10_000, async () => {
    await start('exec-timeout', 'tq-none', { workflowExecutionTimeout: secs(0.5) });
    const close = await svc().getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: 'exec-timeout' },
      waitNewEvent: true,
      historyEventFilterType: E.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    assert.is(close.history!.events![0]!.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
    const d = await svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'exec-timeout' } });
    assert.is(d.workflowExecutionInfo!.status, E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
  }),
);

test(
  'a failed activity attempt is retried with its heartbeat details; cancellation shows in heartbeats',
  timed(10_000, async () => {
    await start('act-retry', 'tq-ar');
    await complete(
      await pollTask('tq-ar'),
      scheduleActivity({ activityType: { name: 'x' }, startToCloseTimeout: secs(10), retryPolicy: { initialInterval: secs(0.1), maximumAttempts: 3 } }),
    );
    const a1 = await svc().pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-ar' }, identity: 'act' });
    assert.is(a1.attempt, 1);
    const details = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"step":3}') }] };
    const hb = await svc().recordActivityTaskHeartbeat({ namespace: 'default', taskToken: a1.taskToken, details });
    assert.is(hb.cancelRequested, false);
    await svc().respondActivityTaskFailed({
      namespace: 'default',
      taskToken: a1.taskToken,
      failure: { message: 'boom', applicationFailureInfo: { type: 'Oops' } },
    });
    const a2 = await svc().pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'tq-ar' }, identity: 'act' });
    assert.is(a2.attempt, 2);
    assert.is(Buffer.from(a2.heartbeatDetails!.payloads![0]!.data!).toString(), '{"step":3}');
    // The workflow cancels the activity; the running attempt learns it from its next heartbeat.
    await svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'act-retry' }, signalName: 'wake' });
    const t2 = await pollTask('tq-ar');
    const scheduled = t2.history!.events!.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)!;
    await complete(t2, {
      commandType: E.CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
      requestCancelActivityTaskCommandAttributes: { scheduledEventId: scheduled.eventId },
    });
    const hb2 = await svc().recordActivityTaskHeartbeat({ namespace: 'default', taskToken: a2.taskToken });
    assert.is(hb2.cancelRequested, true);
    await svc().respondActivityTaskCanceled({ namespace: 'default', taskToken: a2.taskToken, identity: 'act' });
    const events = await history('act-retry');
    const types = events.map((e) => e.eventType);
    const started = events.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED)!;
    assert.is(started.activityTaskStartedEventAttributes!.attempt, 2);
    assert.is(started.activityTaskStartedEventAttributes!.lastFailure!.message, 'boom');
    const canceled = events.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED)!;
    assert.is(Number(canceled.activityTaskCanceledEventAttributes!.startedEventId), Number(started.eventId), 'canceled points at its started event');
    assert.ok(types.indexOf(ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) < types.indexOf(ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED));
  }),
);

test.run();
