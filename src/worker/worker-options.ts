/** Worker options: the official SDK's names and defaults, compiled once into a fully defaulted form. */
import * as os from 'node:os';
import { ConfigError, booleanOption, invalidOption } from '../common/errors';
import { parseDuration, parsePositiveDuration, type Duration } from '../common/duration';
import type { Connection } from '../connection';
import { type DataConverter, type DataConverterOptions, type PayloadConverter } from '../converter';
import { loadDataConverter } from '../converter/load-data-converter';
import { processLogger, type Logger } from '../common/logger';
import { withLogFields } from '../common/log-fields';
import type { Payload } from '../converter';
import { validateSinks, type InjectedSinks } from './sinks';
import { compileMetricsOption, type MetricsOptions } from '../observability/metrics-options';
import { WorkerMetrics } from '../observability/worker-metrics';
import { DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS } from '../observability/health';

/** @default 100 */
export const DEFAULT_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS = 100;
/** @default 40 */
export const DEFAULT_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS = 40;
/** @default 1000 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 1000;
/** @default '10s' */
export const DEFAULT_STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT_MS = 10_000;
/** In-flight activities get this long to finish after shutdown starts. @default '10s' */
export const DEFAULT_SHUTDOWN_GRACE_TIME_MS = 10_000;
/** After this long from shutdown start, `run()` settles even if activities ignore cancellation. @default '30s' */
export const DEFAULT_SHUTDOWN_FORCE_TIME_MS = 30_000;
/** Each activation of workflow code must finish within this time. @default '5s' */
export const DEFAULT_ACTIVATION_TIMEOUT_MS = 5_000;
/**
 * When no call to the server has succeeded for this long, the worker logs one warning
 * (address, last error) and `getStatus().connectionStalled` is true. Longer than the
 * long-poll deadline (70 s), so an idle but healthy worker never trips it.
 * @default '90s'
 */
export const DEFAULT_CONNECTION_STALL_THRESHOLD_MS = 90_000;
/** Sandbox threads beside the main thread when neither the option nor `BASTION_WORKFLOW_THREADS` is set. @default 1 */
export const DEFAULT_WORKFLOW_THREAD_POOL_SIZE = 1;

/** `workflowThreadPoolSize` when the option is absent: `BASTION_WORKFLOW_THREADS`, validated, else {@link DEFAULT_WORKFLOW_THREAD_POOL_SIZE}. */
function defaultThreadPoolSize(): number {
  const raw = process.env.BASTION_WORKFLOW_THREADS;
  if (raw === undefined || raw === '') return DEFAULT_WORKFLOW_THREAD_POOL_SIZE;
  if (!/^\d{1,3}$/.test(raw.trim())) {
    throw invalidOption(
      'BASTION_WORKFLOW_THREADS',
      `(environment variable) must be a whole number of worker threads, 0 or more (0: sandboxes on the main thread); got ${JSON.stringify(raw.slice(0, 20))}.`,
    );
  }
  return Number(raw.trim());
}
/** @default 0.2 */
export const DEFAULT_NON_STICKY_TO_STICKY_POLL_RATIO = 0.2;
/** @default ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] */
export const DEFAULT_SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];

/** The worker's logger: the one {@link Logger} interface (pino-style loggers are adapted). */
export type WorkerLogger = Logger;

export interface WorkerOptions {
  connection?: Connection;
  /** @default 'default' */
  namespace?: string;
  taskQueue: string;
  /** A module exporting workflow functions; bundled with webpack. */
  workflowsPath?: string;
  /** A prebuilt bundle from `bundleWorkflowCode`, or a path to one. */
  workflowBundle?: { code: string } | { codePath: string };
  activities?: Record<string, (...args: any[]) => unknown>;
  /** @default `${process.pid}@${os.hostname()}` */
  identity?: string;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskPolls?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  nonStickyToStickyPollRatio?: number;
  maxCachedWorkflows?: number;
  stickyQueueScheduleToStartTimeout?: Duration;
  shutdownGraceTime?: Duration;
  shutdownForceTime?: Duration;
  /** Signals that start a graceful shutdown; `[]` installs no handlers. */
  shutdownSignals?: NodeJS.Signals[];
  /** Time limit for each activation of workflow code (infinite loops fail the task). */
  activationTimeout?: Duration;
  /**
   * When no call to the server has succeeded for this long, log one warning with the
   * address and the last error (and one `info` line when calls succeed again).
   * @default '90s' ({@link DEFAULT_CONNECTION_STALL_THRESHOLD_MS})
   */
  connectionStallThreshold?: Duration;
  /**
   * Threads that run workflow sandboxes beside the main thread; 0 runs them on the main
   * thread. @default DEFAULT_WORKFLOW_THREAD_POOL_SIZE
   */
  workflowThreadPoolSize?: number;
  /**
   * Run all workflows of the bundle in one shared `node:vm` context (per sandbox thread),
   * as the official SDK's `reuseV8Context` does: the bundle is evaluated once, Bastion's
   * runtime and the JavaScript built-ins are shared and frozen, and each run gets its own
   * instances of your workflow modules, its own globals, time and randomness. Several
   * times cheaper in CPU and memory per workflow than a context per run.
   *
   * Workflow code that mutates a built-in (`Array.prototype.x = …`, `Math.max = …`)
   * throws a `TypeError` in this mode; assigning a property a prototype already has
   * (`this.name = 'MyError'`) still works. `false` gives every run a new context in which
   * the whole bundle is evaluated. A prebuilt bundle not made by this version's
   * `bundleWorkflowCode` always gets a context per run (logged at debug level).
   * @default true
   */
  reuseV8Context?: boolean;
  /**
   * Payload converter, failure converter and payload codecs (`{ payloadCodecs: [codec] }`).
   * Codecs run outside the sandbox: the worker decodes each workflow task's history and
   * activity input before use, and encodes commands, results, heartbeat details and
   * failures before they leave. With an encrypting codec, failures carry their message
   * and stack trace encoded (`encodeCommonAttributes`) unless a `failureConverter` is given.
   *
   * A custom payload converter is given as `payloadConverterPath`, a module exporting
   * `payloadConverter` (the official SDK's shape): the worker `require`s it for activities
   * and bundles it into workflow code when it bundles `workflowsPath`. A prebuilt
   * `workflowBundle` must have been built with the same `payloadConverterPath`
   * (`bundleWorkflowCode({ workflowsPath, payloadConverterPath })`); `Worker.create`
   * checks this from the bundle's source map. `payloadConverter` and `protobufRoot`
   * (objects that cannot enter the sandbox) are only accepted by workers without workflows.
   * @default the default converters, no codecs
   * @throws {ConfigError} from `Worker.create`: `ERR_INVALID_OPTION` when a codec lacks
   *   `encode`/`decode` or `payloadConverterPath` cannot be loaded; `ERR_CONFLICTING_OPTIONS`
   *   for `payloadConverter` or `protobufRoot` with workflows, or a bundle built with another
   *   payload converter
   */
  dataConverter?: DataConverterOptions;
  ignoreModules?: string[];
  /** A logger: `{ debug, info, warn, error }(message, meta)`, or a pino logger (detected by `child` and `level`). */
  logger?: WorkerLogger | PinoLike;
  interceptors?: WorkerInterceptors;
  /**
   * Functions that receive what workflow code hands out through `proxySinks()` (the
   * official SDK's option): `{ [sinkName]: { [functionName]: { fn(info, ...args), callDuringReplay? } } }`.
   * They run on the worker after each activation; calls made while a run replays are
   * dropped unless `callDuringReplay` is true. Tracing's `makeWorkflowExporter` returns one.
   * @default no sinks (the workflow `log` sink is built in)
   * @throws {ConfigError} from `Worker.create`: `ERR_INVALID_OPTION` when a function is not `{ fn }`
   */
  sinks?: InjectedSinks;
  /**
   * Where this worker records Temporal's SDK metrics (`temporal_workflow_completed`,
   * `temporal_worker_task_slots_available`…): `{ registry }` (a prom-client Registry),
   * `{ meterProvider }` (OpenTelemetry) or `{ recorder }`; `false` records none.
   * @default the process-wide metrics of `Runtime.install({ telemetryOptions })` (none unless installed)
   * @throws {ConfigError} `ERR_OPTIONAL_PEER_MISSING` for `registry` without prom-client
   */
  metrics?: MetricsOptions | false;
  /**
   * Serves `/healthz` and `/readyz` for this worker (and `/metrics` when `metrics.registry`
   * is given) on `host:port`. `/readyz` is 200 only while RUNNING with a live connection
   * and a valid client certificate; `/healthz` is 200 unless FAILED or the event loop is
   * wedged (delay over `eventLoopDelayThreshold`). The server is `worker.healthServer`.
   * @default off
   */
  healthServer?: { port?: number; host?: string; eventLoopDelayThreshold?: Duration };
}

/** Interceptors of a worker: workflow modules (bundled with the workflows) and activity inbound factories (the official shape). */
export interface WorkerInterceptors {
  /** Modules exporting `interceptors()`; used when the worker bundles (`workflowsPath`). */
  workflowModules?: string[];
  /** Factories called once per activity attempt with its Context; the first inbound interceptor is outermost. */
  activity?: ActivityInterceptorsFactory[];
}

export interface ActivityExecuteInput {
  args: unknown[];
  /** The headers the workflow's outbound interceptors set on the ScheduleActivityTask command (payloads). */
  headers: Record<string, Payload>;
}

export interface ActivityInboundCallsInterceptor {
  execute?(input: ActivityExecuteInput, next: (input: ActivityExecuteInput) => Promise<unknown>): Promise<unknown>;
}

export type ActivityInterceptorsFactory = (ctx: import('../activity/context').Context) => { inbound?: ActivityInboundCallsInterceptor };

/** The shape of a pino logger: `(mergingObject, message)`. */
export interface PinoLike {
  child(bindings: object): unknown;
  level: string;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Bastion calls loggers as `(message, meta)`; pino takes `(meta, message)`. */
export function adaptLogger(l: WorkerLogger | PinoLike): WorkerLogger {
  const pino = l as PinoLike;
  if (typeof pino.child === 'function' && typeof pino.level === 'string') {
    return {
      debug: (m, meta) => pino.debug(meta ?? {}, m),
      info: (m, meta) => pino.info(meta ?? {}, m),
      warn: (m, meta) => pino.warn(meta ?? {}, m),
      error: (m, meta) => pino.error(meta ?? {}, m),
    };
  }
  return l as WorkerLogger;
}

export interface CompiledWorkerOptions {
  connection?: Connection;
  namespace: string;
  taskQueue: string;
  workflowsPath?: string;
  workflowBundle?: { code: string } | { codePath: string };
  activities: Record<string, (...args: any[]) => unknown>;
  identity: string;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskPolls: number;
  maxConcurrentWorkflowTaskPolls: number;
  nonStickyToStickyPollRatio: number;
  maxCachedWorkflows: number;
  stickyQueueScheduleToStartTimeoutMs: number;
  shutdownGraceTimeMs: number;
  shutdownForceTimeMs: number;
  shutdownSignals: NodeJS.Signals[];
  activationTimeoutMs: number;
  connectionStallThresholdMs: number;
  workflowThreadPoolSize: number;
  reuseV8Context: boolean;
  /** The data converter's payload converter (the same as `dataConverter.payloadConverter`). */
  payloadConverter?: PayloadConverter;
  dataConverter: DataConverter;
  ignoreModules: string[];
  logger: WorkerLogger;
  workflowInterceptorModules: string[];
  activityInterceptors: ActivityInterceptorsFactory[];
  sinks: InjectedSinks;
  /** The worker's SDK metrics (a no-op recorder when metrics are off). */
  metrics: WorkerMetrics;
  /** The registry of `metrics.registry`, served by `healthServer` at `/metrics`. */
  metricsRegistry?: MetricsOptions['registry'];
  healthServer?: { port: number; host: string; eventLoopDelayThresholdMs: number };
}

function positiveInt(value: number | undefined, name: string, dflt: number, min = 1): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < min) throw invalidOption(name, `must be an integer of at least ${min}; got ${String(value)}.`);
  return value;
}

/** The process-wide logger (`Runtime.install({ logger })`, `BASTION_LOG_LEVEL`), used when `logger` is not given. */
export function stderrLogger(): WorkerLogger {
  return processLogger;
}

/** Every option `Worker.create` takes; anything else is refused (a misspelt or official-only option is never silently ignored). */
export const WORKER_OPTION_KEYS: readonly string[] = Object.keys({
  // A Record over `keyof WorkerOptions`: the compiler keeps this list and the interface in step.
  connection: 1,
  namespace: 1,
  taskQueue: 1,
  workflowsPath: 1,
  workflowBundle: 1,
  activities: 1,
  identity: 1,
  maxConcurrentActivityTaskExecutions: 1,
  maxConcurrentWorkflowTaskExecutions: 1,
  maxConcurrentActivityTaskPolls: 1,
  maxConcurrentWorkflowTaskPolls: 1,
  nonStickyToStickyPollRatio: 1,
  maxCachedWorkflows: 1,
  stickyQueueScheduleToStartTimeout: 1,
  shutdownGraceTime: 1,
  shutdownForceTime: 1,
  shutdownSignals: 1,
  activationTimeout: 1,
  connectionStallThreshold: 1,
  reuseV8Context: 1,
  workflowThreadPoolSize: 1,
  dataConverter: 1,
  ignoreModules: 1,
  logger: 1,
  interceptors: 1,
  sinks: 1,
  metrics: 1,
  healthServer: 1,
} satisfies Record<keyof WorkerOptions, 1>);

/** Options of `@temporalio/worker` that Bastion names differently or does not have, with what to do instead. */
const OFFICIAL_ONLY: Readonly<Record<string, string>> = {
  isolateExecutionTimeout: 'Bastion calls it `activationTimeout` (the limit of one activation of workflow code).',
  bundlerOptions: 'Pass `ignoreModules` directly (or build with `bundleWorkflowCode({ workflowsPath, ignoreModules })`).',
  maxConcurrentLocalActivityExecutions: "Local activities run inside the workflow task on Bastion's worker; they share `maxConcurrentWorkflowTaskExecutions`.",
  enableNonLocalActivities: 'Register no `activities` on a worker that should not run them.',
  debugMode: 'Bastion has no debug mode; raise `activationTimeout` to debug workflow code.',
  maxActivitiesPerSecond: 'Bastion does not rate-limit activities yet.',
  maxTaskQueueActivitiesPerSecond: 'Bastion does not rate-limit activities yet.',
  buildId: 'Bastion does not support worker versioning yet.',
  useVersioning: 'Bastion does not support worker versioning yet.',
  workerDeploymentOptions: 'Bastion does not support worker versioning yet.',
  tuner: 'Set the slots with `maxConcurrentWorkflowTaskExecutions` and `maxConcurrentActivityTaskExecutions`.',
};

export function compileWorkerOptions(o: WorkerOptions): CompiledWorkerOptions {
  if (!o || typeof o !== 'object') throw invalidOption('options', 'must be an object with at least `taskQueue`.');
  for (const key of Object.keys(o)) {
    if (WORKER_OPTION_KEYS.includes(key) || (o as unknown as Record<string, unknown>)[key] === undefined) continue;
    const hint = OFFICIAL_ONLY[key] || `Known options: ${WORKER_OPTION_KEYS.map((k) => `\`${k}\``).join(', ')}.`;
    throw invalidOption(key, `is not a \`Worker.create\` option. ${hint}`);
  }
  if (typeof o.taskQueue !== 'string' || o.taskQueue.length === 0) throw invalidOption('taskQueue', 'is required: the name of the task queue to poll.');
  if (o.workflowsPath && o.workflowBundle) throw new ConfigError('ERR_CONFLICTING_OPTIONS', 'Pass `workflowsPath` or `workflowBundle`, not both.');
  const activities = o.activities ?? {};
  for (const [k, v] of Object.entries(activities)) if (typeof v !== 'function') throw invalidOption(`activities.${k}`, 'must be a function.');
  if (!o.workflowsPath && !o.workflowBundle && Object.keys(activities).length === 0) {
    throw invalidOption('workflowsPath', 'or `workflowBundle` or `activities` is required: a worker with neither workflows nor activities has nothing to do.');
  }
  const maxWft = positiveInt(o.maxConcurrentWorkflowTaskExecutions, 'maxConcurrentWorkflowTaskExecutions', DEFAULT_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS, 2);
  const maxAct = positiveInt(o.maxConcurrentActivityTaskExecutions, 'maxConcurrentActivityTaskExecutions', DEFAULT_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS);
  const ratio = o.nonStickyToStickyPollRatio ?? DEFAULT_NON_STICKY_TO_STICKY_POLL_RATIO;
  if (!(ratio > 0 && ratio <= 1)) throw invalidOption('nonStickyToStickyPollRatio', 'must be greater than 0 and at most 1.');
  const grace = parseDuration(o.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME_MS, 'shutdownGraceTime');
  const force = parseDuration(o.shutdownForceTime ?? Math.max(DEFAULT_SHUTDOWN_FORCE_TIME_MS, grace + 5000), 'shutdownForceTime');
  const hasWorkflows = Boolean(o.workflowsPath || o.workflowBundle);
  for (const name of ['payloadConverter', 'protobufRoot'] as const) {
    if (hasWorkflows && o.dataConverter?.[name] !== undefined) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        `\`dataConverter.${name}\` cannot be used with \`${o.workflowsPath ? 'workflowsPath' : 'workflowBundle'}\`: workflow code runs in a sandbox that cannot share objects with the worker, so workflows would convert payloads with the default converter. Export the converter as \`payloadConverter\` from a module of its own${name === 'protobufRoot' ? ' (`createDefaultPayloadConverter({ protobufRoot })`)' : ''} and pass \`dataConverter: { payloadConverterPath: require.resolve('./payload-converter') }\`.`,
      );
    }
  }
  const dataConverter = loadDataConverter(o.dataConverter);
  if (force < grace)
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`shutdownForceTime\` (${force} ms) must not be shorter than \`shutdownGraceTime\` (${grace} ms).`);
  return {
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue,
    workflowsPath: o.workflowsPath,
    workflowBundle: o.workflowBundle,
    activities,
    identity: o.identity ?? `${process.pid}@${os.hostname()}`,
    maxConcurrentActivityTaskExecutions: maxAct,
    maxConcurrentWorkflowTaskExecutions: maxWft,
    maxConcurrentActivityTaskPolls: positiveInt(o.maxConcurrentActivityTaskPolls, 'maxConcurrentActivityTaskPolls', Math.min(10, maxAct)),
    maxConcurrentWorkflowTaskPolls: positiveInt(o.maxConcurrentWorkflowTaskPolls, 'maxConcurrentWorkflowTaskPolls', Math.min(10, maxWft), 2),
    nonStickyToStickyPollRatio: ratio,
    maxCachedWorkflows: positiveInt(o.maxCachedWorkflows, 'maxCachedWorkflows', DEFAULT_MAX_CACHED_WORKFLOWS, 0),
    stickyQueueScheduleToStartTimeoutMs: parseDuration(
      o.stickyQueueScheduleToStartTimeout ?? DEFAULT_STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT_MS,
      'stickyQueueScheduleToStartTimeout',
    ),
    shutdownGraceTimeMs: grace,
    shutdownForceTimeMs: force,
    shutdownSignals: o.shutdownSignals ?? DEFAULT_SHUTDOWN_SIGNALS,
    activationTimeoutMs: parseDuration(o.activationTimeout ?? DEFAULT_ACTIVATION_TIMEOUT_MS, 'activationTimeout'),
    connectionStallThresholdMs: parsePositiveDuration(o.connectionStallThreshold ?? DEFAULT_CONNECTION_STALL_THRESHOLD_MS, 'connectionStallThreshold'),
    workflowThreadPoolSize: positiveInt(
      o.workflowThreadPoolSize,
      'workflowThreadPoolSize',
      o.workflowThreadPoolSize === undefined ? defaultThreadPoolSize() : DEFAULT_WORKFLOW_THREAD_POOL_SIZE,
      0,
    ),
    reuseV8Context: booleanOption(o.reuseV8Context, 'reuseV8Context', true),
    payloadConverter: dataConverter.payloadConverter,
    dataConverter,
    ignoreModules: o.ignoreModules ?? [],
    // Every record of this worker names its namespace and task queue (activities and workflow runs add theirs).
    logger: withLogFields(o.logger ? adaptLogger(o.logger) : stderrLogger(), {
      sdkComponent: 'worker',
      namespace: o.namespace ?? 'default',
      taskQueue: o.taskQueue,
    }),
    workflowInterceptorModules: o.interceptors?.workflowModules ?? [],
    activityInterceptors: compileActivityInterceptors(o.interceptors?.activity),
    sinks: validateSinks(o.sinks),
    metrics: new WorkerMetrics(compileMetricsOption(o.metrics, 'metrics'), o.namespace ?? 'default', o.taskQueue),
    metricsRegistry: o.metrics ? o.metrics.registry : undefined,
    healthServer: compileHealthServer(o.healthServer),
  };
}

function compileHealthServer(h: WorkerOptions['healthServer']): CompiledWorkerOptions['healthServer'] {
  if (h === undefined) return undefined;
  if (typeof h !== 'object' || h === null) throw invalidOption('healthServer', 'must be `{ port, host? }`, e.g. `{ port: 9464, host: "0.0.0.0" }`.');
  for (const k of Object.keys(h))
    if (!['port', 'host', 'eventLoopDelayThreshold'].includes(k))
      throw invalidOption(`healthServer.${k}`, 'is not an option; known: `port`, `host`, `eventLoopDelayThreshold`.');
  const port = h.port ?? 9464;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidOption('healthServer.port', `must be a port number 0-65535 (0 picks a free one); got ${String(h.port)}.`);
  if (h.host !== undefined && (typeof h.host !== 'string' || h.host === '')) throw invalidOption('healthServer.host', 'must be a host name or IP address.');
  return {
    port,
    host: h.host ?? '127.0.0.1',
    eventLoopDelayThresholdMs:
      h.eventLoopDelayThreshold === undefined
        ? DEFAULT_EVENT_LOOP_DELAY_THRESHOLD_MS
        : parseDuration(h.eventLoopDelayThreshold, 'healthServer.eventLoopDelayThreshold'),
  };
}

function compileActivityInterceptors(factories: unknown): ActivityInterceptorsFactory[] {
  if (factories === undefined) return [];
  if (!Array.isArray(factories)) throw invalidOption('interceptors.activity', 'must be an array of factories `(ctx) => ({ inbound })`.');
  factories.forEach((f, i) => {
    if (typeof f !== 'function') throw invalidOption(`interceptors.activity[${i}]`, 'must be a function `(ctx) => ({ inbound })`.');
  });
  return factories as ActivityInterceptorsFactory[];
}
