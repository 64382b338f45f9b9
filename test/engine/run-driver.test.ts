/**
 * The RunDriver on small hand-built histories, with a scripted sandbox in place of
 * workflow code: the activations it sends (jobs, replay flag, time, history length),
 * the commands it returns, result routing, local activities, and nondeterminism
 * detection (which event id, what history recorded, what the workflow issued).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RunDriver, type LocalActivityExecutor, type SandboxCaller } from '../../src/engine/run-driver';
import { DeterminismError } from '../../src/engine/determinism-error';
import { EV, type HistoryEvent } from '../../src/engine/history-events';
import { hashString } from '../../src/common/hash-string';
import type { Activation, ActivationCompletion, Failure, TaggedCommand } from '../../src/common/activation-protocol';
import { defaultPayloadConverter } from '../../src/converter';
import { temporal } from '../../src/common/proto';

const { EventType } = temporal.api.enums.v1;
import { rejection } from '../helpers/errors';

const RUN_ID = 'run-0001';
const p = (v: unknown) => defaultPayloadConverter.toPayload(v);
const T0 = 1_700_000_000;

/** A sandbox that answers each activation with the next scripted completion, and records activations. */
class ScriptedSandbox implements SandboxCaller {
  readonly activations: Activation[] = [];
  disposed = 0;
  unhandledRejection?: Error;
  constructor(private readonly script: Array<(a: Activation) => Partial<ActivationCompletion>>) {}
  call(): unknown {
    throw new Error('not used: runActivation is given');
  }
  runActivation(activation: Activation): ActivationCompletion {
    this.activations.push(activation);
    const step = this.script[this.activations.length - 1];
    if (!step) throw new Error(`activation ${this.activations.length} was not expected`);
    return { commands: [], queryResults: [], ...step(activation) };
  }
  dispose(): void {
    this.disposed++;
  }
}

function driver(script: Array<(a: Activation) => Partial<ActivationCompletion>>, local?: LocalActivityExecutor) {
  const sandbox = new ScriptedSandbox(script);
  return { sandbox, driver: new RunDriver(RUN_ID, sandbox, { namespace: 'ns', taskQueue: 'tq' }, 1000, local) };
}

/** History builder: ids count up; each event at T0 + its id seconds. */
class History {
  readonly events: HistoryEvent[] = [];
  add(type: number, field?: string, attrs: Record<string, unknown> = {}): number {
    const id = this.events.length + 1;
    this.events.push({ eventId: id, eventType: type, eventTime: { seconds: T0 + id, nanos: 0 }, ...(field ? { [field]: attrs } : {}) });
    return id;
  }
  started(attrs: Record<string, unknown> = {}): this {
    this.add(EV.WORKFLOW_EXECUTION_STARTED, 'workflowExecutionStartedEventAttributes', {
      workflowType: { name: 'order' },
      workflowId: 'wf-1',
      taskQueue: { name: 'tq' },
      input: { payloads: [p('in')] },
      ...attrs,
    });
    return this;
  }
  /** WorkflowTaskScheduled + Started; returns the Started id. */
  task(): number {
    this.add(EV.WORKFLOW_TASK_SCHEDULED);
    return this.add(EV.WORKFLOW_TASK_STARTED);
  }
  completed(startedId: number): number {
    return this.add(EV.WORKFLOW_TASK_COMPLETED, 'workflowTaskCompletedEventAttributes', { scheduledEventId: startedId - 1, startedEventId: startedId });
  }
  timerStarted(timerId: string): number {
    return this.add(EV.TIMER_STARTED, 'timerStartedEventAttributes', { timerId });
  }
  timerFired(timerId: string, startedEventId: number): number {
    return this.add(EV.TIMER_FIRED, 'timerFiredEventAttributes', { timerId, startedEventId });
  }
  activityScheduled(activityId: string, name: string): number {
    return this.add(EV.ACTIVITY_TASK_SCHEDULED, 'activityTaskScheduledEventAttributes', { activityId, activityType: { name } });
  }
}

const timer = (seq: number): TaggedCommand => ({ command: { commandType: 3, startTimerCommandAttributes: { timerId: String(seq) } }, kind: 'timer', seq });
const activity = (seq: number, name: string, activityId = String(seq)): TaggedCommand => ({
  command: { commandType: 1, scheduleActivityTaskCommandAttributes: { activityId, activityType: { name } } },
  kind: 'activity',
  seq,
});
const complete = (v: unknown): TaggedCommand => ({ command: { commandType: 4, completeWorkflowExecutionCommandAttributes: { result: { payloads: [p(v)] } } } });
const patchMarker = (id: string): TaggedCommand => ({
  command: {
    commandType: 9,
    recordMarkerCommandAttributes: {
      markerName: 'core_patch',
      details: { 'patch-data': { payloads: [{ data: new TextEncoder().encode(JSON.stringify({ id, deprecated: false })) }] } },
    },
  },
});

// ---- first task and replay ----------------------------------------------------------

const run = suite('engine: RunDriver activations');

run('the first task activates with the start job, the run seed and info from the started event', async () => {
  const h = new History().started({ attempt: 2, workflowRunTimeout: { seconds: 60 }, continuedExecutionRunId: 'run-0000', memo: { fields: { m: p(1) } } });
  const ws = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [timer(1)] })]);
  const res = await d.process(h.events, ws);
  assert.equal(res.commands, [timer(1).command]);
  const [a] = sandbox.activations;
  assert.is(a!.isReplaying, false);
  assert.is(a!.timestampMs, (T0 + ws) * 1000, 'workflow time is the WorkflowTaskStarted time');
  assert.is(a!.historyLength, ws);
  const start = a!.jobs[0] as Extract<Activation['jobs'][number], { type: 'start' }>;
  assert.is(start.type, 'start');
  assert.is(start.workflowType, 'order');
  assert.equal(start.args, [p('in')]);
  assert.is(start.randomnessSeed, hashString(RUN_ID));
  assert.is(start.info.workflowId, 'wf-1');
  assert.is(start.info.runId, RUN_ID);
  assert.is(start.info.namespace, 'ns');
  assert.is(start.info.attempt, 2);
  assert.is(start.info.runTimeoutMs, 60_000);
  assert.is(start.info.taskTimeoutMs, 10_000, 'the default task timeout');
  assert.is(start.info.continuedFromExecutionRunId, 'run-0000');
  assert.is(start.info.firstExecutionRunId, RUN_ID);
  assert.is(start.info.startTimeMs, (T0 + 1) * 1000);
  assert.equal(start.info.memo, { m: p(1) });
});

run('a completed task is replayed (isReplaying) before the current one, which gets the result jobs', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  const ts = h.timerStarted('1');
  h.timerFired('1', ts);
  const ws2 = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [timer(1)] }), () => ({ commands: [complete('done')] })]);
  const res = await d.process(h.events, ws2);
  assert.equal(
    sandbox.activations.map((a) => a.isReplaying),
    [true, false],
  );
  assert.equal(
    sandbox.activations.map((a) => a.jobs.map((j) => j.type)),
    [['start'], ['fireTimer']],
  );
  assert.equal(sandbox.activations[1]!.jobs[0], { type: 'fireTimer', seq: 1 });
  assert.is(sandbox.activations[0]!.timestampMs, (T0 + ws1) * 1000);
  assert.equal(res.commands, [complete('done').command]);
  assert.is(d.lastStartedEventId, ws2);
});

run('a cached run is given only the new events and matches them with the commands it sent', async () => {
  const h = new History().started();
  const ws1 = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [activity(1, 'charge')] }), () => ({ commands: [complete('paid')] })]);
  await d.process(h.events, ws1);
  const from = h.events.length;
  h.completed(ws1);
  const sched = h.activityScheduled('1', 'charge');
  h.add(EV.ACTIVITY_TASK_STARTED, 'activityTaskStartedEventAttributes', { scheduledEventId: sched });
  h.add(EV.ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', { scheduledEventId: sched, result: { payloads: [p(42)] } });
  const ws2 = h.task();
  const res = await d.process(h.events.slice(from), ws2);
  assert.is(sandbox.activations.length, 2, 'no replay of the first task');
  assert.equal(sandbox.activations[1]!.jobs, [{ type: 'resolveActivity', seq: 1, result: { completed: p(42) } }]);
  assert.equal(res.commands, [complete('paid').command]);
});

run('cancelling an activity scheduled earlier fills its scheduled event id; one scheduled in the same task sends neither command', async () => {
  const h = new History().started();
  const ws1 = h.task();
  const cancel = (seq: number): TaggedCommand => ({ command: { commandType: 2, requestCancelActivityTaskCommandAttributes: {} }, kind: 'activity', seq });
  const { driver: d } = driver([() => ({ commands: [activity(1, 'slow')] }), () => ({ commands: [cancel(1), activity(2, 'other'), cancel(2), timer(1)] })]);
  await d.process(h.events, ws1);
  const from = h.events.length;
  h.completed(ws1);
  const sched = h.activityScheduled('1', 'slow');
  h.add(EV.WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', { signalName: 'stop' });
  const ws2 = h.task();
  const res = await d.process(h.events.slice(from), ws2);
  assert.equal(res.commands, [{ commandType: 2, requestCancelActivityTaskCommandAttributes: { scheduledEventId: sched } }, timer(1).command]);
});

run('a query on a cached run is answered from the last task, and pending jobs stay for the next task', async () => {
  const h = new History().started();
  const ws1 = h.task();
  const { sandbox, driver: d } = driver([
    () => ({ commands: [timer(1)] }),
    () => ({ queryResults: [{ queryId: 'q1', answer: p('state') }] }),
    () => ({ commands: [complete(1)] }),
  ]);
  await d.process(h.events, ws1);
  const from = h.events.length;
  h.completed(ws1);
  const ts = h.timerStarted('1');
  h.timerFired('1', ts);
  const q = await d.process(h.events.slice(from), undefined, [{ type: 'query', queryId: 'q1', queryType: 'state', args: [] }]);
  assert.equal(q.queryResults, [{ queryId: 'q1', answer: p('state') }]);
  assert.equal(q.commands, []);
  assert.equal(
    sandbox.activations[1]!.jobs.map((j) => j.type),
    ['query'],
    'the timer firing is not applied for the query',
  );
  assert.is(sandbox.activations[1]!.isReplaying, true);
  const ws2 = h.task();
  await d.process(h.events.slice(h.events.length - 2), ws2);
  assert.equal(sandbox.activations[2]!.jobs, [{ type: 'fireTimer', seq: 1 }]);
});

run('before replaying a task, the patches its commands recorded are notified', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  h.add(EV.MARKER_RECORDED, 'markerRecordedEventAttributes', {
    markerName: 'core_patch',
    details: { 'patch-data': { payloads: [{ data: new TextEncoder().encode(JSON.stringify({ id: 'v2', deprecated: false })) }] } },
  });
  h.timerStarted('1');
  const ws2 = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [patchMarker('v2'), timer(1)] }), () => ({})]);
  await d.process(h.events, ws2);
  assert.equal(
    sandbox.activations[0]!.jobs.map((j) => j.type),
    ['start', 'notifyHasPatch'],
  );
  assert.equal(sandbox.activations[0]!.jobs[1], { type: 'notifyHasPatch', patchId: 'v2' });
});

run('a recorded patch marker the code no longer asks about is skipped', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  h.add(EV.MARKER_RECORDED, 'markerRecordedEventAttributes', {
    markerName: 'core_patch',
    details: { 'patch-data': { payloads: [{ data: new TextEncoder().encode(JSON.stringify({ id: 'old', deprecated: true })) }] } },
  });
  h.timerStarted('1');
  const ws2 = h.task();
  const { driver: d } = driver([() => ({ commands: [timer(1)] }), () => ({})]);
  await d.process(h.events, ws2);
  assert.is(d.lastStartedEventId, ws2);
});

run('a local activity runs on the worker, is recorded as a marker, and resolves in a second activation', async () => {
  const h = new History().started();
  const ws = h.task();
  const requests: unknown[] = [];
  const la: TaggedCommand = {
    command: { localActivity: { seq: 1, activityId: '1', activityType: 'lookup', args: [], headers: {} } },
    kind: 'localActivity',
    seq: 1,
  };
  const { sandbox, driver: d } = driver([() => ({ commands: [la] }), () => ({ commands: [complete('found')] })], async (r) => {
    requests.push(r);
    return { result: p('row'), attempt: 1, completeTimeMs: 5_000, originalScheduleTimeMs: 4_000 };
  });
  const res = await d.process(h.events, ws);
  assert.equal(requests, [la.command.localActivity]);
  assert.equal(sandbox.activations[1]!.jobs, [{ type: 'resolveLocalActivity', seq: 1, result: { completed: p('row') } }]);
  const [marker, done] = res.commands;
  assert.is(marker!.commandType, 9);
  assert.is(marker!.recordMarkerCommandAttributes.markerName, 'core_local_activity');
  const data = JSON.parse(new TextDecoder().decode(marker!.recordMarkerCommandAttributes.details.data.payloads[0].data));
  assert.equal(
    { seq: data.seq, activity_type: data.activity_type, activity_id: data.activity_id, attempt: data.attempt },
    { seq: 1, activity_type: 'lookup', activity_id: '1', attempt: 1 },
  );
  assert.equal(marker!.recordMarkerCommandAttributes.details.result, { payloads: [p('row')] });
  assert.equal(done, complete('found').command);
});

// Event types from the Temporal API enum, not EV: the test must catch a wrong EV number.
run('upsertMemo (ModifyWorkflowProperties) and upsertSearchAttributes replay against their recorded events', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  h.add(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, 'workflowPropertiesModifiedEventAttributes', { upsertedMemo: { fields: { stage: p('paid') } } });
  h.add(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 'upsertWorkflowSearchAttributesEventAttributes', {
    searchAttributes: { indexedFields: { Stage: p(['paid']) } },
  });
  const ws2 = h.task();
  const modify: TaggedCommand = { command: { commandType: 16, modifyWorkflowPropertiesCommandAttributes: { upsertedMemo: { fields: { stage: p('paid') } } } } };
  const upsert: TaggedCommand = {
    command: { commandType: 13, upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields: { Stage: p(['paid']) } } } },
  };
  const { sandbox, driver: d } = driver([() => ({ commands: [modify, upsert] }), () => ({ commands: [complete('ok')] })]);
  const res = await d.process(h.events, ws2);
  assert.is(sandbox.activations.length, 2);
  assert.equal(res.commands, [complete('ok').command]);
});

run('an unhandled promise rejection in the sandbox fails the task', async () => {
  const h = new History().started();
  const ws = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [timer(1)] })]);
  sandbox.unhandledRejection = new Error('lost in a promise');
  const res = await d.process(h.events, ws);
  assert.equal(res.commands, []);
  assert.is(res.taskFailure!.message, 'lost in a promise');
});

run('dispose disposes the sandbox once', () => {
  const { sandbox, driver: d } = driver([]);
  d.dispose();
  d.dispose();
  assert.is(sandbox.disposed, 1);
  assert.is(d.closed, true);
});

// ---- nondeterminism -------------------------------------------------------------------

const nd = suite('engine: RunDriver nondeterminism');

/** A history whose first task recorded `record(h)`, then a second task started. */
function replayed(record: (h: History) => void): { h: History; ws2: number } {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  record(h);
  return { h, ws2: h.task() };
}

nd('a different command type names the event id, what history recorded and what was issued', async () => {
  let ts = 0;
  const { h, ws2 } = replayed((x) => {
    ts = x.timerStarted('1');
  });
  const { driver: d } = driver([() => ({ commands: [activity(1, 'charge')] })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.is(err.code, 'ERR_NONDETERMINISM');
  assert.is(err.eventId, ts);
  assert.match(
    err.message,
    new RegExp(`at event ${ts} history has timer 1 \\(TIMER_STARTED\\), but the workflow issued ScheduleActivityTask activity charge \\(id 1\\)`),
  );
});

nd('the same command type for a different activity is a mismatch naming both activities', async () => {
  let sched = 0;
  const { h, ws2 } = replayed((x) => {
    sched = x.activityScheduled('1', 'charge');
  });
  const { driver: d } = driver([() => ({ commands: [activity(1, 'refund')] })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.is(err.eventId, sched);
  assert.match(
    err.message,
    /history has activity charge \(id 1\) \(ACTIVITY_TASK_SCHEDULED\), but the workflow issued ScheduleActivityTask activity refund \(id 1\)/,
  );
});

nd('a timer with another id is a mismatch', async () => {
  const { h, ws2 } = replayed((x) => {
    x.timerStarted('1');
  });
  const { driver: d } = driver([() => ({ commands: [timer(2)] })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.match(err.message, /history has timer 1 \(TIMER_STARTED\), but the workflow issued StartTimer timer 2/);
});

nd('a command event the workflow no longer issues: "issued no command"', async () => {
  let ts = 0;
  const { h, ws2 } = replayed((x) => {
    ts = x.timerStarted('1');
  });
  const { driver: d } = driver([() => ({ commands: [] })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.is(err.eventId, ts);
  assert.match(err.message, /history has timer 1 \(TIMER_STARTED\), but the workflow issued no command/);
});

nd('an extra command history does not have names the next event id and the command', async () => {
  const { h, ws2 } = replayed((x) => {
    x.timerStarted('1');
  });
  const { driver: d } = driver([() => ({ commands: [timer(1), activity(1, 'extra')] })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.is(err.eventId, ws2 - 1, 'the WorkflowTaskScheduled that follows the recorded commands');
  assert.match(err.message, /history has no further command event, but the workflow issued ScheduleActivityTask activity extra \(id 1\)/);
});

nd('a replayed task that fails is a determinism error naming its WorkflowTaskStarted', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  const ws2 = h.task();
  const { driver: d } = driver([() => ({ taskFailure: { message: 'TypeError: x is undefined' } })]);
  const err = await rejection(d.process(h.events, ws2), DeterminismError);
  assert.is(err.eventId, ws1);
  assert.match(err.message, new RegExp(`replaying workflow task ${ws1} failed: TypeError: x is undefined`));
});

nd('a history that stops before the current WorkflowTaskStarted is reported', async () => {
  const h = new History().started();
  h.task();
  const { driver: d } = driver([]);
  const err = await rejection(d.process(h.events, 99), DeterminismError);
  assert.is(err.eventId, 99);
  assert.match(err.message, /does not reach its WorkflowTaskStarted event 99/);
});

// ---- local activities: backoffs and heartbeats ----------------------------------------

const la = suite('engine: RunDriver local activity backoffs and heartbeats');

const laRequest = (seq: number, attempt = 1): TaggedCommand => ({
  command: { localActivity: { seq, activityId: String(seq), activityType: 'lookup', args: [], headers: {}, attempt, localRetryThresholdMs: 60_000 } },
  kind: 'localActivity',
  seq,
});
const markerData = (c: Record<string, any>) => JSON.parse(new TextDecoder().decode(c.recordMarkerCommandAttributes.details.data.payloads[0].data));
const boom: Failure = { message: 'boom', applicationFailureInfo: { type: 'Error' } };

/** A local activity marker event as history records it. */
function markerEvent(h: History, data: Record<string, unknown>, result?: unknown, failure?: Failure): number {
  return h.add(EV.MARKER_RECORDED, 'markerRecordedEventAttributes', {
    markerName: 'core_local_activity',
    details: {
      data: { payloads: [{ data: new TextEncoder().encode(JSON.stringify({ activity_id: String(data.seq), activity_type: 'lookup', ...data })) }] },
      ...(result === undefined ? {} : { result: { payloads: [p(result)] } }),
    },
    failure,
  });
}

la('a backoff outcome is recorded with the failure and the backoff, and resolves the call with a backoff for the next attempt', async () => {
  const h = new History().started();
  const ws = h.task();
  const { sandbox, driver: d } = driver([() => ({ commands: [laRequest(1, 2)] }), () => ({ commands: [timer(1)] })], async () => ({
    failure: boom,
    attempt: 2,
    completeTimeMs: 5_000,
    originalScheduleTimeMs: 4_000,
    backoffMs: 90_000,
  }));
  const res = await d.process(h.events, ws);
  assert.equal(sandbox.activations[1]!.jobs, [
    { type: 'resolveLocalActivity', seq: 1, result: { backoff: { attempt: 3, backoffMs: 90_000, originalScheduleTimeMs: 4_000 } } },
  ]);
  const [marker, t1] = res.commands;
  assert.equal(markerData(marker!), {
    seq: 1,
    attempt: 2,
    activity_id: '1',
    activity_type: 'lookup',
    complete_time: { seconds: 5, nanos: 0 },
    backoff: { seconds: 90, nanos: 0 },
    original_schedule_time: { seconds: 4, nanos: 0 },
  });
  assert.equal(marker!.recordMarkerCommandAttributes.failure, boom);
  assert.equal(t1, timer(1).command);
});

la('replaying a marker with a backoff resolves the call with the backoff it recorded', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  markerEvent(h, { seq: 1, attempt: 1, backoff: { seconds: 120, nanos: 0 }, original_schedule_time: { seconds: 7, nanos: 0 } }, undefined, boom);
  h.timerStarted('1');
  h.timerFired('1', 6);
  const ws2 = h.task();
  const script = [
    () => ({ commands: [laRequest(1)] }),
    () => ({ commands: [timer(1)] }),
    () => ({ commands: [laRequest(2, 2)] }),
    () => ({ commands: [complete('ok')] }),
  ];
  const { sandbox, driver: d } = driver(script, async (r) => ({
    result: p(`ran ${r.seq}`),
    attempt: r.attempt,
    completeTimeMs: 1,
    originalScheduleTimeMs: 7_000,
  }));
  const res = await d.process(h.events, ws2);
  assert.equal(sandbox.activations[1]!.jobs, [
    { type: 'resolveLocalActivity', seq: 1, result: { backoff: { attempt: 2, backoffMs: 120_000, originalScheduleTimeMs: 7_000 } } },
  ]);
  assert.is(sandbox.activations[1]!.isReplaying, true);
  assert.equal(markerData(res.commands[0]!).attempt, 2, 'the schedule after the timer runs from the next attempt');
});

la(
  'a local activity still running at 80% of the task timeout: the task completes with the commands so far and a forced new task; the next task waits on without activating',
  async () => {
    const h = new History().started({ workflowTaskTimeout: { seconds: 1 } });
    const ws1 = h.task();
    let finish!: (v: unknown) => void;
    const outcome = new Promise<any>((resolve) => (finish = resolve));
    const { sandbox, driver: d } = driver([() => ({ commands: [timer(1), laRequest(2)] }), () => ({ commands: [complete('found')] })], () => outcome);
    // Received a second ago: the heartbeat time (800 ms after) has passed.
    const first = await d.process(h.events, ws1, [], Date.now() - 1000);
    assert.is(first.forceNewTask, true);
    assert.equal(first.commands, [timer(1).command]);
    h.completed(ws1);
    h.timerStarted('1');
    const ws2 = h.task();
    const second = d.process(h.events, ws2, [], Date.now());
    finish({ result: p('row'), attempt: 1, completeTimeMs: 1, originalScheduleTimeMs: 1 });
    const res = await second;
    assert.is(res.forceNewTask, undefined);
    assert.is(sandbox.activations.length, 2, 'the task after the heartbeat brought no jobs: no activation until the result');
    assert.equal(sandbox.activations[1]!.jobs, [{ type: 'resolveLocalActivity', seq: 2, result: { completed: p('row') } }]);
    assert.is(res.commands[0]!.recordMarkerCommandAttributes.markerName, 'core_local_activity');
    assert.equal(res.commands[1], complete('found').command);
  },
);

la('a task that closes the run is not completed early for a local activity still running: it waits for it', async () => {
  const h = new History().started({ workflowTaskTimeout: { seconds: 1 } });
  const ws = h.task();
  let finish!: (v: unknown) => void;
  const outcome = new Promise<any>((resolve) => (finish = resolve));
  const { driver: d } = driver([() => ({ commands: [laRequest(1), complete('early')] }), () => ({})], () => outcome);
  let settled = false;
  const task = d.process(h.events, ws, [], Date.now() - 1000).finally(() => (settled = true));
  // The heartbeat time has passed, so the driver arms a 0 ms timer once it waits; a 1 ms
  // timer armed after that one fires after it (Node runs due timers in order).
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 1));
  assert.is(settled, false);
  finish({ result: p('row'), attempt: 1, completeTimeMs: 1, originalScheduleTimeMs: 1 });
  const res = await task;
  assert.is(res.forceNewTask, undefined);
  assert.equal(res.commands[0], complete('early').command);
});

la('replay: a marker recorded in a later task (after heartbeats) resolves the call in that task', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  const ws2 = h.task();
  h.completed(ws2);
  markerEvent(h, { seq: 1, attempt: 1 }, 'row');
  h.add(EV.WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {});
  const { sandbox, driver: d } = driver([() => ({ commands: [laRequest(1)] }), () => ({ commands: [complete('found')] })]);
  await d.process(h.events, undefined);
  assert.equal(
    sandbox.activations.map((a) => a.historyLength),
    [ws1, ws2],
    'resolved within the second task (which, bringing no jobs, activates only with the result)',
  );
  assert.equal(sandbox.activations[1]!.jobs, [{ type: 'resolveLocalActivity', seq: 1, result: { completed: p('row') } }]);
});

la('a local activity whose marker history lacks (the worker stopped) runs again in the first task that is not replayed', async () => {
  const h = new History().started();
  const ws1 = h.task();
  h.completed(ws1);
  const ws2 = h.task();
  const ran: number[] = [];
  const { sandbox, driver: d } = driver([() => ({ commands: [laRequest(1)] }), () => ({ commands: [complete('found')] })], async (r) => {
    ran.push(r.seq);
    return { result: p('row'), attempt: 1, completeTimeMs: 1, originalScheduleTimeMs: 1 };
  });
  const res = await d.process(h.events, ws2);
  assert.equal(ran, [1]);
  assert.is(sandbox.activations.length, 2);
  assert.is(res.commands[0]!.recordMarkerCommandAttributes.markerName, 'core_local_activity');
});

run.run();
nd.run();
la.run();
