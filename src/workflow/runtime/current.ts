/** The Activator of the run this sandbox hosts (one run per sandbox). */
import { IllegalStateError } from '../../common/errors';
import type { Activator } from './activator';

let current: Activator | undefined;

export function setActivator(a: Activator): void {
  current = a;
}

/** The current run's activator; throws when called outside workflow code. */
export function activator(): Activator {
  if (!current) {
    throw new IllegalStateError('ERR_ILLEGAL_STATE', 'This function can only be called from workflow code (inside a workflow sandbox), not from activities or client code.');
  }
  return current;
}

export function hasActivator(): boolean {
  return current !== undefined;
}
