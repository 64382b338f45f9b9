/** Waiting helpers for tests: wait for an event with a limit, never sleep to synchronise. */

/** Rejects if `promise` has not settled after `ms`. */
export async function withTimeout<T>(ms: number, promise: Promise<T> | (() => Promise<T>), what = 'operation'): Promise<T> {
  const p = typeof promise === 'function' ? promise() : promise;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a truthy value, or fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 10_000, what = 'condition', intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Wraps an async uvu test body with a time limit. */
export function timed(ms: number, fn: () => Promise<void>): () => Promise<void> {
  return () => withTimeout(ms, fn, 'test');
}
