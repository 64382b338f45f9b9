/**
 * Reading history events: ids and times in every int64 form, which events answer
 * commands, and the activation job each result event becomes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EV,
  EVENT_FOR_COMMAND,
  attrsOf,
  eventId,
  eventName,
  eventTimeMs,
  isCommandEvent,
  jobForEvent,
  type HistoryEvent,
  type SeqRef,
} from '../../src/engine/history-events';
import { DeterminismError } from '../../src/engine/determinism-error';
import { BastionError, WorkflowError } from '../../src/common/errors';
import { temporal } from '../../src/common/proto';
import { defaultPayloadConverter } from '../../src/converter';

const { EventType, CommandType } = temporal.api.enums.v1;

/** An int64 as protobufjs decodes it (a Long). */
function long(n: number): { toNumber(): number } {
  const v = temporal.api.history.v1.HistoryEvent.fromObject({ eventId: String(n) }).eventId;
  assert.is(typeof v, 'object', 'protobufjs decodes int64 as Long');
  return v as unknown as { toNumber(): number };
}

const basics = suite('engine: event basics');

basics('EV numbers are the Temporal API EventType values of the same name', () => {
  for (const [name, value] of Object.entries(EV)) {
    assert.is((EventType as unknown as Record<string, number>)[`EVENT_TYPE_${name}`], value, name);
  }
});

basics('each command type maps to the event the server records for it', () => {
  const expected: Record<string, string> = {
    SCHEDULE_ACTIVITY_TASK: 'ACTIVITY_TASK_SCHEDULED',
    REQUEST_CANCEL_ACTIVITY_TASK: 'ACTIVITY_TASK_CANCEL_REQUESTED',
    START_TIMER: 'TIMER_STARTED',
    COMPLETE_WORKFLOW_EXECUTION: 'WORKFLOW_EXECUTION_COMPLETED',
    FAIL_WORKFLOW_EXECUTION: 'WORKFLOW_EXECUTION_FAILED',
    CANCEL_TIMER: 'TIMER_CANCELED',
    CANCEL_WORKFLOW_EXECUTION: 'WORKFLOW_EXECUTION_CANCELED',
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
    RECORD_MARKER: 'MARKER_RECORDED',
    CONTINUE_AS_NEW_WORKFLOW_EXECUTION: 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    START_CHILD_WORKFLOW_EXECUTION: 'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
    UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
    MODIFY_WORKFLOW_PROPERTIES: 'WORKFLOW_PROPERTIES_MODIFIED',
  };
  for (const [command, event] of Object.entries(expected)) {
    const ct = (CommandType as unknown as Record<string, number>)[`COMMAND_TYPE_${command}`]!;
    assert.is(EVENT_FOR_COMMAND[ct], (EventType as unknown as Record<string, number>)[`EVENT_TYPE_${event}`], command);
  }
  assert.is(Object.keys(EVENT_FOR_COMMAND).length, Object.keys(expected).length);
});

basics('eventId reads numbers, int64 strings and Longs', () => {
  assert.is(eventId({ eventId: 7, eventType: 1 }), 7);
  assert.is(eventId({ eventId: '12', eventType: 1 }), 12);
  assert.is(eventId({ eventId: long(4_294_967_297), eventType: 1 }), 4_294_967_297);
});

basics('eventTimeMs reads seconds (Long or string) and nanos, and is 0 without a time', () => {
  assert.is(eventTimeMs({ eventId: 1, eventType: 1, eventTime: { seconds: long(1_700_000_000), nanos: 123_999_999 } }), 1_700_000_000_123);
  assert.is(eventTimeMs({ eventId: 1, eventType: 1, eventTime: { seconds: '2', nanos: 0 } }), 2000);
  assert.is(eventTimeMs({ eventId: 1, eventType: 1 }), 0);
});

basics('command events are those a command produces; results, signals and task events are not', () => {
  for (const t of [
    EV.ACTIVITY_TASK_SCHEDULED,
    EV.TIMER_STARTED,
    EV.TIMER_CANCELED,
    EV.MARKER_RECORDED,
    EV.START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EV.WORKFLOW_EXECUTION_COMPLETED,
    EV.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  ]) {
    assert.ok(isCommandEvent(t), eventName(t));
  }
  for (const t of [
    EV.WORKFLOW_EXECUTION_STARTED,
    EV.WORKFLOW_TASK_STARTED,
    EV.WORKFLOW_TASK_COMPLETED,
    EV.ACTIVITY_TASK_STARTED,
    EV.ACTIVITY_TASK_COMPLETED,
    EV.TIMER_FIRED,
    EV.WORKFLOW_EXECUTION_SIGNALED,
    EV.CHILD_WORKFLOW_EXECUTION_STARTED,
  ]) {
    assert.not.ok(isCommandEvent(t), eventName(t));
  }
});

basics('eventName names known types and says the number of unknown ones', () => {
  assert.is(eventName(EV.TIMER_STARTED), 'TIMER_STARTED');
  assert.is(eventName(999), 'event type 999');
});

basics('attrsOf returns the set attributes object, skipping unset ones', () => {
  const a = { timerId: '3' };
  assert.is(attrsOf({ eventId: 1, eventType: EV.TIMER_FIRED, activityTaskScheduledEventAttributes: null, timerFiredEventAttributes: a }), a);
  assert.equal(attrsOf({ eventId: 1, eventType: EV.WORKFLOW_TASK_SCHEDULED }), {});
});

basics('DeterminismError.mismatch names the event id, what history has and what the workflow issued', () => {
  const err = DeterminismError.mismatch(14, 'TIMER_STARTED', 'timer 2', 'ScheduleActivityTask activity pay (id 3)');
  assert.ok(err instanceof WorkflowError && err instanceof BastionError);
  assert.is(err.code, 'ERR_NONDETERMINISM');
  assert.is(err.eventId, 14);
  assert.match(
    err.message,
    /^Nondeterminism: at event 14 history has timer 2 \(TIMER_STARTED\), but the workflow issued ScheduleActivityTask activity pay \(id 3\)\./,
  );
  assert.match(err.message, /patched\(\)/);
  const none = DeterminismError.mismatch(9, undefined, undefined, undefined);
  assert.match(none.message, /at event 9 history has no further command event, but the workflow issued no command/);
});

// ---- jobForEvent ----------------------------------------------------------------

const jobs = suite('engine: jobForEvent');

const p = (v: unknown) => defaultPayloadConverter.toPayload(v);
const ev = (id: number, type: number, field: string, attrs: Record<string, unknown>): HistoryEvent => ({ eventId: id, eventType: type, [field]: attrs });
const refs = new Map<number, { ref: SeqRef; attrs: Record<string, any> }>([
  [5, { ref: { kind: 'activity', seq: 2 }, attrs: { activityId: 'a-2', activityType: { name: 'charge' } } }],
  [8, { ref: { kind: 'child', seq: 4 }, attrs: { workflowId: 'kid' } }],
  [11, { ref: { kind: 'signalExternal', seq: 6 }, attrs: {} }],
  [12, { ref: { kind: 'cancelExternal', seq: 7 }, attrs: {} }],
]);
const lookup = (id: number) => refs.get(id);

jobs('a signal becomes a signal job with its payloads and headers', () => {
  const job = jobForEvent(
    ev(3, EV.WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', {
      signalName: 'go',
      input: { payloads: [p(1)] },
      header: { fields: { h: p('x') } },
    }),
    lookup,
  );
  assert.equal(job, { type: 'signal', signalName: 'go', args: [p(1)], headers: { h: p('x') } });
});

jobs('a cancel request becomes cancelWorkflow with its cause; a timer firing names the seq from the timer id', () => {
  assert.equal(jobForEvent(ev(3, EV.WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'workflowExecutionCancelRequestedEventAttributes', { cause: 'user' }), lookup), {
    type: 'cancelWorkflow',
    reason: 'user',
  });
  assert.equal(jobForEvent(ev(3, EV.TIMER_FIRED, 'timerFiredEventAttributes', { timerId: '17' }), lookup), { type: 'fireTimer', seq: 17 });
});

jobs('activity results resolve the seq of the scheduling command, by scheduled event id (Long too)', () => {
  const done = jobForEvent(
    ev(7, EV.ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', { scheduledEventId: long(5), result: { payloads: [p('ok')] } }),
    lookup,
  );
  assert.equal(done, { type: 'resolveActivity', seq: 2, result: { completed: p('ok') } });
  const failed = jobForEvent(
    ev(7, EV.ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes', {
      scheduledEventId: 5,
      startedEventId: 6,
      failure: { message: 'boom' },
      retryState: 2,
    }),
    lookup,
  ) as any;
  assert.is(failed.seq, 2);
  assert.is(failed.result.failed.message, 'Activity task failed');
  assert.equal(failed.result.failed.cause, { message: 'boom' });
  assert.equal(failed.result.failed.activityFailureInfo.activityType, { name: 'charge' });
  assert.is(failed.result.failed.activityFailureInfo.activityId, 'a-2');
  assert.is(failed.result.failed.activityFailureInfo.retryState, 2);
  const timedOut = jobForEvent(
    ev(7, EV.ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', { scheduledEventId: 5, failure: { message: 'late' } }),
    lookup,
  ) as any;
  assert.is(timedOut.result.failed.message, 'Activity task timed out');
  const cancelled = jobForEvent(
    ev(7, EV.ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', { scheduledEventId: 5, details: { payloads: [p('d')] } }),
    lookup,
  ) as any;
  assert.ok(cancelled.result.cancelled, 'a cancelled activity resolves as cancelled, not failed');
  assert.equal(cancelled.result.cancelled.cause.canceledFailureInfo.details, { payloads: [p('d')] });
});

jobs('a result for a command this run does not know is no job', () => {
  assert.is(jobForEvent(ev(7, EV.ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', { scheduledEventId: 99 }), lookup), undefined);
  assert.is(
    jobForEvent(ev(7, EV.CHILD_WORKFLOW_EXECUTION_COMPLETED, 'childWorkflowExecutionCompletedEventAttributes', { initiatedEventId: 99 }), lookup),
    undefined,
  );
});

jobs('child start and start failures resolve the child start by initiated event id', () => {
  assert.equal(
    jobForEvent(
      ev(9, EV.CHILD_WORKFLOW_EXECUTION_STARTED, 'childWorkflowExecutionStartedEventAttributes', {
        initiatedEventId: 8,
        workflowExecution: { workflowId: 'kid', runId: 'kid-run' },
      }),
      lookup,
    ),
    { type: 'resolveChildStart', seq: 4, runId: 'kid-run' },
  );
  const cause = (c: number) =>
    (
      jobForEvent(
        ev(9, EV.START_CHILD_WORKFLOW_EXECUTION_FAILED, 'startChildWorkflowExecutionFailedEventAttributes', { initiatedEventId: 8, cause: c }),
        lookup,
      ) as any
    ).failedCause;
  const C = temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause;
  assert.is(cause(C.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS), 'alreadyExists');
  assert.is(cause(C.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND), 'namespaceNotFound');
  assert.is(cause(C.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED), 'unknown');
});

jobs('child closes become completed, failed, cancelled, timed-out and terminated resolutions', () => {
  const close = (type: number, attrs: Record<string, unknown> = {}) =>
    (jobForEvent(ev(10, type, 'childAttrsEventAttributes', { initiatedEventId: 8, ...attrs }), lookup) as any).result;
  assert.equal(close(EV.CHILD_WORKFLOW_EXECUTION_COMPLETED, { result: { payloads: [p(5)] } }), { completed: p(5) });
  assert.is(close(EV.CHILD_WORKFLOW_EXECUTION_FAILED, { failure: { message: 'kid broke' } }).failed.cause.message, 'kid broke');
  assert.ok(close(EV.CHILD_WORKFLOW_EXECUTION_CANCELED).cancelled.cause.canceledFailureInfo);
  assert.equal(close(EV.CHILD_WORKFLOW_EXECUTION_TIMED_OUT).failed.cause.timeoutFailureInfo, { timeoutType: 1 });
  assert.ok(close(EV.CHILD_WORKFLOW_EXECUTION_TERMINATED).failed.cause.terminatedFailureInfo);
});

jobs('external signal and cancel results resolve, with a not-found failure when they failed', () => {
  assert.equal(
    jobForEvent(ev(13, EV.EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, 'externalWorkflowExecutionSignaledEventAttributes', { initiatedEventId: 11 }), lookup),
    { type: 'resolveSignalExternal', seq: 6 },
  );
  const sigFail = jobForEvent(
    ev(13, EV.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'signalExternalWorkflowExecutionFailedEventAttributes', { initiatedEventId: 11 }),
    lookup,
  ) as any;
  assert.is(sigFail.failure.applicationFailureInfo.type, 'ExternalWorkflowExecutionNotFound');
  assert.equal(
    jobForEvent(
      ev(14, EV.EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'externalWorkflowExecutionCancelRequestedEventAttributes', { initiatedEventId: 12 }),
      lookup,
    ),
    { type: 'resolveCancelExternal', seq: 7 },
  );
  const cancelFail = jobForEvent(
    ev(14, EV.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'requestCancelExternalWorkflowExecutionFailedEventAttributes', { initiatedEventId: 12 }),
    lookup,
  ) as any;
  assert.is(cancelFail.seq, 7);
  assert.is(cancelFail.failure.applicationFailureInfo.nonRetryable, true);
});

jobs('events that are not results are no job', () => {
  for (const t of [EV.WORKFLOW_TASK_SCHEDULED, EV.ACTIVITY_TASK_STARTED, EV.TIMER_STARTED, EV.MARKER_RECORDED, EV.WORKFLOW_EXECUTION_COMPLETED]) {
    assert.is(jobForEvent({ eventId: 3, eventType: t }, lookup), undefined, eventName(t));
  }
});

basics.run();
jobs.run();
