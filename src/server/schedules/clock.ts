/**
 * The one place the scheduler reads time and arms timers, so the dev server's virtual
 * clock (time skipping) can drive schedules by replacing these two functions.
 */
export interface ScheduleClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `delayMs`; returns a function that disarms it. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

/** Longest single timer: Node's setTimeout overflows past 2^31-1 ms, so longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The wall clock. */
export const wallClock: ScheduleClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, Math.min(delayMs, MAX_TIMER_MS)));
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/** The clock schedules use; `setScheduleClock` points it elsewhere (a virtual clock). */
export let scheduleClock: ScheduleClock = wallClock;

export function setScheduleClock(clock: ScheduleClock): void {
  scheduleClock = clock;
}
