/** Counting semaphore for task slots: a poll starts only when a slot is free. */
export class Semaphore {
  private waiters: Array<() => void> = [];
  private used = 0;

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes a slot when one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.used >= this.size) return false;
    this.used++;
    return true;
  }

  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.used++;
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
    const next = this.waiters.shift();
    if (next) next();
  }
}
