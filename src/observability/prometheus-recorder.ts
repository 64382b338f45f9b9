/**
 * The Prometheus backend, on prom-client: the de-facto Prometheus client for Node.js,
 * which writes the text exposition format (escaping, `# HELP`/`# TYPE`, histogram
 * `_bucket`/`_sum`/`_count` series, content type) correctly, and which many
 * applications already use for their own metrics. Loaded only when metrics are on.
 */
import type * as PromClient from 'prom-client';
import { loadOptionalPeer } from './optional-peer';
import { exportedName, METRIC_DEFINITIONS, type MetricLabels, type MetricName } from './metric-definitions';
import type { MetricsRecorder } from './recorder';

/** A prom-client `Registry` (structural, so prom-client's types are not needed to name it). */
export interface PrometheusRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Options shared by every backend, as Core's telemetry options name them. */
export interface MetricsFormatOptions {
  /** Export duration histograms in seconds (Core's `useSecondsForDurations`). @default false (milliseconds) */
  useSecondsForDurations?: boolean;
  /** Labels added to every metric, e.g. `{ service: 'billing' }`. @default {} */
  globalTags?: Record<string, string>;
  /** Prefix of the SDK metrics. @default 'temporal_' */
  metricPrefix?: string;
  /** Add `_total` to counter names (Core's `countersTotalSuffix`). @default false */
  countersTotalSuffix?: boolean;
}

/** The compiled form of {@link MetricsFormatOptions}. */
export interface CompiledMetricsFormat {
  useSecondsForDurations: boolean;
  globalTags: Readonly<Record<string, string>>;
  metricPrefix: string;
  countersTotalSuffix: boolean;
}

type Instrument = PromClient.Counter<string> | PromClient.Gauge<string> | PromClient.Histogram<string>;

/**
 * Records into `registry` (a new prom-client Registry when absent).
 * @throws {ConfigError} `ERR_OPTIONAL_PEER_MISSING` without prom-client
 */
export function createPrometheusRecorder(
  format: CompiledMetricsFormat,
  registry?: PrometheusRegistry,
  option = 'metrics',
): MetricsRecorder & { registry: PrometheusRegistry; forget(name: MetricName, labels: MetricLabels): void } {
  const prom = loadOptionalPeer<typeof PromClient>('prom-client', option);
  const reg = (registry ?? new prom.Registry()) as PromClient.Registry;
  const globalKeys = Object.keys(format.globalTags);
  const instruments = new Map<MetricName, Instrument>();
  const instrument = (name: MetricName): Instrument => {
    let i = instruments.get(name);
    if (i) return i;
    const def = METRIC_DEFINITIONS[name];
    let metricName = exportedName(name, format.metricPrefix);
    if (def.type === 'counter' && format.countersTotalSuffix) metricName += '_total';
    const config = { name: metricName, help: def.help, labelNames: [...def.labels, ...globalKeys], registers: [reg] };
    // A registry shared by two recorders (two workers) keeps one instrument per name.
    const existing = reg.getSingleMetric(metricName) as Instrument | undefined;
    if (existing) i = existing;
    else if (def.type === 'counter') i = new prom.Counter(config);
    else if (def.type === 'gauge') i = new prom.Gauge(config);
    else {
      const scale = format.useSecondsForDurations ? 1000 : 1;
      i = new prom.Histogram({ ...config, buckets: (def.bucketsMs ?? []).map((b) => b / scale) });
    }
    instruments.set(name, i);
    return i;
  };
  const labelsOf = (name: MetricName, labels: MetricLabels): Record<string, string> => {
    const out: Record<string, string> = { ...format.globalTags };
    for (const k of METRIC_DEFINITIONS[name].labels) out[k] = labels[k] ?? '';
    return out;
  };
  return {
    enabled: true,
    registry: reg,
    count: (name, labels, value = 1) => (instrument(name) as PromClient.Counter<string>).inc(labelsOf(name, labels), value),
    gauge: (name, labels, value) => (instrument(name) as PromClient.Gauge<string>).set(labelsOf(name, labels), value),
    forget: (name, labels) => instrument(name).remove(labelsOf(name, labels)),
    durationMs: (name, labels, ms) =>
      (instrument(name) as PromClient.Histogram<string>).observe(labelsOf(name, labels), format.useSecondsForDurations ? ms / 1000 : ms),
  };
}
