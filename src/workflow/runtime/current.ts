/**
 * The Activator of the run whose code is running. A sandbox context may host many runs
 * (the worker's `reuseV8Context`): the host makes a run current before every call into
 * it (`SandboxRuntime.enter`), so everything per run is reached through here.
 */
import { IllegalStateError } from '../../common/errors';
import type { Activator } from './activator';

let current: Activator | undefined;

/** Makes `a` the current run's activator (`undefined`: no run is current). */
export function setActivator(a: Activator | undefined): void {
  current = a;
}

/** The current run's activator; throws when called outside workflow code. */
export function activator(): Activator {
  if (!current) {
    throw new IllegalStateError(
      'ERR_ILLEGAL_STATE',
      'This function can only be called from workflow code (inside a workflow sandbox), not from activities or client code.',
    );
  }
  return current;
}

export function hasActivator(): boolean {
  return current !== undefined;
}
