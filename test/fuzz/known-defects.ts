/**
 * Defects the fuzz suite has found and that are not fixed yet. A violation that one of
 * these explains is counted and printed (`known=[id×n]`), not failed, so the suite stays
 * green while the defect stays visible. Remove an entry when its fix lands: the suite
 * then guards against its return.
 */
import type { ViolationKind } from './harness';

export interface KnownDefect {
  /** Stable id, printed in the run's summary line. */
  id: string;
  /** The fuzz target that finds it (`workflow-service`, `codec-server`, `envconfig`, `certs`, `history-replay`). */
  target: string;
  /** Which kinds of violation it explains; all when absent. */
  kinds?: readonly ViolationKind[];
  /** Matched against the violation's message. */
  match: RegExp;
  /** One line: what is wrong, and who fixes it. */
  description: string;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [];
