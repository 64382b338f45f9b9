/** Full garbage collections on demand, for tests that check what is kept alive. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let gc: (() => void) | undefined;

/** Runs two full collections (V8's `gc`, exposed at run time). */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

/**
 * How many V8 contexts (vm sandboxes included) are alive once collections stop freeing
 * any: a dropped context takes a few collections and turns of the event loop to go (its
 * weak callbacks run between them).
 */
export async function liveContextsAfterGc(): Promise<number> {
  let last = Infinity;
  for (let round = 0; round < 20; round++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    const now = v8.getHeapStatistics().number_of_native_contexts;
    if (now >= last) return now;
    last = now;
  }
  return last;
}
