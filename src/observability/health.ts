/**
 * Liveness and readiness, as Kubernetes probes read them (status codes; the JSON body says
 * why, for people). `/healthz`: 200 unless a worker FAILED or the event loop is wedged
 * (its delay over the threshold since the last probe). `/readyz`: 200 only while every
 * worker is RUNNING with a live connection and a valid client certificate.
 */
import { performance } from 'node:perf_hooks';

/** What a worker tells the probes. */
export interface HealthSource {
  /** `worker:<taskQueue>` or another name for the JSON body. */
  readonly name: string;
  /** The worker's state: INITIALIZED, RUNNING, STOPPING, DRAINING, DRAINED, STOPPED or FAILED. */
  state(): string;
  /** Whether the connection is open and calls get through (not stalled, channel not failing). */
  connectionLive(): { live: boolean; reason?: string };
  /** The client certificate's validity, when mTLS is on. */
  certificate(): { notBefore: Date; notAfter: Date } | undefined;
}

/** A probe's answer. */
export interface ProbeResult {
  status: 200 | 503;
  body: { status: 'ok' | 'unavailable'; reasons: string[]; checks: Record<string, unknown> };
}

/** Event-loop delay over which `/healthz` answers 503. @default 1000 ms */
export const DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS = 1000;

/** The workers of this process that the probes look at (a Set: several servers may read it). */
export const healthSources = new Set<HealthSource>();

/** How often the event-loop watch ticks. */
const TICK_MS = 20;

/**
 * Measures event-loop delay between probes: a timer that should fire every 20 ms notes how
 * late it ran. (`monitorEventLoopDelay` drops the first sample after each reset, which is
 * exactly the one a stall between two probes produces.)
 */
export class EventLoopWatch {
  private maxMs = 0;
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;
  constructor(readonly thresholdMs: number) {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.maxMs = Math.max(this.maxMs, now - this.last - TICK_MS);
      this.last = now;
    }, TICK_MS);
    this.timer.unref();
  }
  /** The largest delay since the previous call (including a tick overdue now), in ms; resets the window. */
  takeMaxMs(): number {
    const max = Math.max(this.maxMs, performance.now() - this.last - TICK_MS, 0);
    this.maxMs = 0;
    return max;
  }
  close(): void {
    clearInterval(this.timer);
  }
}

/** `/healthz` over `sources`. */
export function liveness(sources: Iterable<HealthSource>, loop: EventLoopWatch): ProbeResult {
  const reasons: string[] = [];
  const workers: Record<string, string> = {};
  for (const s of sources) {
    const state = s.state();
    workers[s.name] = state;
    if (state === 'FAILED') reasons.push(`${s.name} FAILED`);
  }
  const delay = Math.round(loop.takeMaxMs());
  if (delay > loop.thresholdMs) reasons.push(`event loop delay ${delay} ms over the threshold of ${loop.thresholdMs} ms`);
  return result(reasons, { workers, eventLoopDelayMs: delay, thresholdMs: loop.thresholdMs });
}

/** `/readyz` over `sources`: none registered is not ready. */
export function readiness(sources: Iterable<HealthSource>, now = Date.now()): ProbeResult {
  const reasons: string[] = [];
  const workers: Record<string, unknown> = {};
  let count = 0;
  for (const s of sources) {
    count++;
    const state = s.state();
    const conn = s.connectionLive();
    const cert = s.certificate();
    workers[s.name] = { state, connection: conn.live ? 'live' : 'down', ...(cert ? { certificateNotAfter: cert.notAfter.toISOString() } : {}) };
    if (state !== 'RUNNING') reasons.push(`${s.name} is ${state}`);
    else if (!conn.live) reasons.push(`${s.name}: connection not live${conn.reason ? ` (${conn.reason})` : ''}`);
    if (cert && cert.notAfter.getTime() <= now) reasons.push(`${s.name}: client certificate expired on ${cert.notAfter.toISOString()}`);
    else if (cert && cert.notBefore.getTime() > now) reasons.push(`${s.name}: client certificate not valid until ${cert.notBefore.toISOString()}`);
  }
  if (count === 0) reasons.push('no worker registered');
  return result(reasons, { workers });
}

function result(reasons: string[], checks: Record<string, unknown>): ProbeResult {
  return reasons.length === 0 ? { status: 200, body: { status: 'ok', reasons, checks } } : { status: 503, body: { status: 'unavailable', reasons, checks } };
}
