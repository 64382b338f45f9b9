/** Counting semaphore for task slots: a poll starts only when a slot is free. */
export class Semaphore {
  private waiters: Array<() => void> = [];
  private used = 0;
  /** Told each time the number of slots in use changes (the slot gauges). */
  onChange?: (used: number, size: number) => void;

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes a slot when one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.used >= this.size) return false;
    this.used++;
    this.onChange?.(this.used, this.size);
    return true;
  }

  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.used < this.size) {
      this.used++;
      this.onChange?.(this.used, this.size);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.used++;
        this.onChange?.(this.used, this.size);
        resolve(true);
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== grant);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  release(): void {
    this.used--;
    this.onChange?.(this.used, this.size);
    const next = this.waiters.shift();
    if (next) next();
  }
}
