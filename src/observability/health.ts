/**
 * Liveness and readiness, as Kubernetes probes read them (status codes; the JSON body says
 * why, for people). `/healthz`: 200 unless a worker FAILED or the event loop is wedged
 * (its delay over the threshold since the last probe). `/readyz`: 200 only while every
 * worker is RUNNING with a live connection and a valid client certificate.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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

/** Measures event-loop delay between probes (one histogram per probe server). */
export class EventLoopWatch {
  private readonly histogram: IntervalHistogram;
  constructor(readonly thresholdMs: number) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }
  /** The largest delay since the previous call, in ms; resets the window. */
  takeMaxMs(): number {
    const max = this.histogram.max / 1e6;
    this.histogram.reset();
    return Number.isFinite(max) ? max : 0;
  }
  close(): void {
    this.histogram.disable();
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
  return reasons.length === 0
    ? { status: 200, body: { status: 'ok', reasons, checks } }
    : { status: 503, body: { status: 'unavailable', reasons, checks } };
}
