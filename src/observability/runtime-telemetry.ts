/**
 * `Runtime.install({ telemetryOptions })`: the process-wide metrics, in the official
 * SDK's shape. `metrics.prometheus.bindAddress` serves `/metrics` (and `/healthz`,
 * `/readyz`) on that address; `metrics.meterProvider` records through an OpenTelemetry
 * MeterProvider (an OTLP exporter configured in your OpenTelemetry SDK).
 */
import { invalidOption } from '../common/errors';
import { parseDuration, type Duration } from '../common/duration';
import type { Logger } from '../common/logger';
import { compileMetricsFormat, resolveMeterProvider } from './metrics-options';
import { createOtelRecorder, type OtelMeterProvider } from './otel-recorder';
import { createPrometheusRecorder, type PrometheusRegistry } from './prometheus-recorder';
import { NOOP_RECORDER, setProcessRecorder, type MetricsRecorder } from './recorder';
import { ObservabilityServer, parseBindAddress } from './observability-server';

/** `telemetryOptions` of `Runtime.install`, as the official SDK names them. */
export interface TelemetryOptions {
  metrics?: {
    /** A Prometheus endpoint: `{ bindAddress: '0.0.0.0:9464' }`, serving `/metrics`, `/healthz` and `/readyz`. */
    prometheus?: {
      bindAddress: string;
      useSecondsForDurations?: boolean;
      countersTotalSuffix?: boolean;
      /** `_milliseconds` / `_seconds` on duration histogram names. @default false */
      unitSuffix?: boolean;
      /** Bucket boundaries per histogram name, in the exported unit. @default Core's buckets */
      histogramBucketOverrides?: Record<string, number[]>;
    };
    /** An OpenTelemetry `MeterProvider`, or `'global'` (from `@opentelemetry/api`). */
    meterProvider?: OtelMeterProvider | 'global';
    /** Export durations in seconds (for `meterProvider`; `prometheus` has its own). @default false */
    useSecondsForDurations?: boolean;
    /** @default 'temporal_' */
    metricPrefix?: string;
    /** Labels on every metric. */
    globalTags?: Record<string, string>;
    /** The label `service_name="temporal-core-sdk"` on every metric, as Core puts it. @default true */
    attachServiceName?: boolean;
  };
  /** Event-loop delay over which `/healthz` answers 503. @default '1s' */
  eventLoopDelayThreshold?: Duration;
}

/** What an installed telemetry holds. */
export interface InstalledTelemetry {
  recorder: MetricsRecorder;
  /** The `/metrics` server of `prometheus.bindAddress`, once it listens (rejects with `ERR_OBSERVABILITY_LISTEN`). */
  metricsServer?: Promise<ObservabilityServer>;
  close(): Promise<void>;
}

let installed: InstalledTelemetry | undefined;
let installedRegistry: PrometheusRegistry | undefined;

/** The prom-client registry of `telemetryOptions.metrics.prometheus`, when installed (a worker's `healthServer` serves it at `/metrics`). */
export function processRegistry(): PrometheusRegistry | undefined {
  return installed ? installedRegistry : undefined;
}

const METRICS_KEYS = ['prometheus', 'meterProvider', 'useSecondsForDurations', 'metricPrefix', 'globalTags', 'attachServiceName'];
const PROMETHEUS_KEYS = ['bindAddress', 'useSecondsForDurations', 'countersTotalSuffix', 'unitSuffix', 'histogramBucketOverrides'];

/**
 * Compiles `telemetryOptions` and makes its recorder the process-wide one (closing the server of a previous install).
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_OPTIONAL_PEER_MISSING`
 */
export function installTelemetry(options: TelemetryOptions | undefined, logger: Logger): InstalledTelemetry {
  const m = options?.metrics;
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw invalidOption('telemetryOptions', 'must be an object `{ metrics }`.');
  for (const key of Object.keys(options ?? {}))
    if (!['metrics', 'eventLoopDelayThreshold', 'logging'].includes(key))
      throw invalidOption(`telemetryOptions.${key}`, 'is not a telemetry option of Bastion. Known: `metrics`, `eventLoopDelayThreshold`.');
  for (const key of Object.keys(m ?? {})) {
    if (key === 'otel')
      throw invalidOption(
        'telemetryOptions.metrics.otel',
        "is not supported: Bastion does not push OTLP itself. Configure an OTLP exporter in your OpenTelemetry SDK and pass its `MeterProvider` as `telemetryOptions.metrics.meterProvider` (or `'global'`).",
      );
    if (!METRICS_KEYS.includes(key))
      throw invalidOption(`telemetryOptions.metrics.${key}`, `is not a metrics option. Known: ${METRICS_KEYS.map((k) => `\`${k}\``).join(', ')}.`);
  }
  const previous = installed;
  installed = undefined;
  void previous?.close();
  if (!m || (m.prometheus === undefined && m.meterProvider === undefined)) {
    setProcessRecorder(NOOP_RECORDER);
    return { recorder: NOOP_RECORDER, close: async () => undefined };
  }
  const thresholdMs =
    options?.eventLoopDelayThreshold === undefined ? undefined : parseDuration(options.eventLoopDelayThreshold, 'telemetryOptions.eventLoopDelayThreshold');
  const recorders: MetricsRecorder[] = [];
  let metricsServer: Promise<ObservabilityServer> | undefined;
  if (m.prometheus !== undefined) {
    const p = m.prometheus;
    for (const key of Object.keys(p ?? {}))
      if (!PROMETHEUS_KEYS.includes(key))
        throw invalidOption(
          `telemetryOptions.metrics.prometheus.${key}`,
          `is not a Prometheus exporter option. Known: ${PROMETHEUS_KEYS.map((k) => `\`${k}\``).join(', ')}.`,
        );
    const { host, port } = parseBindAddress(p?.bindAddress, 'telemetryOptions.metrics.prometheus.bindAddress');
    const format = compileMetricsFormat(
      {
        globalTags: m.globalTags,
        metricPrefix: m.metricPrefix,
        attachServiceName: m.attachServiceName,
        useSecondsForDurations: p.useSecondsForDurations,
        countersTotalSuffix: p.countersTotalSuffix,
        unitSuffix: p.unitSuffix,
        histogramBucketOverrides: p.histogramBucketOverrides,
      },
      'telemetryOptions.metrics.prometheus',
    );
    const prom = createPrometheusRecorder(format, undefined, 'telemetryOptions.metrics.prometheus');
    recorders.push(prom);
    installedRegistry = prom.registry;
    metricsServer = ObservabilityServer.start({
      host,
      port,
      registry: prom.registry,
      eventLoopDelayThresholdMs: thresholdMs,
      option: 'telemetryOptions.metrics.prometheus.bindAddress',
    });
    metricsServer.catch((err: Error) => logger.error('metrics server did not start', { error: err.message }));
  }
  if (m.meterProvider !== undefined) {
    const format = compileMetricsFormat(
      { globalTags: m.globalTags, metricPrefix: m.metricPrefix, attachServiceName: m.attachServiceName, useSecondsForDurations: m.useSecondsForDurations },
      'telemetryOptions.metrics',
    );
    recorders.push(createOtelRecorder(format, resolveMeterProvider(m.meterProvider, 'telemetryOptions.metrics.meterProvider')));
  }
  const recorder: MetricsRecorder =
    recorders.length === 1
      ? recorders[0]!
      : ({
          enabled: true,
          count: (n, l, v) => recorders.forEach((r) => r.count(n, l, v)),
          gauge: (n, l, v) => recorders.forEach((r) => r.gauge(n, l, v)),
          durationMs: (n, l, ms) => recorders.forEach((r) => r.durationMs(n, l, ms)),
          forget: (n: never, l: never) => recorders.forEach((r) => (r as { forget?: (a: never, b: never) => void }).forget?.(n, l)),
        } as MetricsRecorder);
  setProcessRecorder(recorder);
  const self: InstalledTelemetry = {
    recorder,
    metricsServer,
    close: async () => {
      if (installed === self) {
        installed = undefined;
        setProcessRecorder(NOOP_RECORDER);
      }
      await metricsServer?.then((s) => s.close()).catch(() => undefined);
    },
  };
  installed = self;
  return self;
}
