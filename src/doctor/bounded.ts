/** Runs one async step with a time limit and an optional abort signal; never throws. */

/** The outcome of {@link bounded}: a value, an error, or a timeout. */
export interface Bounded<T> {
  value?: T;
  error?: unknown;
  timedOut: boolean;
}

/**
 * Awaits `fn()` for at most `timeoutMs`. An abort of `signal` counts as an error carrying `signal.reason`.
 */
export async function bounded<T>(timeoutMs: number, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      fn().then(
        (value) => ({ value, timedOut: false }),
        (error: unknown) => ({ error, timedOut: false }),
      ),
      new Promise<Bounded<T>>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
      }),
      new Promise<Bounded<T>>((resolve) => {
        if (!signal) return;
        onAbort = () => resolve({ error: signal.reason, timedOut: false });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
