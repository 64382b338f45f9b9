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
  /**
   * Put the label `service_name="temporal-core-sdk"` on every Temporal SDK metric (the
   * `temporal_` ones), as Core does (its `attachServiceName`), so queries written for the
   * official SDK match. @default true
   */
  attachServiceName?: boolean;
  /** Add the unit to duration histogram names: `_milliseconds` or `_seconds` (Core's Prometheus `unitSuffix`). @default false */
  unitSuffix?: boolean;
  /**
   * Bucket boundaries per histogram, in the exported unit (milliseconds, or seconds with
   * `useSecondsForDurations`), as Core's `histogramBucketOverrides`: a key applies to the
   * histogram of that name with or without the prefix, else to each histogram whose name
   * contains it (first key in order). @default {} (Core's default buckets)
   */
  histogramBucketOverrides?: Record<string, number[]>;
}

/** The compiled form of {@link MetricsFormatOptions}. */
export interface CompiledMetricsFormat {
  useSecondsForDurations: boolean;
  globalTags: Readonly<Record<string, string>>;
  /** Labels of the Temporal SDK metrics only (`service_name` of `attachServiceName`). */
  sdkTags: Readonly<Record<string, string>>;
  metricPrefix: string;
  countersTotalSuffix: boolean;
  unitSuffix: boolean;
  histogramBucketOverrides: ReadonlyArray<readonly [string, readonly number[]]>;
}

/** The value Core gives the `service_name` label (`attachServiceName`). */
export const CORE_SERVICE_NAME = 'temporal-core-sdk';

/** The labels every data point of `name` carries: the global tags, and on SDK metrics the SDK tags. */
export function tagsOf(name: MetricName, format: CompiledMetricsFormat): Record<string, string> {
  return METRIC_DEFINITIONS[name].prefixed ? { ...format.sdkTags, ...format.globalTags } : { ...format.globalTags };
}

/** The buckets of histogram `name`, in the exported unit: an override, else Core's defaults. */
export function bucketsOf(name: MetricName, format: CompiledMetricsFormat): number[] {
  const exported = exportedName(name, format.metricPrefix);
  const overrides = format.histogramBucketOverrides;
  const hit = overrides.find(([k]) => k === name || k === exported) ?? overrides.find(([k]) => exported.includes(k));
  if (hit) return [...hit[1]];
  const scale = format.useSecondsForDurations ? 1000 : 1;
  return (METRIC_DEFINITIONS[name].bucketsMs ?? []).map((b) => b / scale);
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
  const labelsOf = (name: MetricName, labels: MetricLabels): Record<string, string> => {
    const out: Record<string, string> = {};
    // A label without a value is left out, as Core leaves it (a request without a task queue).
    for (const k of METRIC_DEFINITIONS[name].labels) if (labels[k] !== undefined) out[k] = labels[k]!;
    return Object.assign(out, tagsOf(name, format));
  };
  const instruments = new Map<MetricName, Instrument>();
  const instrument = (name: MetricName): Instrument => {
    let i = instruments.get(name);
    if (i) return i;
    const def = METRIC_DEFINITIONS[name];
    let metricName = exportedName(name, format.metricPrefix);
    if (def.type === 'counter' && format.countersTotalSuffix) metricName += '_total';
    if (def.type === 'histogram' && def.unit === 'duration' && format.unitSuffix) metricName += format.useSecondsForDurations ? '_seconds' : '_milliseconds';
    const config = { name: metricName, help: def.help, labelNames: [...def.labels, ...Object.keys(tagsOf(name, format))], registers: [reg] };
    // A registry shared by two recorders (two workers) keeps one instrument per name.
    const existing = reg.getSingleMetric(metricName) as Instrument | undefined;
    if (existing) i = existing;
    else if (def.type === 'counter') i = new prom.Counter(config);
    else if (def.type === 'gauge') i = new prom.Gauge(config);
    else i = new prom.Histogram({ ...config, buckets: bucketsOf(name, format) });
    instruments.set(name, i);
    return i;
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
