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
 * How many V8 contexts (vm sandboxes included) are alive after full collections: the least
 * count seen over several collections with turns of the event loop between them (a dropped
 * context takes a few of each to go: its weak callbacks run between them, later on a busy
 * machine).
 */
export async function liveContextsAfterGc(rounds = 12): Promise<number> {
  let least = Infinity;
  await collectGarbageRounds(rounds, () => (least = Math.min(least, v8.getHeapStatistics().number_of_native_contexts)));
  return least;
}

/** `rounds` full collections, each followed by a turn of the event loop (weak callbacks run there) and `after`. */
export async function collectGarbageRounds(rounds: number, after: () => void = () => undefined): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    after();
  }
}
