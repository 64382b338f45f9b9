/**
 * The time-skipping scenarios of issue 16, written once and run against the official
 * TestWorkflowEnvironment (on bastion-test-server) and Bastion's own. Time assertions read
 * the server's virtual clock (history event times, workflow times), never wall time.
 */
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { timed, waitFor } from '../helpers/wait';
import * as tsw from '../fixtures/time-skipping-workflows';
import * as tsa from '../fixtures/time-skipping-activities';

export const DAY = 24 * 3600_000;

interface HistoryEventLike {
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  [key: string]: unknown;
}
interface HandleLike {
  result(): Promise<any>;
  signal(def: unknown, ...args: unknown[]): Promise<void>;
  fetchHistory(): Promise<{ events?: unknown[] | null }>;
}
/** What the scenarios need of an environment: the official one and Bastion's both fit. */
export interface ScenarioEnv {
  supportsTimeSkipping: boolean;
  client: { workflow: { start(wf: any, options: any): Promise<HandleLike>; execute(wf: any, options: any): Promise<any> } };
  sleep(duration: '1 day'): Promise<void>;
  currentTimeMs(): Promise<number>;
}

const eventMs = (e: HistoryEventLike) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
const find = (events: HistoryEventLike[], attr: string) => events.find((e) => e[attr])!;

async function events(handle: HandleLike): Promise<HistoryEventLike[]> {
  return ((await handle.fetchHistory()).events ?? []) as HistoryEventLike[];
}

/** Registers the scenarios on `test`; `env()` gives the environment, `taskQueue` the worker's queue. */
export function timeSkippingScenarios(test: Test<any>, env: () => ScenarioEnv, taskQueue: string, prefix: string): void {
  let n = 0;
  const id = (name: string) => `${prefix}-${name}-${++n}`;
  const started = (handle: HandleLike, attr: string) => waitFor(async () => (await events(handle)).some((e) => e[attr]), 10_000, `${attr} written`);

  test(
    'a workflow sleeping 30 days returns with workflow and history times 30 days apart',
    timed(20_000, async () => {
      const e = env();
      assert.ok(e.supportsTimeSkipping);
      const before = await e.currentTimeMs();
      const handle = await e.client.workflow.start(tsw.longSleep, { taskQueue, workflowId: id('sleep30'), args: [30] });
      const r = await handle.result();
      assert.ok(r.after - r.startTime >= 30 * DAY, `workflow time moved ${r.after - r.startTime} ms`);
      assert.ok(r.startTime >= before - 1000, 'workflowInfo().startTime is on the server clock');
      const history = await events(handle);
      const start = eventMs(find(history, 'workflowExecutionStartedEventAttributes'));
      assert.is(start, r.startTime, 'workflowInfo().startTime is the start event time');
      assert.ok(eventMs(find(history, 'timerFiredEventAttributes')) - start >= 30 * DAY);
      assert.ok(eventMs(find(history, 'workflowExecutionCompletedEventAttributes')) - start >= 30 * DAY);
      assert.ok((await e.currentTimeMs()) - before >= 30 * DAY, 'the current time moved with the skip');
    }),
  );

  test(
    'sleep("1 day") fires a one-day timer without waiting',
    timed(20_000, async () => {
      const e = env();
      const handle = await e.client.workflow.start(tsw.oneTimer, { taskQueue, workflowId: id('timer'), args: [DAY] });
      await started(handle, 'timerStartedEventAttributes');
      const before = await e.currentTimeMs();
      await e.sleep('1 day');
      assert.ok((await e.currentTimeMs()) - before >= DAY);
      await started(handle, 'timerFiredEventAttributes');
      assert.is(await handle.result(), 'fired');
    }),
  );

  test(
    'an activity retried every hour, 3 attempts, completes without waiting the hours',
    timed(20_000, async () => {
      const r = await env().client.workflow.execute(tsw.hourlyRetries, { taskQueue, workflowId: id('retries'), args: [id('key')] });
      assert.is(r.result, 'ok on call 3');
      assert.ok(r.elapsedMs >= 2 * 3600_000, `workflow time moved ${r.elapsedMs} ms across two 1-hour backoffs`);
    }),
  );

  test(
    'a heartbeat timeout is measured on the virtual clock',
    timed(20_000, async () => {
      const handle = await env().client.workflow.start(tsw.heartbeatTimesOut, { taskQueue, workflowId: id('heartbeat') });
      const r = await handle.result();
      tsa.releaseStalledActivities();
      assert.is(r.timeoutType, 'HEARTBEAT');
      const history = await events(handle);
      const start = eventMs(find(history, 'workflowExecutionStartedEventAttributes'));
      const scheduled = eventMs(find(history, 'activityTaskScheduledEventAttributes'));
      const timedOut = eventMs(find(history, 'activityTaskTimedOutEventAttributes'));
      // Scheduled a (virtual) day after the start; timed out 1 s later on that same clock.
      assert.ok(scheduled - start >= DAY);
      assert.ok(timedOut - scheduled >= 1000 && timedOut - scheduled < DAY, `timed out ${timedOut - scheduled} ms after scheduling`);
    }),
  );

  test(
    'a signal sent mid-sleep wakes the workflow at that virtual time',
    timed(20_000, async () => {
      const e = env();
      const handle = await e.client.workflow.start(tsw.waitForPoke, { taskQueue, workflowId: id('poke') });
      await started(handle, 'timerStartedEventAttributes');
      await e.sleep('1 day');
      await handle.signal(tsw.pokeSignal, 'hello');
      const r = await handle.result();
      assert.is(r.got, 'hello');
      assert.ok(r.elapsedMs >= DAY && r.elapsedMs < 2 * DAY, `woke after ${r.elapsedMs} ms of workflow time`);
    }),
  );
}
