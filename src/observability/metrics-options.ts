/**
 * The `metrics` option of `Worker.create`, `new Client` and `Connection.connect`, and
 * `Runtime.install({ telemetryOptions: { metrics } })`, compiled once into a recorder.
 */
import { ConfigError, invalidOption } from '../common/errors';
import { loadOptionalPeer } from './optional-peer';
import { createOtelRecorder, type OtelMeterProvider } from './otel-recorder';
import {
  CORE_SERVICE_NAME,
  createPrometheusRecorder,
  type CompiledMetricsFormat,
  type MetricsFormatOptions,
  type PrometheusRegistry,
} from './prometheus-recorder';
import { NOOP_RECORDER, processMetrics, type MetricsRecorder } from './recorder';

/**
 * Where a worker, client or connection records its metrics, instead of the process-wide
 * recorder of `Runtime.install`. Exactly one of `registry`, `meterProvider`, `recorder`.
 *
 * ```ts
 * const registry = new (require('prom-client').Registry)();
 * await Worker.create({ …, metrics: { registry } });           // your own prom-client registry
 * await Worker.create({ …, metrics: { meterProvider } });      // an OpenTelemetry MeterProvider
 * ```
 */
export interface MetricsOptions extends MetricsFormatOptions {
  /** A prom-client `Registry` to register Bastion's metrics in (needs `prom-client`). */
  registry?: PrometheusRegistry;
  /** An OpenTelemetry `MeterProvider`, or `'global'` for `metrics.getMeterProvider()` of `@opentelemetry/api`. */
  meterProvider?: OtelMeterProvider | 'global';
  /** Any object implementing {@link MetricsRecorder}. */
  recorder?: MetricsRecorder;
}

const FORMAT_KEYS = [
  'useSecondsForDurations',
  'globalTags',
  'metricPrefix',
  'countersTotalSuffix',
  'attachServiceName',
  'unitSuffix',
  'histogramBucketOverrides',
];

/** The defaulted form of the format options. @throws {ConfigError} `ERR_INVALID_OPTION` naming the field */
export function compileMetricsFormat(o: MetricsFormatOptions, option: string): CompiledMetricsFormat {
  const tags = o.globalTags ?? {};
  if (typeof tags !== 'object' || tags === null || Object.values(tags).some((v) => typeof v !== 'string'))
    throw invalidOption(`${option}.globalTags`, 'must be an object of string values, e.g. `{ service: "billing" }`.');
  for (const k of Object.keys(tags))
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))
      throw invalidOption(`${option}.globalTags`, `has the key ${JSON.stringify(k)}; label names match [a-zA-Z_][a-zA-Z0-9_]*.`);
  const prefix = o.metricPrefix ?? 'temporal_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:]?[a-zA-Z0-9_:]*$/.test(prefix))
    throw invalidOption(`${option}.metricPrefix`, 'must be a metric name prefix of letters, digits and `_` (e.g. `temporal_`).');
  for (const k of ['useSecondsForDurations', 'countersTotalSuffix', 'attachServiceName', 'unitSuffix'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalidOption(`${option}.${k}`, 'must be `true` or `false`.');
  return {
    useSecondsForDurations: o.useSecondsForDurations ?? false,
    globalTags: { ...tags },
    sdkTags: o.attachServiceName === false ? {} : { service_name: CORE_SERVICE_NAME },
    metricPrefix: prefix,
    countersTotalSuffix: o.countersTotalSuffix ?? false,
    unitSuffix: o.unitSuffix ?? false,
    histogramBucketOverrides: compileBucketOverrides(o.histogramBucketOverrides, `${option}.histogramBucketOverrides`),
  };
}

/** `histogramBucketOverrides` as ordered pairs, each list finite and strictly ascending. */
function compileBucketOverrides(value: unknown, option: string): Array<[string, number[]]> {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidOption(option, 'must be an object of metric name to bucket boundaries, e.g. `{ request_latency: [10, 50, 100, 500] }`.');
  return Object.entries(value as Record<string, unknown>).map(([name, buckets]) => {
    const ok =
      Array.isArray(buckets) &&
      buckets.length > 0 &&
      buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > (buckets[i - 1] as number)));
    if (!ok) throw invalidOption(`${option}.${name}`, 'must be a non-empty list of finite numbers in ascending order, e.g. `[10, 50, 100, 500]`.');
    return [name, [...(buckets as number[])]];
  });
}

/** The meter provider of `meterProvider`, loading @opentelemetry/api for `'global'`. */
export function resolveMeterProvider(value: unknown, option: string): OtelMeterProvider {
  if (value === 'global') {
    const api = loadOptionalPeer<{ metrics: { getMeterProvider(): OtelMeterProvider } }>('@opentelemetry/api', option);
    return api.metrics.getMeterProvider();
  }
  if (typeof (value as OtelMeterProvider | undefined)?.getMeter !== 'function')
    throw invalidOption(option, "must be an OpenTelemetry `MeterProvider` (an object with `getMeter(name)`), or `'global'`.");
  return value as OtelMeterProvider;
}

/**
 * The recorder of a component: its own (`metrics`), the process-wide one when `metrics`
 * is absent, none for `false`.
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `ERR_CONFLICTING_OPTIONS`, `ERR_OPTIONAL_PEER_MISSING`
 */
export function compileMetricsOption(value: MetricsOptions | false | undefined, option = 'metrics'): MetricsRecorder {
  if (value === undefined) return processMetrics;
  if (value === false) return NOOP_RECORDER;
  if (typeof value !== 'object' || value === null) throw invalidOption(option, 'must be `{ registry }`, `{ meterProvider }`, `{ recorder }` or `false`.');
  for (const key of Object.keys(value)) {
    if (![...FORMAT_KEYS, 'registry', 'meterProvider', 'recorder'].includes(key))
      throw invalidOption(
        `${option}.${key}`,
        `is not a metrics option. Known: \`registry\`, \`meterProvider\`, \`recorder\`, ${FORMAT_KEYS.map((k) => `\`${k}\``).join(', ')}.`,
      );
  }
  const given = (['registry', 'meterProvider', 'recorder'] as const).filter((k) => value[k] !== undefined);
  if (given.length !== 1)
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`${option}\` takes exactly one of \`registry\` (prom-client), \`meterProvider\` (OpenTelemetry) or \`recorder\`; got ${given.length ? given.map((k) => `\`${k}\``).join(' and ') : 'none'}.`,
    );
  const format = compileMetricsFormat(value, option);
  if (value.recorder) {
    const r = value.recorder;
    if (typeof r.count !== 'function' || typeof r.gauge !== 'function' || typeof r.durationMs !== 'function')
      throw invalidOption(`${option}.recorder`, 'must implement `count`, `gauge` and `durationMs` (see MetricsRecorder).');
    return r;
  }
  if (value.registry) {
    if (typeof value.registry.metrics !== 'function') throw invalidOption(`${option}.registry`, 'must be a prom-client `Registry`.');
    return createPrometheusRecorder(format, value.registry, `${option}.registry`);
  }
  return createOtelRecorder(format, resolveMeterProvider(value.meterProvider, `${option}.meterProvider`));
}
