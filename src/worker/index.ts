/**
 * Bastion's Worker.
 *
 * ```ts
 * import { Worker } from 'bastion-temporal/worker';
 * const worker = await Worker.create({ connection, taskQueue: 'orders', workflowsPath: require.resolve('./workflows'), activities });
 * await worker.run(); // until SIGINT/SIGTERM or worker.shutdown()
 * ```
 */
export { Worker } from './worker';
/**
 * `@temporalio/worker`'s name for the worker's connection: in Bastion one `Connection`
 * serves workers and clients, so `NativeConnection.connect({ address, tls })` is
 * `Connection.connect` (same options).
 */
export { Connection as NativeConnection } from '../connection';
export { defaultPayloadConverter } from '../converter';
export type { WorkerStatus } from './worker';
export type { StickyCacheStats } from './worker-state';
export { DefaultLogger, Runtime } from '../common/logger';
export type { LogEntry, LogLevel, Logger, LogMeta, RuntimeOptions } from '../common/logger';
export type { WorkerState } from './worker-state';
export { compileWorkerOptions } from './worker-options';
export {
  DEFAULT_ACTIVATION_TIMEOUT_MS,
  DEFAULT_CONNECTION_STALL_THRESHOLD_MS,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  DEFAULT_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS,
  DEFAULT_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS,
  DEFAULT_NON_STICKY_TO_STICKY_POLL_RATIO,
  DEFAULT_SHUTDOWN_FORCE_TIME_MS,
  DEFAULT_SHUTDOWN_GRACE_TIME_MS,
  DEFAULT_SHUTDOWN_SIGNALS,
  DEFAULT_STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT_MS,
} from './worker-options';
export type {
  WorkerOptions,
  CompiledWorkerOptions,
  WorkerLogger,
  WorkerInterceptors,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  ActivityExecuteInput,
  PinoLike,
} from './worker-options';
export type { InjectedSinks, InjectedSink, InjectedSinkFunction } from './sinks';
export type { BundleOptions, WorkflowBundle } from './bundler';
export { bundleWorkflowCode } from './bundler';
/** Errors a worker's user can catch: from `Worker.create`/`run` (bundling, state, config, connection) and replay. */
export { BastionError, BundleError, ConfigError, ConnectionError, IllegalStateError, WorkflowError } from '../common/errors';
export { DeterminismError } from '../engine/determinism-error';
