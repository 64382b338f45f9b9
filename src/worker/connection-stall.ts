/**
 * The worker's view of its connection: when no call has succeeded for longer than
 * `connectionStallThreshold`, one warning (address, last error); when calls succeed
 * again, one `info` line. A stuck worker is visible in its logs and in `getStatus()`.
 */
import type { Connection } from '../connection';
import type { WorkerLogger } from './worker-options';

/** What `getStatus()` reports about the connection. */
export interface ConnectionStallStatus {
  /** Milliseconds since a call last got an answer (an empty long poll counts); undefined before the first. */
  lastSuccessfulCallAgeMs: number | undefined;
  /** The last failed call: gRPC status name, message, and how long ago. */
  lastCallError: { code: string; message: string; ageMs: number } | undefined;
  /** True while no call has succeeded for longer than `connectionStallThreshold`. */
  connectionStalled: boolean;
}

export class ConnectionStallWatch {
  private timer: NodeJS.Timeout | undefined;
  private stalled = false;
  private stalledAt = 0;
  /** The age is measured from here until the first success. */
  private readonly startedAt = Date.now();

  constructor(
    private readonly connection: Connection,
    private readonly thresholdMs: number,
    private readonly logger: WorkerLogger,
    private readonly labels: Record<string, unknown>,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), Math.min(5_000, Math.max(50, Math.floor(this.thresholdMs / 4))));
    this.timer.unref();
  }

  /** Stops watching; a recovery that happened since the last tick is still reported, once. */
  stop(): void {
    if (this.timer) this.check();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): ConnectionStallStatus {
    const now = Date.now();
    const h = this.connection.health();
    return {
      lastSuccessfulCallAgeMs: h.lastSuccessfulCallAt === undefined ? undefined : now - h.lastSuccessfulCallAt.getTime(),
      lastCallError: h.lastError && { code: h.lastError.code, message: h.lastError.message, ageMs: now - h.lastError.at.getTime() },
      connectionStalled: this.stalled,
    };
  }

  /** Runs on a timer; exposed for tests. */
  check(): void {
    if (this.connection.state !== 'open') return;
    const h = this.connection.health();
    const now = Date.now();
    const last = h.lastSuccessfulCallAt?.getTime() ?? this.startedAt;
    const ageMs = now - last;
    if (!this.stalled && ageMs > this.thresholdMs) {
      this.stalled = true;
      this.stalledAt = last;
      this.logger.warn('no call to the server has succeeded within `connectionStallThreshold`; the worker keeps retrying', {
        ...this.labels,
        address: this.connection.address,
        sinceMs: ageMs,
        thresholdMs: this.thresholdMs,
        channelState: h.channelState,
        lastError: h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : undefined,
      });
    } else if (this.stalled && ageMs <= this.thresholdMs) {
      this.stalled = false;
      this.logger.info('calls to the server succeed again', { ...this.labels, address: this.connection.address, stalledForMs: last - this.stalledAt });
    }
  }
}
