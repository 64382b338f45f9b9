/**
 * The OpenTelemetry backend: records through a `MeterProvider` of @opentelemetry/api (the
 * stable, vendor-neutral API that OTLP exporters, the OpenTelemetry Collector and most APM
 * vendors plug into), so users who export by OTLP configure their SDK once and Bastion's
 * metrics follow. Only the API's interfaces are used: any MeterProvider fits.
 */
import { exportedName, METRIC_DEFINITIONS, type MetricLabels, type MetricName } from './metric-definitions';
import { bucketsOf, tagsOf, type CompiledMetricsFormat } from './prometheus-recorder';
import type { MetricsRecorder } from './recorder';

/** The parts of @opentelemetry/api's `MeterProvider` Bastion calls (structural, so the package is not needed to name it). */
export interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

/** The parts of @opentelemetry/api's `Meter` Bastion calls. */
export interface OtelMeter {
  createCounter(name: string, options?: OtelInstrumentOptions): { add(value: number, attributes?: Record<string, string>): void };
  createHistogram(name: string, options?: OtelInstrumentOptions): { record(value: number, attributes?: Record<string, string>): void };
  createGauge?(name: string, options?: OtelInstrumentOptions): { record(value: number, attributes?: Record<string, string>): void };
  createObservableGauge(
    name: string,
    options?: OtelInstrumentOptions,
  ): { addCallback(cb: (result: { observe(value: number, attributes?: Record<string, string>): void }) => void): void };
}

/** Instrument options as @opentelemetry/api 1.9 takes them. */
export interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

interface Sink {
  (value: number, attributes: Record<string, string>): void;
}

/** Records through `meterProvider.getMeter('bastion')`. */
export function createOtelRecorder(format: CompiledMetricsFormat, meterProvider: OtelMeterProvider): MetricsRecorder {
  const meter = meterProvider.getMeter('bastion', '0.1.0');
  const sinks = new Map<MetricName, Sink>();
  const sink = (name: MetricName): Sink => {
    let s = sinks.get(name);
    if (s) return s;
    const def = METRIC_DEFINITIONS[name];
    const metricName = exportedName(name, format.metricPrefix);
    const unit = def.unit === 'duration' ? (format.useSecondsForDurations ? 's' : 'ms') : def.unit === 'seconds' ? 's' : '';
    const options: OtelInstrumentOptions = { description: def.help, unit };
    if (def.type === 'counter') {
      const c = meter.createCounter(metricName, options);
      s = (v, a) => c.add(v, a);
    } else if (def.type === 'histogram') {
      const h = meter.createHistogram(metricName, { ...options, advice: { explicitBucketBoundaries: bucketsOf(name, format) } });
      s = (v, a) => h.record(v, a);
    } else if (typeof meter.createGauge === 'function') {
      const g = meter.createGauge(metricName, options);
      s = (v, a) => g.record(v, a);
    } else {
      // Before API 1.9: an observable gauge reporting the last value of each label set.
      const last = new Map<string, { value: number; attributes: Record<string, string> }>();
      meter.createObservableGauge(metricName, options).addCallback((result) => last.forEach((p) => result.observe(p.value, p.attributes)));
      s = (v, a) => last.set(JSON.stringify(a), { value: v, attributes: a });
    }
    sinks.set(name, s);
    return s;
  };
  const attributes = (name: MetricName, labels: MetricLabels): Record<string, string> => {
    const out = tagsOf(name, format);
    for (const k of METRIC_DEFINITIONS[name].labels) if (labels[k] !== undefined) out[k] = labels[k]!;
    return out;
  };
  return {
    enabled: true,
    count: (name, labels, value = 1) => sink(name)(value, attributes(name, labels)),
    gauge: (name, labels, value) => sink(name)(value, attributes(name, labels)),
    durationMs: (name, labels, ms) => sink(name)(format.useSecondsForDurations ? ms / 1000 : ms, attributes(name, labels)),
  };
}
