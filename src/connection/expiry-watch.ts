/**
 * Warnings before a client certificate expires: one at each threshold (30, 7 and 1 days
 * before `notAfter` by default), logged once per certificate, and an error once it has
 * expired. Timers are unref'd: a watch never keeps a process alive.
 */
import type { ClientCertificateInfo } from './tls-material';
import type { Logger } from '../common/logger';

/**
 * Days before `notAfter` at which a warning is logged.
 * @default [30, 7, 1]
 */
export const DEFAULT_EXPIRY_WARNING_DAYS: readonly number[] = Object.freeze([30, 7, 1]);

const DAY_MS = 86_400_000;
// setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where the warnings go. */
export type ExpiryLogger = Pick<Logger, 'warn' | 'error'>;

/** Watches one certificate at a time; `track()` replaces the one watched. */
export class ExpiryWatch {
  private timer: NodeJS.Timeout | undefined;
  private warned = new Set<number>();
  private info: ClientCertificateInfo | undefined;

  constructor(
    private readonly thresholdsDays: readonly number[],
    private readonly logger: ExpiryLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts watching `info` (or nothing); thresholds already passed warn at once. */
  track(info: ClientCertificateInfo | undefined): void {
    this.stop();
    this.warned = new Set();
    this.info = info;
    if (info && this.thresholdsDays.length > 0) this.step();
  }

  /** Stops the timer. Idempotent. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private step(): void {
    const info = this.info!;
    const now = this.now();
    const notAfter = info.notAfter.getTime();
    const meta = { subject: info.subject, fingerprint256: info.fingerprint256, notAfter: info.notAfter.toISOString() };
    if (notAfter <= now) {
      if (!this.warned.has(0)) {
        this.warned.add(0);
        this.logger.error(
          `the client certificate (${info.subject}) expired on ${info.notAfter.toISOString()}; new connections will be refused. Rotate it with connection.setTlsConfig or watchCertificateFiles.`,
          meta,
        );
      }
      return;
    }
    // The smallest threshold already reached warns (once); earlier ones are implied.
    const reached = this.thresholdsDays.filter((d) => notAfter - d * DAY_MS <= now).sort((a, b) => a - b)[0];
    if (reached !== undefined && !this.warned.has(reached)) {
      for (const d of this.thresholdsDays) if (d >= reached) this.warned.add(d);
      const days = Math.max(0, (notAfter - now) / DAY_MS);
      const left = days >= 1 ? `${Math.floor(days)} day(s)` : `${Math.max(1, Math.round((notAfter - now) / 3_600_000))} hour(s)`;
      this.logger.warn(`the client certificate (${info.subject}) expires in ${left}, on ${info.notAfter.toISOString()}; rotate it before then.`, {
        ...meta,
        thresholdDays: reached,
      });
    }
    const next = [...this.thresholdsDays.filter((d) => !this.warned.has(d)).map((d) => notAfter - d * DAY_MS), notAfter]
      .filter((t) => t > now)
      .sort((a, b) => a - b)[0]!;
    this.timer = setTimeout(() => this.step(), Math.min(MAX_TIMER_MS, next - now + 5));
    this.timer.unref();
  }
}
