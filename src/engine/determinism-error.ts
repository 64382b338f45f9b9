/** A workflow whose code no longer issues the commands its history records. */
import { WorkflowError } from '../common/errors';

export class DeterminismError extends WorkflowError {
  readonly eventId?: number;

  constructor(message: string, opts: { eventId?: number } = {}) {
    super('ERR_NONDETERMINISM', `Nondeterminism: ${message}`);
    this.eventId = opts.eventId;
  }

  /** History has `expected` at `eventId` but the workflow issued `actual` (or nothing). */
  static mismatch(eventId: number, expectedType: string | undefined, expected: string | undefined, actual: string | undefined): DeterminismError {
    const want = expectedType ? `history has ${expected ?? expectedType} (${expectedType})` : 'history has no further command event';
    const got = actual ? `the workflow issued ${actual}` : 'the workflow issued no command';
    return new DeterminismError(
      `at event ${eventId} ${want}, but ${got}. The workflow code changed in a way that is not compatible with running executions; use patched() to branch, or replay the history to find the change.`,
      { eventId },
    );
  }
}
