/** Bastion's version (the `version` in package.json). */
export const VERSION = '0.1.0';

export {
  CLIENT_NAME,
  CLIENT_VERSION,
  compileConnectionOptions,
  Connection,
  DEFAULT_ADDRESS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE,
  DEFAULT_LONG_POLL_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_RECONNECT,
  DEFAULT_RETRY,
  isLongPoll,
  LONG_POLL_METHODS,
  parseDuration,
  redact,
  RESERVED_HEADERS,
  RETRY_JITTER,
  RETRYABLE_STATUSES,
} from './connection';
export type {
  CallOptions,
  ClientCertPair,
  CompiledConnectionOptions,
  CompiledTls,
  ConnectionHealth,
  ConnectionOptions,
  ConnectionState,
  Duration,
  PemSource,
  RetryOptions,
  TlsConfig,
  OperatorService,
  WorkflowService,
  WorkflowServiceMethod,
  WorkflowServiceRequest,
  WorkflowServiceResponse,
} from './connection';
export {
  BastionError,
  BundleError,
  CertsError,
  CliError,
  ClientError,
  CodecError,
  ConfigError,
  ConnectionError,
  ConverterError,
  ERROR_CODES,
  IllegalStateError,
  ServerError,
  WorkflowError,
} from './common/errors';
export type { ErrorArea, ErrorCode } from './common/errors';
export { DeterminismError } from './engine/determinism-error';

// Data conversion (values ⇄ payloads, errors ⇄ failures), shared by the client, the
// worker and workflow code.
export {
  ActivityFailure,
  ApplicationFailure,
  ApplicationFailureCategory,
  BinaryPayloadConverter,
  CancelledFailure,
  ChildWorkflowFailure,
  CompositePayloadConverter,
  createDefaultPayloadConverter,
  decodeUtf8,
  defaultDataConverter,
  defaultPayloadConverter,
  DefaultFailureConverter,
  encodeUtf8,
  errorToFailure,
  failureToError,
  isCancellation,
  JsonPayloadConverter,
  METADATA_ENCODING_KEY,
  ProtobufBinaryPayloadConverter,
  ProtobufJsonPayloadConverter,
  RetryState,
  rootCause,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
  UndefinedPayloadConverter,
  toPayloads,
  fromPayloads,
  arrayFromPayloads,
} from './converter';
export type { DataConverter, DataConverterOptions, FailureConverter, Payload, PayloadConverter, PayloadConverterWithEncoding, ProtoFailure } from './converter';

// Environment configuration (temporal.toml profiles and TEMPORAL_* variables).
export { defaultConfigFilePath, DEFAULT_NAMESPACE, DEFAULT_PROFILE, loadClientConnectConfig } from './connection';
export type { ClientConnectConfig, CodecConfig, LoadClientConnectConfigOptions } from './connection';

// `bastion doctor` as a function: a connection diagnosed step by step.
export { diagnoseConnection, DEFAULT_DOCTOR_TIMEOUT_MS } from './doctor';
export type { DiagnoseOptions, Diagnosis, DoctorStep, DoctorStepName, DoctorStepStatus } from './doctor';
export { loadDataConverter } from './converter/load-data-converter';
export { DEFAULT_LOG_LEVEL, DefaultLogger, Runtime } from './common/logger';
export type { DefaultLoggerOptions, LogEntry, LogFormat, LogLevel, Logger, LogMeta, RuntimeOptions } from './common/logger';

// Metrics (Temporal's SDK names), certificate-expiry gauges, health and readiness probes.
export {
  METRIC_DEFINITIONS,
  ObservabilityServer,
  DEFAULT_OBSERVABILITY_PORT,
  recordCertificate,
  recordCodecFailure,
  recordRotation,
  recordTlsHandshakeFailure,
} from './observability';
export type {
  CertificateFacts,
  MetricDefinition,
  MetricName,
  MetricsOptions,
  MetricsRecorder,
  ObservabilityServerOptions,
  OtelMeterProvider,
  PrometheusRegistry,
  TelemetryOptions,
} from './observability';
