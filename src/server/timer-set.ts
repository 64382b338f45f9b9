/**
 * Keyed one-shot timers on the server's clock. The engine derives the timers a run needs
 * from its state and calls `sync` with them; timers whose due time did not change are
 * kept, others are replaced or cancelled.
 */
import type { ServerClock } from './clock';

interface Armed {
  dueMs: number;
  cancel: () => void;
}

export class TimerSet {
  private readonly groups = new Map<string, Map<string, Armed>>();

  constructor(
    private readonly clock: ServerClock,
    private readonly onFire: (group: string, key: string) => void,
  ) {}

  /** Makes the timers of `group` exactly `wanted` (key → due time in ms since epoch, on the clock). */
  sync(group: string, wanted: Map<string, number>): void {
    let armed = this.groups.get(group);
    if (!armed) {
      if (wanted.size === 0) return;
      armed = new Map();
      this.groups.set(group, armed);
    }
    for (const [key, t] of armed) {
      if (wanted.get(key) !== t.dueMs) {
        t.cancel();
        armed.delete(key);
      }
    }
    for (const [key, dueMs] of wanted) {
      if (!armed.has(key)) armed.set(key, this.arm(group, key, dueMs));
    }
    if (armed.size === 0) this.groups.delete(group);
  }

  clear(group: string): void {
    const armed = this.groups.get(group);
    if (!armed) return;
    for (const t of armed.values()) t.cancel();
    this.groups.delete(group);
  }

  clearAll(): void {
    for (const g of [...this.groups.keys()]) this.clear(g);
  }

  private arm(group: string, key: string, dueMs: number): Armed {
    const entry: Armed = {
      dueMs,
      cancel: this.clock.schedule(dueMs, () => {
        const armed = this.groups.get(group);
        if (armed?.get(key) !== entry) return;
        armed.delete(key);
        if (armed.size === 0) this.groups.delete(group);
        this.onFire(group, key);
      }),
    };
    return entry;
  }
}
