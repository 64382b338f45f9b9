/**
 * Steps the schedule tests share (test/schedules/bastion and official): the same
 * schedules driven through Bastion's client or the official one, whose handles and
 * descriptions have the same shape.
 */
import * as assert from 'uvu/assert';
import { waitFor } from './wait';

/** What the tests read of a schedule description, in both clients' shape. */
export interface DescriptionLike {
  info: {
    numActionsTaken: number;
    numActionsSkippedOverlap: number;
    runningActions: Array<{ workflow: { workflowId: string } }>;
    recentActions: Array<{ scheduledAt: Date; takenAt: Date; action: { workflow: { workflowId: string } } }>;
  };
}

/** A schedule handle of either client. */
export interface ScheduleHandleLike<D extends DescriptionLike> {
  describe(): Promise<D>;
  pause(note?: string): Promise<void>;
  delete(): Promise<void>;
}

/** Describes the schedule until `ready` holds for its description, and returns that description. */
export function describeUntil<D>(handle: { describe(): Promise<D> }, ready: (d: D) => boolean, what: string, ms = 15_000): Promise<D> {
  return waitFor(
    async () => {
      const d = await handle.describe();
      return ready(d) ? d : null;
    },
    ms,
    what,
  );
}

/**
 * Create options of a schedule starting `workflowType` every second, three times.
 * ALLOW_ALL: a slow run (a busy machine) must not make the next time skip.
 */
export function everySecondThreeTimes(scheduleId: string, action: { workflowType: string; args: unknown[]; taskQueue: string; workflowId: string }) {
  return {
    scheduleId,
    spec: { intervals: [{ every: '1s' as const }] },
    action: { type: 'startWorkflow' as const, ...action },
    policies: { overlap: 'ALLOW_ALL' as const },
    state: { remainingActions: 3 },
  };
}

/**
 * Waits until the schedule took its three actions and they completed; checks that they
 * were scheduled a second apart, and that each started workflow is named
 * `<workflowId>-<nominal time>` and returned `result`.
 * @returns the description, its recent actions oldest first
 */
export async function threeCompletedActions<D extends DescriptionLike>(
  handle: ScheduleHandleLike<D>,
  workflowId: string,
  resultOf: (workflowId: string) => Promise<unknown>,
  result: unknown,
): Promise<D> {
  const done = await describeUntil(handle, (d) => d.info.numActionsTaken === 3 && d.info.runningActions.length === 0, 'three completed actions');
  assert.is(done.info.recentActions.length, 3);
  for (const a of done.info.recentActions) {
    assert.match(a.action.workflow.workflowId, new RegExp(`^${workflowId}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    assert.is(await resultOf(a.action.workflow.workflowId), result);
  }
  const times = done.info.recentActions.map((a) => a.scheduledAt.getTime());
  assert.equal(
    times.map((t) => t - times[0]!),
    [0, 1000, 2000],
  );
  return done;
}

/** A schedule with overlap SKIP whose first run stays open: waits until it skipped `skips` times. */
export async function skippedWhileOpen<D extends DescriptionLike>(handle: ScheduleHandleLike<D>, skips: number): Promise<D> {
  const skipped = await describeUntil(handle, (d) => d.info.numActionsSkippedOverlap >= skips, `${skips} skipped actions`);
  assert.is(skipped.info.numActionsTaken, 1);
  assert.is(skipped.info.runningActions.length, 1);
  return skipped;
}

/**
 * Pauses the schedule, terminates the workflows it still runs, deletes it, and checks that
 * describing it then fails with `NotFound` (the client's ScheduleNotFoundError).
 */
export async function removeSchedule<D extends DescriptionLike, E extends Error>(
  handle: ScheduleHandleLike<D>,
  terminate: (workflowId: string) => Promise<unknown>,
  NotFound: abstract new (...args: never[]) => E,
): Promise<E> {
  await handle.pause();
  for (const r of (await handle.describe()).info.runningActions) await terminate(r.workflow.workflowId);
  await handle.delete();
  try {
    await handle.describe();
  } catch (err) {
    assert.instance(err, NotFound);
    return err as E;
  }
  return assert.unreachable('described a deleted schedule') as never;
}
