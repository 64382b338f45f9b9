/**
 * Observability: Temporal's SDK metrics (Core's names, labels and units), certificate
 * expiry gauges as the x509-certificate-exporter names them, and health/readiness probes.
 *
 * ```ts
 * import { Runtime } from 'bastion-temporal';
 * Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: '0.0.0.0:9464' } } } });
 * // GET :9464/metrics, /healthz, /readyz
 * ```
 */
export { METRIC_DEFINITIONS, exportedName } from './metric-definitions';
export type { MetricDefinition, MetricLabels, MetricName, MetricType } from './metric-definitions';
export { NOOP_RECORDER, processMetrics } from './recorder';
export type { MetricsRecorder } from './recorder';
export { compileMetricsOption } from './metrics-options';
export type { MetricsOptions } from './metrics-options';
export { createPrometheusRecorder } from './prometheus-recorder';
export type { MetricsFormatOptions, PrometheusRegistry } from './prometheus-recorder';
export { createOtelRecorder } from './otel-recorder';
export type { OtelMeter, OtelMeterProvider } from './otel-recorder';
export {
  commonName,
  handshakeFailureCause,
  recordCertificate,
  recordCodecFailure,
  recordRotation,
  recordTlsHandshakeFailure,
  rotationRefusalReason,
  serialDecimal,
} from './connectivity-metrics';
export type { CertificateFacts, CertificateRole, RotationRefusal } from './connectivity-metrics';
export { DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS, healthSources, liveness, readiness } from './health';
export type { HealthSource, ProbeResult } from './health';
export { DEFAULT_OBSERVABILITY_PORT, ObservabilityServer } from './observability-server';
export type { ObservabilityServerOptions } from './observability-server';
export type { TelemetryOptions } from './runtime-telemetry';
