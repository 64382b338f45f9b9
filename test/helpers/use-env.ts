/**
 * One environment for all the tests of a uvu suite: started in the suite's `before`,
 * closed in its `after`, reached through the accessor `useEnv` returns.
 *
 * ```ts
 * const test = suite('worker lifecycle');
 * const env = useEnv(test, () => startBastionEnv());
 * test('…', async () => { const worker = await env().worker('q'); … });
 * ```
 *
 * uvu runs `after` hooks in the order they were added, so a suite whose own `after`
 * must run before the environment closes (a worker or a second connection to its server)
 * keeps its own hooks instead.
 */
import type { Test } from 'uvu';

/** What `useEnv` can own: `startBastionEnv()`'s and `startOfficialEnv()`'s environments. */
export interface ClosableEnv {
  close(): Promise<void>;
}

/**
 * Starts `start()` before the suite's tests and closes what it gave after them.
 * @returns the environment; throws when called before the suite's `before` ran (or after it failed)
 */
export function useEnv<E extends ClosableEnv>(test: Test<any>, start: () => Promise<E>): () => E {
  let env: E | undefined;
  test.before(async () => {
    env = await start();
  });
  test.after(async () => {
    await env?.close();
  });
  return () => {
    if (!env) throw new Error('the suite environment is not started: use it inside a test or a hook added after `useEnv`');
    return env;
  };
}
