/**
 * Keyed one-shot timers. The engine derives the timers a run needs from its state and
 * calls `sync` with them; timers whose due time did not change are kept, others are
 * replaced or cancelled. Long delays are re-armed in steps (setTimeout caps at ~24.8 days).
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Armed {
  dueMs: number;
  handle: NodeJS.Timeout;
}

export class TimerSet {
  private readonly groups = new Map<string, Map<string, Armed>>();

  constructor(private readonly onFire: (group: string, key: string) => void) {}

  /** Makes the timers of `group` exactly `wanted` (key → due time in ms since epoch). */
  sync(group: string, wanted: Map<string, number>): void {
    let armed = this.groups.get(group);
    if (!armed) {
      if (wanted.size === 0) return;
      armed = new Map();
      this.groups.set(group, armed);
    }
    for (const [key, t] of armed) {
      if (wanted.get(key) !== t.dueMs) {
        clearTimeout(t.handle);
        armed.delete(key);
      }
    }
    for (const [key, dueMs] of wanted) {
      if (!armed.has(key)) armed.set(key, { dueMs, handle: this.arm(group, key, dueMs) });
    }
    if (armed.size === 0) this.groups.delete(group);
  }

  clear(group: string): void {
    const armed = this.groups.get(group);
    if (!armed) return;
    for (const t of armed.values()) clearTimeout(t.handle);
    this.groups.delete(group);
  }

  clearAll(): void {
    for (const g of [...this.groups.keys()]) this.clear(g);
  }

  private arm(group: string, key: string, dueMs: number): NodeJS.Timeout {
    const delay = Math.max(0, dueMs - Date.now());
    const handle = setTimeout(
      () => {
        const armed = this.groups.get(group);
        const t = armed?.get(key);
        if (!t || t.handle !== handle) return;
        if (t.dueMs > Date.now()) {
          t.handle = this.arm(group, key, t.dueMs);
          return;
        }
        armed!.delete(key);
        if (armed!.size === 0) this.groups.delete(group);
        this.onFire(group, key);
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    handle.unref();
    return handle;
  }
}
