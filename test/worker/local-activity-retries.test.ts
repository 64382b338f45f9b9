/**
 * Local activity retries and long local activities, judged against the official worker
 * (Core) on one time-skipping dev server: both run the same workflows (written against
 * @temporalio/workflow), and their histories must have the same shape. A retry whose
 * backoff is over `localRetryThreshold` leaves a marker with the backoff, a durable timer
 * (skipped, not waited) and a new schedule from the next attempt; one at or under it runs
 * within the workflow task. A local activity running past the task timeout keeps the
 * task alive by completing it with a forced new task. Last, each SDK replays the other's
 * histories.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection as OfficialConnection, Client as OfficialClient } from '@temporalio/client';
import { NativeConnection, Worker as OfficialWorker } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '../../src/testing';
import { Worker } from '../../src/worker';
import * as bastionActivities from '../fixtures/bastion-activities';
import * as officialActivities from '../fixtures/activities';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { installQuietRuntime, workflowBundle, WORKFLOWS_PATH } from '../helpers/official-env';
import { timed, waitFor } from '../helpers/wait';

type HistoryEvent = Record<string, any>;

const t = suite('local activity retries and long local activities, as the official worker runs them');
let env: TestWorkflowEnvironment;
let nativeConnection: NativeConnection;
let officialConnection: OfficialConnection;
let officialClient: OfficialClient;
const stops: Array<() => Promise<void>> = [];
const BASTION_TQ = 'la-bastion';
const OFFICIAL_TQ = 'la-official';
/** The histories each worker made, replayed by the other SDK at the end. */
const made: Record<'bastion' | 'official', string[]> = { bastion: [], official: [] };

/** The gate `waitForRelease` waits on; each long-activity run sets a new one. */
let gate: { promise: Promise<void>; release: () => void } | undefined;
function newGate() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  gate = { promise, release };
  return gate;
}
const waitForRelease = async () => {
  await gate!.promise;
  return 'released';
};

t.before(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping();
  const bastion = await Worker.create({
    connection: env.connection,
    taskQueue: BASTION_TQ,
    workflowBundle: await bastionBundle(),
    activities: { ...bastionActivities, waitForRelease },
    logger: quietLogger,
    shutdownSignals: [],
    shutdownGraceTime: '1s',
  });
  nativeConnection = await NativeConnection.connect({ address: env.address });
  const official = await OfficialWorker.create({
    connection: nativeConnection,
    taskQueue: OFFICIAL_TQ,
    workflowBundle: await workflowBundle(),
    activities: { ...officialActivities, waitForRelease },
    shutdownGraceTime: '1s',
  });
  for (const w of [bastion, official]) {
    const running = w.run();
    stops.push(async () => {
      void w.shutdown();
      await running;
    });
  }
  officialConnection = await OfficialConnection.connect({ address: env.address });
  officialClient = new OfficialClient({ connection: officialConnection });
});

t.after(async () => {
  gate?.release();
  await Promise.all(stops.map((stop) => stop()));
  await officialConnection?.close();
  await nativeConnection?.close();
  await env?.teardown();
});

let n = 0;
const id = (name: string) => `${name}-${++n}`;

/** Runs `workflowType` on both workers; their results and histories. */
async function onBoth(workflowType: string, args: (sdk: 'bastion' | 'official') => unknown[]) {
  const out: Record<'bastion' | 'official', { result: unknown; events: HistoryEvent[] }> = {} as never;
  for (const sdk of ['bastion', 'official'] as const) {
    const workflowId = id(`${workflowType}-${sdk}`);
    const handle = await env.client.workflow.start(workflowType, { taskQueue: sdk === 'bastion' ? BASTION_TQ : OFFICIAL_TQ, workflowId, args: args(sdk) });
    const result = await handle.result();
    out[sdk] = { result, events: (await handle.fetchHistory()).events as HistoryEvent[] };
    made[sdk].push(workflowId);
  }
  return out;
}

/** Event types in order, as names (`MarkerRecorded`, `TimerStarted`…). */
const kinds = (events: HistoryEvent[]) =>
  events.map((e) =>
    Object.keys(e)
      .find((k) => k.endsWith('EventAttributes'))!
      .replace(/EventAttributes$/, ''),
  );

const ms = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : null;

/** What each local activity marker records, times left out except the backoff. */
function markers(events: HistoryEvent[]) {
  return events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const a = e.markerRecordedEventAttributes;
      const data = JSON.parse(Buffer.from(a.details.data.payloads[0].data).toString());
      return {
        seq: data.seq,
        attempt: data.attempt,
        activityId: data.activity_id,
        backoffMs: ms(data.backoff),
        failure: a.failure?.message ?? null,
        originalScheduleTime: ms(data.original_schedule_time),
      };
    });
}
const withoutTimes = (m: ReturnType<typeof markers>) => m.map(({ originalScheduleTime: _, ...rest }) => rest);
const timers = (events: HistoryEvent[]) => events.filter((e) => e.timerStartedEventAttributes).map((e) => ms(e.timerStartedEventAttributes.startToFireTimeout));

t(
  'a backoff at or under localRetryThreshold is retried within the workflow task: one marker, no timer',
  timed(30_000, async () => {
    // 20 ms and 40 ms backoffs under the default threshold (1 minute); 50 ms at a 50 ms threshold.
    for (const [fails, interval, threshold] of [
      [2, '20ms', undefined],
      [1, '50ms', '50ms'],
    ] as const) {
      const key = id('under');
      const runs = await onBoth('localBackoff', (sdk) => [`${key}-${sdk}`, fails, interval, threshold]);
      for (const sdk of ['bastion', 'official'] as const) {
        const { result, events } = runs[sdk];
        assert.is(result, `ok after ${fails + 1} attempts (server attempt ${fails + 1})`, sdk);
        assert.equal(withoutTimes(markers(events)), [{ seq: 1, attempt: fails + 1, activityId: '1', backoffMs: null, failure: null }], sdk);
        assert.equal(timers(events), [], `${sdk}: no timer`);
      }
      assert.equal(kinds(runs.bastion.events), kinds(runs.official.events));
    }
  }),
);

t(
  'a backoff over localRetryThreshold: a marker with the failure and the backoff, a durable timer, then the next attempt scheduled anew',
  timed(30_000, async () => {
    const key = id('over');
    // Backoffs of 2 and 4 minutes: the time-skipping server fires the timers at once.
    const runs = await onBoth('localBackoff', (sdk) => [`${key}-${sdk}`, 2, '2 minutes']);
    for (const sdk of ['bastion', 'official'] as const) {
      const { result, events } = runs[sdk];
      assert.is(result, 'ok after 3 attempts (server attempt 3)', `${sdk}: the attempt number runs on across timers`);
      const m = markers(events);
      assert.equal(
        withoutTimes(m),
        [
          { seq: 1, attempt: 1, activityId: '1', backoffMs: 120_000, failure: 'attempt 1 fails' },
          { seq: 2, attempt: 2, activityId: '2', backoffMs: 240_000, failure: 'attempt 2 fails' },
          { seq: 3, attempt: 3, activityId: '3', backoffMs: null, failure: null },
        ],
        sdk,
      );
      assert.ok(m[0]!.originalScheduleTime! > 0);
      assert.equal(
        m.map((x) => x.originalScheduleTime),
        [m[0]!.originalScheduleTime, m[0]!.originalScheduleTime, m[0]!.originalScheduleTime],
        `${sdk}: every schedule keeps the first one's time`,
      );
      assert.equal(timers(events), [120_000, 240_000], sdk);
    }
    assert.equal(kinds(runs.bastion.events), kinds(runs.official.events));
    assert.equal(kinds(runs.bastion.events).slice(4, 8), ['markerRecorded', 'timerStarted', 'timerFired', 'workflowTaskScheduled']);
  }),
);

t(
  'backoffs under the threshold wait in the worker, the first one over it goes through a timer',
  timed(30_000, async () => {
    const key = id('mixed');
    // 20 ms and 40 ms wait in the worker; 80 ms is over the 50 ms threshold.
    const runs = await onBoth('localBackoff', (sdk) => [`${key}-${sdk}`, 3, '20ms', '50ms']);
    for (const sdk of ['bastion', 'official'] as const) {
      assert.is(runs[sdk].result, 'ok after 4 attempts (server attempt 4)', sdk);
      assert.equal(
        withoutTimes(markers(runs[sdk].events)),
        [
          { seq: 1, attempt: 3, activityId: '1', backoffMs: 80, failure: 'attempt 3 fails' },
          { seq: 2, attempt: 4, activityId: '2', backoffMs: null, failure: null },
        ],
        sdk,
      );
      assert.equal(timers(runs[sdk].events), [80], sdk);
    }
    assert.equal(kinds(runs.bastion.events), kinds(runs.official.events));
  }),
);

t(
  'local activities number with activities, so markers carry the same sequence numbers as the official worker writes',
  timed(30_000, async () => {
    const key = id('seq');
    const runs = await onBoth('activityThenLocalBackoff', (sdk) => [`${key}-${sdk}`]);
    for (const sdk of ['bastion', 'official'] as const) {
      assert.is(runs[sdk].result, 'Hello, first! / ok after 2 attempts (server attempt 2)', sdk);
      assert.equal(
        withoutTimes(markers(runs[sdk].events)),
        [
          { seq: 2, attempt: 1, activityId: '2', backoffMs: 120_000, failure: 'attempt 1 fails' },
          { seq: 3, attempt: 2, activityId: '3', backoffMs: null, failure: null },
        ],
        sdk,
      );
    }
    assert.equal(kinds(runs.bastion.events), kinds(runs.official.events));
  }),
);

t(
  'cancelling the workflow during the backoff timer cancels the timer and rejects the call with a CancelledFailure; no attempt runs after',
  timed(30_000, async () => {
    const shapes: string[][] = [];
    for (const sdk of ['bastion', 'official'] as const) {
      const workflowId = id(`cancel-${sdk}`);
      const handle = await env.client.workflow.start('localBackoffCancelled', {
        taskQueue: sdk === 'bastion' ? BASTION_TQ : OFFICIAL_TQ,
        workflowId,
        args: [id('cancel-key')],
      });
      // Time skipping stays locked until the result is awaited: the 2-minute timer cannot fire before the cancel.
      await waitFor(async () => (await handle.fetchHistory()).events!.some((e) => e.timerStartedEventAttributes), 10_000, `${sdk}: backoff timer started`);
      await handle.cancel();
      assert.equal(await handle.result(), { name: 'CancelledFailure', isCancellation: true }, sdk);
      const events = (await handle.fetchHistory()).events as HistoryEvent[];
      assert.is(markers(events).length, 1, `${sdk}: the one attempt before the timer`);
      assert.ok(
        events.some((e) => e.timerCanceledEventAttributes),
        `${sdk}: the timer is cancelled`,
      );
      shapes.push(kinds(events));
      made[sdk].push(workflowId);
    }
    assert.equal(shapes[0], shapes[1]);
  }),
);

t(
  'a local activity running past the workflow task timeout: the task completes with a forced new task until it ends, and none times out',
  timed(60_000, async () => {
    const shapes: Record<string, string[]> = {};
    for (const sdk of ['bastion', 'official'] as const) {
      const g = newGate();
      const workflowId = id(`long-${sdk}`);
      const handle = await env.client.workflow.start('localOutlastsTask', {
        taskQueue: sdk === 'bastion' ? BASTION_TQ : OFFICIAL_TQ,
        workflowId,
        workflowTaskTimeout: '1s',
      });
      // Heartbeats come at 80% of the task timeout: wait for three completed tasks while the activity still runs.
      await waitFor(
        async () => kinds((await handle.fetchHistory()).events as HistoryEvent[]).filter((k) => k === 'workflowTaskCompleted').length >= 3,
        20_000,
        `${sdk}: three workflow tasks completed while the local activity runs`,
      );
      g.release();
      assert.is(await handle.result(), 'released', sdk);
      const events = (await handle.fetchHistory()).events as HistoryEvent[];
      const k = kinds(events);
      assert.not.ok(k.includes('workflowTaskTimedOut'), `${sdk}: no task timed out`);
      assert.not.ok(k.includes('workflowTaskFailed'), `${sdk}: no task failed`);
      assert.equal(withoutTimes(markers(events)), [{ seq: 1, attempt: 1, activityId: '1', backoffMs: null, failure: null }], sdk);
      // The heartbeat tasks record nothing: only task events until the marker.
      const beforeMarker = k.slice(2, k.indexOf('markerRecorded'));
      assert.ok(
        beforeMarker.every((x) => x.startsWith('workflowTask')),
        `${sdk}: ${beforeMarker.join(',')}`,
      );
      shapes[sdk] = [...new Set(k)];
      made[sdk].push(workflowId);
    }
    assert.equal(shapes.bastion, shapes.official);
  }),
);

t(
  'an invalid localRetryThreshold fails the workflow task with an error naming the option',
  timed(30_000, async () => {
    const handle = await env.client.workflow.start('localBadThreshold', { taskQueue: BASTION_TQ, workflowId: id('bad-threshold') });
    const failed = await waitFor(
      async () => (await handle.fetchHistory()).events!.find((e) => e.workflowTaskFailedEventAttributes),
      10_000,
      'workflow task failed',
    );
    assert.match(failed.workflowTaskFailedEventAttributes!.failure!.message!, /`localRetryThreshold` must be a duration/);
    await handle.terminate();
  }),
);

t(
  "Bastion replays the official worker's histories",
  timed(60_000, async () => {
    assert.is(made.official.length, 7, 'the runs above');
    const code = (await bastionBundle()).code;
    for (const workflowId of made.official) {
      await Worker.runReplayHistory({ workflowBundle: { code } }, await env.client.workflow.getHandle(workflowId).fetchHistory(), workflowId);
    }
  }),
);

// Last: the official replayer installs its promise hooks in this process.
t(
  "the official replayer accepts Bastion's histories",
  timed(60_000, async () => {
    assert.is(made.bastion.length, 7, 'the runs above');
    for (const workflowId of made.bastion) {
      await OfficialWorker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, await officialClient.workflow.getHandle(workflowId).fetchHistory(), workflowId);
    }
  }),
);

t.run();
