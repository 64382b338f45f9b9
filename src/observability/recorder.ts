/**
 * What the worker, the client and the connection record metrics through. A backend
 * (prom-client, an OpenTelemetry MeterProvider, or your own) implements it; when metrics
 * are off the recorder is {@link NOOP_RECORDER} and each call site skips its work on
 * `enabled === false`, so the cost is one property read.
 */
import type { MetricLabels, MetricName } from './metric-definitions';

/** A sink for data points; durations are always given in milliseconds. */
export interface MetricsRecorder {
  /** False for the no-op recorder: call sites skip building labels. */
  readonly enabled: boolean;
  /** Adds `value` (default 1) to a counter. */
  count(name: MetricName, labels: MetricLabels, value?: number): void;
  /** Sets a gauge. */
  gauge(name: MetricName, labels: MetricLabels, value: number): void;
  /** Records a duration in milliseconds (converted to seconds on export with `useSecondsForDurations`). */
  durationMs(name: MetricName, labels: MetricLabels, ms: number): void;
}

/** Records nothing. */
export const NOOP_RECORDER: MetricsRecorder = Object.freeze({
  enabled: false,
  count: () => undefined,
  gauge: () => undefined,
  durationMs: () => undefined,
});

/** Sends each data point to every recorder (a worker's own registry and the process-wide one). */
export function fanOut(recorders: readonly MetricsRecorder[]): MetricsRecorder {
  const live = recorders.filter((r) => r.enabled);
  if (live.length === 0) return NOOP_RECORDER;
  if (live.length === 1) return live[0]!;
  return {
    enabled: true,
    count: (n, l, v) => live.forEach((r) => r.count(n, l, v)),
    gauge: (n, l, v) => live.forEach((r) => r.gauge(n, l, v)),
    durationMs: (n, l, ms) => live.forEach((r) => r.durationMs(n, l, ms)),
  };
}

let processRecorder: MetricsRecorder = NOOP_RECORDER;

/** Sets the process-wide recorder (`Runtime.install({ telemetryOptions })`). */
export function setProcessRecorder(recorder: MetricsRecorder): void {
  processRecorder = recorder;
}

/**
 * The process-wide recorder as a stable object: components created before
 * `Runtime.install` follow it too. `enabled` is read at each call site.
 */
export const processMetrics: MetricsRecorder = Object.freeze({
  get enabled() {
    return processRecorder.enabled;
  },
  count: (n: MetricName, l: MetricLabels, v?: number) => processRecorder.count(n, l, v),
  gauge: (n: MetricName, l: MetricLabels, v: number) => processRecorder.gauge(n, l, v),
  durationMs: (n: MetricName, l: MetricLabels, ms: number) => processRecorder.durationMs(n, l, ms),
});
