/**
 * History JSON as the Temporal CLI and Web UI export it (proto3 JSON): int64 as strings,
 * enum names in every spelling Temporal tools write, field names in either case, bytes
 * in base64, and coded errors naming the event and field that is wrong.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { historyFromJson, historyToJson } from '../../src/engine/history-json';
import { temporal, toNumber } from '../../src/common/proto';
import { BastionError } from '../../src/common/errors';
import { thrown } from '../helpers/errors';

const { EventType: ET, TimeoutType, RetryState, TaskQueueKind } = temporal.api.enums.v1;

const test = suite('engine: historyFromJson');

const started = (extra: Record<string, unknown> = {}) => ({
  eventId: '1',
  eventTime: '2024-05-01T10:00:00Z',
  eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  workflowExecutionStartedEventAttributes: { workflowType: { name: 'wf' }, taskQueue: { name: 'q' } },
  ...extra,
});

test('reads event types in full SCREAMING_CASE, without the prefix, in PascalCase, lower case and as numbers', () => {
  const spellings = ['EVENT_TYPE_TIMER_STARTED', 'TIMER_STARTED', 'TimerStarted', 'timer_started', 'timerStarted', 17, '17'];
  const h = historyFromJson({ events: spellings.map((eventType, i) => ({ eventId: String(i + 1), eventType })) });
  assert.equal(
    h.events.map((e) => e.eventType),
    spellings.map(() => ET.EVENT_TYPE_TIMER_STARTED),
  );
});

test('reads nested enums in their short forms (timeout type, retry state, task queue kind)', () => {
  const h = historyFromJson({
    events: [
      started({ workflowExecutionStartedEventAttributes: { workflowType: { name: 'wf' }, taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_STICKY' } } }),
      {
        eventId: '2',
        eventType: 'ActivityTaskTimedOut',
        activityTaskTimedOutEventAttributes: {
          scheduledEventId: '5',
          retryState: 'Timeout',
          failure: { message: 't', timeoutFailureInfo: { timeoutType: 'StartToClose' } },
        },
      },
      {
        eventId: '3',
        eventType: 'ActivityTaskTimedOut',
        activityTaskTimedOutEventAttributes: {
          retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED',
          failure: { timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_HEARTBEAT' } },
        },
      },
    ],
  });
  assert.is(h.events[0]!.workflowExecutionStartedEventAttributes!.taskQueue!.kind, TaskQueueKind.TASK_QUEUE_KIND_STICKY);
  const a = h.events[1]!.activityTaskTimedOutEventAttributes!;
  assert.is(a.retryState, RetryState.RETRY_STATE_TIMEOUT);
  assert.is(a.failure!.timeoutFailureInfo!.timeoutType, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
  const b = h.events[2]!.activityTaskTimedOutEventAttributes!;
  assert.is(b.retryState, RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  assert.is(b.failure!.timeoutFailureInfo!.timeoutType, TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
});

test('reads int64 strings exactly, past 2^53', () => {
  const h = historyFromJson({
    events: [
      { eventId: '9007199254740993', eventType: 'TimerFired', taskId: '1048576', timerFiredEventAttributes: { timerId: '1', startedEventId: '4294967297' } },
    ],
  });
  assert.is(h.events[0]!.eventId!.toString(), '9007199254740993');
  assert.is(h.events[0]!.taskId!.toString(), '1048576');
  assert.is(toNumber(h.events[0]!.timerFiredEventAttributes!.startedEventId), 4294967297);
});

test('reads RFC 3339 timestamps with fractions and durations like "10s" and "0.25s"', () => {
  const h = historyFromJson({
    events: [
      started({
        eventTime: '2024-05-01T10:00:00.5Z',
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: 'q' },
          workflowTaskTimeout: '10s',
          workflowRunTimeout: '0.25s',
        },
      }),
    ],
  });
  const e = h.events[0]!;
  assert.is(toNumber(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6, Date.parse('2024-05-01T10:00:00.500Z'));
  const a = e.workflowExecutionStartedEventAttributes!;
  assert.is(toNumber(a.workflowTaskTimeout!.seconds), 10);
  assert.is(toNumber(a.workflowRunTimeout!.seconds), 0);
  assert.is(a.workflowRunTimeout!.nanos, 250_000_000);
});

test('decodes raw payloads from base64 metadata and data', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const h = historyFromJson({
    events: [
      started({
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: 'q' },
          input: { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"n":7}') }] },
        },
      }),
    ],
  });
  const p = h.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  assert.is(Buffer.from(p.metadata!.encoding!).toString(), 'json/plain');
  assert.is(Buffer.from(p.data!).toString(), '{"n":7}');
});

test('reads the CLI payload shorthand for json/protobuf payloads with _protoMessageType', () => {
  const h = historyFromJson({
    events: [
      started({
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: 'q' },
          input: [{ _protoMessageType: 'shop.Order', id: 3 }],
        },
      }),
    ],
  });
  const p = h.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  assert.is(Buffer.from(p.metadata!.encoding!).toString(), 'json/protobuf');
  assert.is(Buffer.from(p.metadata!.messageType!).toString(), 'shop.Order');
  assert.equal(JSON.parse(Buffer.from(p.data!).toString()), { id: 3 });
});

test('accepts the history as JSON text and ignores fields a newer server added', () => {
  const h = historyFromJson(
    JSON.stringify({
      events: [
        started({ brandNewField: { x: 1 } }),
        { eventId: '2', eventType: 'WorkflowTaskScheduled', workflowTaskScheduledEventAttributes: { attempt: 1, futureThing: true } },
      ],
    }),
  );
  assert.equal(
    h.events.map((e) => toNumber(e.eventId)),
    [1, 2],
  );
  assert.is(h.events[1]!.workflowTaskScheduledEventAttributes!.attempt, 1);
});

test('round-trips through historyToJson: int64 as strings, enums by full name', () => {
  const original = historyFromJson({
    events: [
      started(),
      { eventId: '2', eventType: 'TimerStarted', timerStartedEventAttributes: { timerId: '1', startToFireTimeout: '3s', workflowTaskCompletedEventId: '4' } },
    ],
  });
  const json = historyToJson(original);
  const text = JSON.stringify(json);
  assert.is((json.events[1] as Record<string, unknown>).eventId, '2');
  assert.is((json.events[1] as Record<string, unknown>).eventType, 'EVENT_TYPE_TIMER_STARTED');
  assert.match(text, /"startToFireTimeout":"3s"/);
  const back = historyFromJson(text);
  assert.equal(temporal.api.history.v1.History.toObject(back, { longs: String }), temporal.api.history.v1.History.toObject(original, { longs: String }));
});

test('rejects a history that is not an object with an events array', () => {
  for (const bad of [[], { history: { events: [] } }, { events: 'none' }, 'null']) {
    const err = thrown(() => historyFromJson(bad), BastionError);
    assert.is(err.code, 'ERR_HISTORY_JSON_INVALID');
    assert.match(err.message, /`events` array/);
  }
});

test('rejects an event that is not an object, naming its index', () => {
  const err = thrown(() => historyFromJson({ events: [started(), ['not', 'an', 'event']] }), BastionError);
  assert.is(err.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(err.message, /`events\[1\]` must be a JSON object, got an array/);
});

test('rejects an unknown nested enum name, naming the event id and the field path', () => {
  const err = thrown(
    () =>
      historyFromJson({
        events: [started(), { eventId: '9', eventType: 'ActivityTaskTimedOut', activityTaskTimedOutEventAttributes: { retryState: 'GaveUp' } }],
      }),
    BastionError,
  );
  assert.is(err.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(err.message, /`events\[1\] \(eventId 9\)\.activityTaskTimedOutEventAttributes\.retryState` is "GaveUp", which is not a value of RetryState/);
});

test('rejects an enum given as neither string nor number', () => {
  const err = thrown(() => historyFromJson({ events: [{ eventId: '1', eventType: true }] }), BastionError);
  assert.match(err.message, /`events\[0\] \(eventId 1\)\.eventType` must be an enum name or number, got true/);
});

test('rejects an integer field that is not a number or a decimal string, naming the event and field', () => {
  const id = thrown(() => historyFromJson({ events: [{ eventId: 'one', eventType: 'TimerFired' }] }), BastionError);
  assert.is(id.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(id.message, /`events\[0\] \(eventId one\)\.eventId` must be an integer \(a JSON number or a decimal string\), got "one"/);
  const attempt = thrown(() => historyFromJson({ events: [started({ workflowExecutionStartedEventAttributes: { attempt: 'two' } })] }), BastionError);
  assert.match(attempt.message, /`events\[0\] \(eventId 1\)\.workflowExecutionStartedEventAttributes\.attempt` must be an integer/);
  const fraction = thrown(() => historyFromJson({ events: [{ eventId: 1.5, eventType: 'TimerFired' }] }), BastionError);
  assert.match(fraction.message, /got 1\.5/);
  assert.is(toNumber(historyFromJson({ events: [{ eventId: 12, eventType: 'TimerFired' }] }).events[0]!.eventId), 12, 'a JSON number is fine');
});

test('rejects a bool field given as a string', () => {
  const err = thrown(
    () =>
      historyFromJson({
        events: [
          { eventId: '4', eventType: 'WorkflowTaskCompleted', workflowTaskCompletedEventAttributes: { sdkMetadata: {}, meteringMetadata: {} } },
          { eventId: '5', eventType: 'ActivityTaskScheduled', activityTaskScheduledEventAttributes: { useWorkflowBuildId: 'yes' } },
        ],
      }),
    BastionError,
  );
  assert.match(err.message, /`events\[1\] \(eventId 5\)\.activityTaskScheduledEventAttributes\.useWorkflowBuildId` must be true or false, got "yes"/);
});

test('rejects a wrongly typed message value, naming the event', () => {
  const err = thrown(() => historyFromJson({ events: [{ eventId: '7', eventType: 'TimerFired', timerFiredEventAttributes: 'fired' }] }), BastionError);
  assert.is(err.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(err.message, /`events\[0\] \(eventId 7\)` is not a HistoryEvent in proto3 JSON/);
});

test.run();
