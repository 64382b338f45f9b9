/**
 * The clock the scheduler reads and arms its timers on: the engine's (`engine.clock`,
 * wall time or the time-skipping clock), unless a test has put another in its place with
 * `setScheduleClock` (for example one skewed by an hour, to stand for a server that was down).
 */
import type { ServerClock } from '../clock';

export interface ScheduleClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once the clock reaches `dueMs`; returns a function that disarms it. */
  schedule(dueMs: number, fn: () => void): () => void;
}

let override: ScheduleClock | undefined;

/** Puts `clock` in place of every engine's clock for schedules; `undefined` restores the engines' own. */
export function setScheduleClock(clock: ScheduleClock | undefined): void {
  override = clock;
}

/** The clock schedules of an engine with `engineClock` use. */
export function scheduleClockOf(engineClock: ServerClock): ScheduleClock {
  return override ?? engineClock;
}
