/** The signal a local activity gives its workflow to retry after a durable timer. */
import { failureClass, mark } from '../converter/failures';
import type { LocalActivityBackoff } from '../common/activation-protocol';
import { durationProto, timestampProto, type Timestamp } from './runtime/durations';

/**
 * Thrown from `next` of the `scheduleLocalActivity` outbound interceptors when a local
 * activity failed and its next retry waits longer than `localRetryThreshold`: the
 * workflow then sleeps `backoff.backoffDuration` on a durable timer and schedules the
 * activity again from `backoff.attempt`. The same name and shape as the official SDK's
 * (which carries Core's `DoBackoff`), and `instanceof` works across realms; workflow
 * code never sees it.
 */
export class LocalActivityDoBackoff extends Error {
  constructor(
    public readonly backoff: {
      attempt: number;
      backoffDuration: { seconds: number; nanos: number };
      originalScheduleTime?: Timestamp;
    },
  ) {
    super();
    mark(this, 'LocalActivityDoBackoff');
  }

  /** From the host's resolution of a local activity. */
  static from(b: LocalActivityBackoff): LocalActivityDoBackoff {
    return new LocalActivityDoBackoff({
      attempt: b.attempt,
      backoffDuration: durationProto(b.backoffMs)!,
      originalScheduleTime: b.originalScheduleTimeMs === undefined ? undefined : timestampProto(b.originalScheduleTimeMs),
    });
  }
}
failureClass(LocalActivityDoBackoff, 'LocalActivityDoBackoff');
