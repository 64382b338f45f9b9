/** One step of a connection's call (an attempt or a backoff) that `close()` and an abort signal can stop. */

/** Stops one step with a reason; registered with the connection so `close()` can stop them all. */
export type Canceller = (reason: unknown) => void;

/**
 * Runs one step: `start` begins it and returns how to stop it. The step is registered in
 * `cancellers` while it runs; a cancelled step (by `close()` or `signal`) is stopped and
 * rejects with the reason.
 */
export function cancellable<T>(
  cancellers: Set<Canceller>,
  signal: AbortSignal | undefined,
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      cancellers.delete(cancel);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const cancel: Canceller = (reason) => {
      if (!settle()) return;
      stop();
      reject(reason);
    };
    const onAbort = (): void => cancel(signal!.reason);
    const stop = start(
      (value) => settle() && resolve(value),
      (err) => settle() && reject(err),
    );
    cancellers.add(cancel);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
