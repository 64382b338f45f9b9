/**
 * The dev server's clock: every time stamp the server writes (event times, deadlines,
 * retries, visibility) and every timer it arms reads this, never `Date.now()`.
 *
 * - `RealClock`: wall time, timers on `setTimeout` (the default).
 * - `TimeSkippingClock`: Temporal's test-server clock. Virtual time runs at the wall
 *   clock's pace while time skipping is locked or the server has work outstanding (a
 *   workflow or activity task scheduled or running); when it is unlocked (lock count 0)
 *   and nothing is outstanding, it jumps straight to the next timer, timeout or retry.
 *   The test server starts locked (count 1); `TestService` calls lock and unlock it.
 *
 * Server code reaches the clock as `engine.clock` (see engine.ts); code that builds
 * events inside `engine.mutate` may call `serverNow()`, which reads the clock of the
 * engine whose change is running:
 *
 * ```ts
 * const due = engine.clock.now() + 5_000;
 * const cancel = engine.clock.schedule(due, () => engine.mutate(() => fire()));
 * ```
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface ServerClock {
  /** True for the virtual test-server clock. */
  readonly timeSkipping: boolean;
  /** Milliseconds since the epoch on this clock. */
  now(): number;
  /** Calls `fn` once when this clock reaches `dueMs`. Returns a function that cancels it. */
  schedule(dueMs: number, fn: () => void): () => void;
  /** Tells the clock the server's work changed (a time-skipping clock may jump). */
  poke(): void;
  /** Stops every timer. */
  close(): void;
}

/** Wall time. Long delays are re-armed in steps (setTimeout caps at ~24.8 days). */
export class RealClock implements ServerClock {
  readonly timeSkipping = false;
  private readonly handles = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(dueMs: number, fn: () => void): () => void {
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      handle = setTimeout(
        () => {
          this.handles.delete(handle);
          if (dueMs > Date.now()) arm();
          else fn();
        },
        Math.min(Math.max(0, dueMs - Date.now()), MAX_DELAY_MS),
      );
      handle.unref();
      this.handles.add(handle);
    };
    arm();
    return () => {
      clearTimeout(handle);
      this.handles.delete(handle);
    };
  }

  poke(): void {}

  close(): void {
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
}

interface VirtualTimer {
  seq: number;
  dueMs: number;
  fn: () => void;
}

/** Why a TestService call is refused (mapped to FAILED_PRECONDITION by the service). */
export class UnbalancedUnlockError extends Error {}

/** The time-skipping clock of Temporal's test server (see the file comment). */
export class TimeSkippingClock implements ServerClock {
  readonly timeSkipping = true;
  private offsetMs = 0;
  private last = 0;
  private locks: number;
  private seq = 0;
  /** Pending timers, earliest first (ties in the order they were scheduled). */
  private timers: VirtualTimer[] = [];
  private realTimer?: NodeJS.Timeout;
  private checkQueued = false;
  private closed = false;
  /** True while the server has a workflow or activity task outstanding. */
  busy: () => boolean = () => false;

  /** @param options.locked start with time skipping locked (count 1), as the test server does. @default true */
  constructor(options: { locked?: boolean; startMs?: number } = {}) {
    this.locks = options.locked === false ? 0 : 1;
    if (options.startMs !== undefined) this.offsetMs = options.startMs - Date.now();
  }

  now(): number {
    // Monotonic even if the wall clock steps back.
    this.last = Math.max(this.last, Date.now() + this.offsetMs);
    return this.last;
  }

  /** The current lock count (0 = time skipping unlocked). */
  get lockCount(): number {
    return this.locks;
  }

  lock(): void {
    this.locks++;
  }

  /** @throws UnbalancedUnlockError when the count is already 0 */
  unlock(): void {
    if (this.locks === 0) throw new UnbalancedUnlockError('Time skipping is not locked: `UnlockTimeSkipping` was called more often than `LockTimeSkipping`.');
    this.locks--;
    this.poke();
  }

  schedule(dueMs: number, fn: () => void): () => void {
    const t: VirtualTimer = { seq: this.seq++, dueMs, fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.dueMs > dueMs) i--;
    this.timers.splice(i, 0, t);
    if (i === 0) this.armReal();
    this.poke();
    return () => {
      const at = this.timers.indexOf(t);
      if (at >= 0) this.timers.splice(at, 1);
      if (at === 0) this.armReal();
    };
  }

  /** Resolves when this clock reaches `dueMs` (a timer like any other: time may jump to it). */
  sleepUntil(dueMs: number): Promise<void> {
    if (dueMs <= this.now()) return Promise.resolve();
    return new Promise((resolve) => this.schedule(dueMs, resolve));
  }

  /** Unlocks, waits until `dueMs`, and locks again (`UnlockTimeSkippingWithSleep`). */
  async unlockWhileSleeping(dueMs: number): Promise<void> {
    this.unlock();
    try {
      await this.sleepUntil(dueMs);
    } finally {
      this.locks++;
    }
  }

  poke(): void {
    if (this.checkQueued || this.closed) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      this.maybeSkip();
    });
  }

  close(): void {
    this.closed = true;
    this.timers = [];
    if (this.realTimer) clearTimeout(this.realTimer);
  }

  /** Jumps to the next timer when unlocked and idle, then fires what is due. */
  private maybeSkip(): void {
    if (this.closed) return;
    const next = this.timers[0];
    if (next && this.locks === 0 && !this.busy()) {
      const now = this.now();
      if (next.dueMs > now) this.offsetMs += next.dueMs - now;
    }
    this.fireDue();
  }

  private fireDue(): void {
    const now = this.now();
    let fired = false;
    while (!this.closed && this.timers.length > 0 && this.timers[0]!.dueMs <= now) {
      fired = true;
      const t = this.timers.shift()!;
      try {
        t.fn();
      } catch {
        // A timer's owner reports its own failures; one failing must not stop the others.
      }
    }
    this.armReal();
    // What fired may have changed nothing the engine tracks (a sleep ending, a stale
    // timer): look again for the next jump rather than wait for a commit to poke.
    if (fired) this.poke();
  }

  /** Wall-clock pacing: the earliest timer also fires when virtual time reaches it at the real pace. */
  private armReal(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    const next = this.timers[0];
    if (!next || this.closed) return;
    this.realTimer = setTimeout(() => this.maybeSkip(), Math.min(Math.max(0, next.dueMs - this.now()), MAX_DELAY_MS));
    this.realTimer.unref();
  }
}

let active: ServerClock | undefined;

/** Runs `fn` with `clock` as the clock `serverNow()` reads (the engine wraps each change in this). */
export function withClock<T>(clock: ServerClock, fn: () => T): T {
  const previous = active;
  active = clock;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** The time on the clock of the engine whose change is running (wall time outside one). */
export function serverNow(): number {
  return active ? active.now() : Date.now();
}
