/**
 * Connecting to a Temporal server: TLS and mTLS, API keys, headers, retries.
 *
 * ```ts
 * import { Connection } from 'bastion-temporal';
 *
 * const connection = await Connection.connect({
 *   address: 'temporal.internal:7233',
 *   tls: { serverRootCACertificate: '/etc/temporal/ca.pem', clientCertPair: { crt: '/etc/temporal/worker.pem', key: '/etc/temporal/worker.key' } },
 * });
 * const { capabilities } = await connection.workflowService.getSystemInfo({});
 * await connection.close();
 * ```
 */
export { Connection } from './connection';
export type { ConnectionHealth, ConnectionState, SetTlsConfigOptions, TlsRotationResult } from './connection';
export {
  compileConnectionOptions,
  DEFAULT_ADDRESS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE,
  DEFAULT_LONG_POLL_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_RECONNECT,
  DEFAULT_RETRY,
  RESERVED_HEADERS,
} from './connection-options';
export type { CompiledConnectionOptions, ConnectionOptions, KeepAliveOptions, ReconnectOptions, RetryOptions } from './connection-options';
export type { ClientCertPair, CompiledTls, PemSource, TlsConfig } from './tls-credentials';
export { isLongPoll, LONG_POLL_METHODS, RETRY_JITTER, RETRYABLE_STATUSES } from './retry-policy';
export { CLIENT_NAME, CLIENT_VERSION } from './client-identity';
export { redact } from '../common/redact';
export type {
  CallOptions,
  OperatorService,
  ServiceCallback,
  ServiceClient,
  ServiceMethod,
  WorkflowService,
  WorkflowServiceMethod,
  WorkflowServiceRequest,
  WorkflowServiceResponse,
} from './workflow-service';
export { OPERATOR_SERVICE_NAME } from './workflow-service';
export type { CallScope, ConnectionPlugin } from './call-scope';
export { parseDuration } from '../common/duration';
export type { Duration } from '../common/duration';
export { DEFAULT_NAMESPACE, DEFAULT_PROFILE, loadClientConnectConfig } from './envconfig';
export { defaultConfigFilePath } from './envconfig-file';
export type { ClientConnectConfig, CodecConfig, LoadClientConnectConfigOptions } from './envconfig';
