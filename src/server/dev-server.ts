/**
 * The embedded development server: Temporal's WorkflowService over grpc-js, with
 * optional TLS / mutual TLS and optional SQLite persistence. For development and CI;
 * production runs on Temporal Server or Temporal Cloud.
 */
import { createPrometheusRecorder } from '../observability/prometheus-recorder';
import { compileMetricsFormat } from '../observability/metrics-options';
import { ObservabilityServer } from '../observability/observability-server';
import { recordCertificate, type ForgettingRecorder } from '../observability/connectivity-metrics';
import type { ProbeResult } from '../observability/health';
import { inspectCertificate } from '../../certs/inspect';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, ServerError, booleanOption, invalidOption } from '../common/errors';
import { HEALTH_SERVICE_NAME } from '../common/proto';
import { Engine } from './engine';
import { registerRunHooks } from './run-timers';
import { workflowServiceFor } from './service';
import { MemoryStore, type Store } from './store/store';
import { SqliteStore } from './store/sqlite-store';
import { closeScheduler, startScheduler } from './schedules/schedule-api';
import { consoleLogger, type Logger, type LogLevel } from './logger';
import { rejectAllQueries } from './queries';
import { unavailable } from './service-error';
import { compileApiKeys, type DevServerApiKey } from './api-keys';
import { describePathInput, INSPECT_CUSTOM, redact, redactedCause, redactedInspect } from '../common/redact';
import { checkServerTlsMaterial, ServerTlsProvider, type ServerTlsMaterial } from './tls-provider';
import { watchTlsRefusals } from './tls-refusals';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, guardConnections } from './connection-guard';
import { MAX_NAMESPACE_LENGTH } from './input-limits';
import { parseDuration } from '../common/duration';
import { RealClock, TimeSkippingClock, type ServerClock } from './clock';
import { testServiceFor } from './test-service';
import { unaryService } from './unary-service';

registerRunHooks();

/** @default '127.0.0.1' */
export const DEFAULT_DEV_SERVER_IP = '127.0.0.1';
/** @default 7233 */
export const DEFAULT_DEV_SERVER_PORT = 7233;
/** Temporal's `limit.blobSize.error`. @default 2 MiB */
export const DEFAULT_BLOB_SIZE_LIMIT_BYTES = 2 * 1024 * 1024;
export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './connection-guard';
/** Largest gRPC message accepted (Temporal's is 4 MB). @default 4 MiB */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** PEM text or bytes, or a path to a PEM file. */
export type PemSource = string | Buffer;

export interface DevServerTlsOptions {
  /** Server certificate chain (PEM or file path). */
  cert: PemSource;
  /** Server private key (PEM or file path). */
  key: PemSource;
  /** CA bundle that client certificates must chain to; makes mTLS mandatory. May hold several CAs. */
  clientCa?: PemSource;
}

export interface DevServerOptions {
  /** @default '127.0.0.1' */
  ip?: string;
  /** 0 picks a free port. @default 0 from `DevServer.start`, 7233 from the CLI */
  port?: number;
  /** SQLite file for durable state; in memory when absent. */
  dbFilename?: string;
  /** Namespaces to create besides `default`. */
  namespaces?: string[];
  tls?: DevServerTlsOptions;
  /** @default 'warn' (refused TLS handshakes are logged at `warn`, so they show by default) */
  logLevel?: LogLevel;
  logger?: Logger;
  /** @default 2 MiB */
  blobSizeLimitBytes?: number;
  /**
   * Require `authorization: Bearer <key>` on every WorkflowService call, as Temporal Cloud
   * does: an unknown key is UNAUTHENTICATED, a key not granted the call's namespace is
   * PERMISSION_DENIED. A task-token call acts on the namespace sealed inside its token
   * (see docs/dev-server.md, "Authorisation of each call"). @default undefined (no key needed)
   */
  apiKeys?: DevServerApiKey[];
  /**
   * Eager activity execution: a ScheduleActivityTask command with
   * `requestEagerExecution` on the workflow's own task queue is started at once and
   * returned in the RespondWorkflowTaskCompleted response (at most 3 per response) instead
   * of waiting for an activity poll, as Temporal Server does with
   * `system.enableActivityEagerExecution`. Saves a poll per activity for workers that ask
   * (Bastion's and the official one). @default true
   */
  eagerActivityExecution?: boolean;
  /**
   * A connection that has not completed its TLS handshake and started HTTP/2 (preface and
   * SETTINGS) within this is closed, so silent or slow-loris clients cannot hold sockets.
   * A duration (`'10s'`) or milliseconds. @default 10 s (`DEFAULT_HANDSHAKE_TIMEOUT_MS`)
   */
  handshakeTimeout?: string | number;
  /**
   * Time skipping, as Temporal's test server: a virtual clock that jumps to the next
   * timer, timeout or retry whenever time skipping is unlocked and no workflow or activity
   * task is outstanding, and Temporal's `TestService` (lock, unlock, sleep, current time)
   * beside the WorkflowService. Starts locked (count 1), as the test server does.
   * @default false (wall-clock time, no TestService)
   */
  timeSkipping?: boolean;
  /**
   * Serve `/metrics` (the dev server's RPC counts and latencies, tasks dispatched, backlog
   * per task queue, its certificate's `x509_cert_not_after`) and `/healthz`, `/readyz` on
   * this port (0 picks a free one; see `metricsAddress`). Needs the optional peer `prom-client`.
   * @default undefined (off)
   */
  metricsPort?: number;
  /** Host of the metrics server. @default the server's `ip` */
  metricsHost?: string;
}

interface CompiledOptions {
  ip: string;
  port: number;
  dbFilename?: string;
  namespaces: string[];
  tls?: ServerTlsMaterial;
  logger: Logger;
  blobSizeLimitBytes: number;
  checkApiKey: ReturnType<typeof compileApiKeys>;
  eagerActivityExecution: boolean;
  handshakeTimeoutMs: number;
  timeSkipping: boolean;
  metrics?: { port: number; host: string };
}

function readPem(source: PemSource, option: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(source)) bytes = source;
  else if (typeof source === 'string' && source.includes('-----BEGIN')) bytes = Buffer.from(source);
  else if (typeof source === 'string' && source.length > 0) {
    try {
      bytes = fs.readFileSync(source);
    } catch (err) {
      throw new ConfigError(
        'ERR_TLS_CONFIG',
        `\`${option}\` could not be read from file ${/[\r\n]/.test(source) || source.length > 4096 ? describePathInput(source) : redact(source)}: ${(err as NodeJS.ErrnoException).code ?? redact((err as Error).message)}. Pass PEM text or a readable file path.`,
        { cause: redactedCause(err) },
      );
    }
  } else throw invalidOption(option, 'must be PEM text, a Buffer, or a file path.');
  const text = bytes.toString();
  const ok = kind === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/.test(text) : /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/.test(text);
  if (!ok) throw new ConfigError('ERR_TLS_CONFIG', `\`${option}\` does not hold a PEM ${kind.toLowerCase()} (no "-----BEGIN ${kind}-----" block).`);
  return bytes;
}

function compileTls(t: DevServerTlsOptions): ServerTlsMaterial {
  if (typeof t !== 'object' || t === null) throw invalidOption('tls', 'must be an object `{ cert, key, clientCa? }`.');
  if (!t.cert || !t.key) throw new ConfigError('ERR_CONFLICTING_OPTIONS', '`tls.cert` and `tls.key` go together: pass both (CLI: --tls-cert and --tls-key).');
  const material = {
    cert: readPem(t.cert, 'tls.cert', 'CERTIFICATE'),
    key: readPem(t.key, 'tls.key', 'PRIVATE KEY'),
    ...(t.clientCa ? { clientCa: readPem(t.clientCa, 'tls.clientCa', 'CERTIFICATE') } : {}),
  };
  checkServerTlsMaterial(material);
  return material;
}

function compile(o: DevServerOptions): CompiledOptions {
  const ip = o.ip ?? DEFAULT_DEV_SERVER_IP;
  if (typeof ip !== 'string' || ip.length === 0) throw invalidOption('ip', 'must be an IP address such as 127.0.0.1.');
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidOption('port', `must be an integer from 0 to 65535, got ${String(port)}.`);
  const namespaces = o.namespaces ?? [];
  for (const ns of namespaces)
    if (typeof ns !== 'string' || !ns || ns.length > MAX_NAMESPACE_LENGTH)
      throw invalidOption('namespaces', `must be a list of non-empty names of at most ${MAX_NAMESPACE_LENGTH} characters.`);
  const eager = booleanOption(o.eagerActivityExecution, 'eagerActivityExecution', true);
  const blob = o.blobSizeLimitBytes ?? DEFAULT_BLOB_SIZE_LIMIT_BYTES;
  if (!Number.isInteger(blob) || blob <= 0) throw invalidOption('blobSizeLimitBytes', 'must be a positive integer.');
  const handshakeTimeoutMs = o.handshakeTimeout === undefined ? DEFAULT_HANDSHAKE_TIMEOUT_MS : parseDuration(o.handshakeTimeout, 'handshakeTimeout');
  if (handshakeTimeoutMs <= 0) throw invalidOption('handshakeTimeout', 'must be a positive duration such as "10s".');
  const tls = o.tls ? compileTls(o.tls) : undefined;
  return {
    ip,
    port,
    dbFilename: o.dbFilename,
    namespaces,
    tls,
    logger: o.logger ?? consoleLogger(o.logLevel),
    blobSizeLimitBytes: blob,
    checkApiKey: compileApiKeys(o.apiKeys),
    eagerActivityExecution: eager,
    handshakeTimeoutMs,
    timeSkipping: booleanOption(o.timeSkipping, 'timeSkipping', false),
    metrics: compileMetricsServer(o, ip),
  };
}

function compileMetricsServer(o: DevServerOptions, ip: string): CompiledOptions['metrics'] {
  if (o.metricsPort === undefined) return undefined;
  if (!Number.isInteger(o.metricsPort) || o.metricsPort < 0 || o.metricsPort > 65535)
    throw invalidOption('metricsPort', `must be an integer from 0 to 65535, got ${String(o.metricsPort)}.`);
  const host = o.metricsHost ?? ip;
  if (typeof host !== 'string' || host === '') throw invalidOption('metricsHost', 'must be a host name or IP address.');
  return { port: o.metricsPort, host };
}

/** `x509_cert_not_after`/`_not_before` of the server's certificate; a new one replaces the previous one's series. */
function recordServerCertificate(material: ServerTlsMaterial, recorder: ForgettingRecorder): void {
  const info = inspectCertificate(material.cert).certificates[0];
  if (info) recordCertificate(info, 'server', 'dev-server', recorder);
}

/** The dev server's recorder and its `/metrics` server. */
async function startMetrics(o: CompiledOptions, engine: Engine, material: ServerTlsMaterial | undefined) {
  if (!o.metrics) return undefined;
  // The server is not an SDK: no Core `service_name` label.
  const format = compileMetricsFormat({ attachServiceName: false }, 'metricsPort');
  const recorder = createPrometheusRecorder(format, undefined, 'metricsPort');
  engine.matching.observer = {
    dispatched: (namespace, kind, name) => recorder.count('bastion_dev_server_tasks_dispatched', { namespace, task_queue: name, task_type: kind }),
    backlog: (namespace, kind, name, size) => recorder.gauge('bastion_dev_server_task_backlog', { namespace, task_queue: name, task_type: kind }, size),
  };
  if (material) recordServerCertificate(material, recorder);
  const up = (): ProbeResult => ({ status: 200, body: { status: 'ok', reasons: [], checks: {} } });
  const server = await ObservabilityServer.start({
    host: o.metrics.host,
    port: o.metrics.port,
    registry: recorder.registry,
    option: 'metricsPort',
    probes: {
      liveness: up,
      readiness: () => (engine.closed ? { status: 503, body: { status: 'unavailable', reasons: ['dev server closing'], checks: {} } } : up()),
    },
  });
  return { recorder, server };
}

export class DevServer {
  private closing?: Promise<void>;
  // True private fields: the gRPC server (its TLS context holds the private key), the
  // engine (every payload) and the TLS material never show in util.inspect, whatever its options.
  readonly #server: grpc.Server;
  readonly #engine: Engine;
  readonly #tlsProvider: ServerTlsProvider | undefined;
  readonly #logger: Logger;
  readonly #apiKeys: boolean;
  #metricsServer: ObservabilityServer | undefined;
  #metricsRecorder: ForgettingRecorder | undefined;

  /** `host:port` of the `/metrics` server (`metricsPort`), or undefined when off. */
  get metricsAddress(): string | undefined {
    return this.#metricsServer?.address;
  }

  private constructor(
    /** `host:port` to connect to. */
    readonly address: string,
    readonly port: number,
    readonly tls: boolean,
    server: grpc.Server,
    engine: Engine,
    tlsProvider: ServerTlsProvider | undefined,
    logger: Logger,
    apiKeys: boolean,
  ) {
    this.#server = server;
    this.#engine = engine;
    this.#tlsProvider = tlsProvider;
    this.#logger = logger;
    this.#apiKeys = apiKeys;
  }

  /**
   * The server's clock: wall time, or with `timeSkipping` a `TimeSkippingClock` whose
   * `lock()`, `unlock()`, `sleepUntil()` and `now()` are what the TestService serves.
   */
  get clock(): ServerClock {
    return this.#engine.clock;
  }

  /** True when started with `timeSkipping`. */
  get timeSkipping(): boolean {
    return this.#engine.clock.timeSkipping;
  }

  /** What `util.inspect` and `JSON.stringify` show: address and modes, never keys or payloads. */
  toJSON(): object {
    return { address: this.address, tls: this.tls, mtls: this.#tlsProvider?.mutual ?? false, apiKeys: this.#apiKeys ? '[redacted]' : undefined };
  }

  [INSPECT_CUSTOM](depth: number, options: unknown, inspect: unknown): string {
    return redactedInspect('DevServer', this.toJSON(), depth, options, inspect);
  }

  /**
   * Counters for tests and tuning: activity attempts started since the server started,
   * by how they reached a worker (an activity poll, or eagerly with a workflow task's
   * completion).
   */
  stats(): { activityTasksByPoll: number; activityTasksEager: number } {
    return { activityTasksByPoll: this.#engine.activityStarts.byPoll, activityTasksEager: this.#engine.activityStarts.eager };
  }

  /**
   * Replaces the server certificate and, for mTLS, the client-CA bundle without a
   * restart: new handshakes use the new material, open connections carry on. The
   * material is checked first (certificates parse, the key belongs to the certificate,
   * not expired); mutual TLS cannot be switched on or off this way. With `metricsPort`,
   * the certificate gauges move to the new certificate.
   *
   * ```ts
   * server.setTlsConfig({ cert: 'server-2.pem', key: 'server-2.key', clientCa: 'old-and-new-ca.pem' });
   * ```
   * @throws {ConfigError} `ERR_TLS_CONFIG` or `ERR_CONFLICTING_OPTIONS`; the old material stays in force
   */
  setTlsConfig(tls: DevServerTlsOptions): void {
    if (!this.#tlsProvider)
      throw new ConfigError('ERR_CONFLICTING_OPTIONS', 'The dev server was started without TLS; `setTlsConfig` cannot turn it on. Restart it with `tls`.');
    const material = compileTls(tls);
    if (!!material.clientCa !== this.#tlsProvider.mutual) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        this.#tlsProvider.mutual
          ? 'The dev server requires client certificates; the new settings must keep `tls.clientCa` (it may hold several CAs during a CA rotation).'
          : 'The dev server was started without `tls.clientCa`; mutual TLS cannot be switched on without a restart.',
      );
    }
    this.#tlsProvider.update(material);
    if (this.#metricsRecorder) recordServerCertificate(material, this.#metricsRecorder);
    this.#logger.info('dev server TLS material replaced', { address: this.address, mtls: this.#tlsProvider.mutual });
  }

  /** Starts a dev server; resolves once it listens. @throws ServerError ERR_SERVER_START */
  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    const o = compile(options);
    const store: Store = o.dbFilename ? new SqliteStore(o.dbFilename) : new MemoryStore();
    const engine = new Engine({
      store,
      namespaces: o.namespaces,
      blobSizeLimitBytes: o.blobSizeLimitBytes,
      logger: o.logger,
      eagerActivityExecution: o.eagerActivityExecution,
      clock: o.timeSkipping ? new TimeSkippingClock({ locked: true }) : new RealClock(),
    });
    startScheduler(engine, o.dbFilename);
    const server = new grpc.Server({
      'grpc.max_receive_message_length': DEFAULT_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': 128 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
    });
    let metrics: Awaited<ReturnType<typeof startMetrics>>;
    try {
      metrics = await startMetrics(o, engine, o.tls);
    } catch (err) {
      engine.close();
      throw err;
    }
    const svc = workflowServiceFor(engine, o.checkApiKey, metrics?.recorder);
    server.addService(svc.definition, svc.implementation);
    addHealthService(server);
    if (engine.clock instanceof TimeSkippingClock) {
      const test = testServiceFor(engine.clock, o.logger);
      server.addService(test.definition, test.implementation);
    }
    const tlsProvider = o.tls ? new ServerTlsProvider(o.tls) : undefined;
    const creds = tlsProvider ? tlsProvider.credentials() : grpc.ServerCredentials.createInsecure();
    const host = o.ip.includes(':') ? `[${o.ip}]` : o.ip;
    let port: number;
    try {
      // A busy port fails here with a plain EADDRINUSE, before grpc-js logs its own line about it.
      if (o.port !== 0) await probeListen(o.ip, o.port);
      port = await new Promise<number>((resolve, reject) => server.bindAsync(`${host}:${o.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));
    } catch (err) {
      closeScheduler(engine);
      engine.close();
      await metrics?.server.close();
      // grpc-js wraps the listen error in "No address added out of total 1 resolved errors: [...]".
      const inUse = /EADDRINUSE/.test((err as Error).message);
      const why = inUse ? 'the address is already in use (EADDRINUSE); another process listens there' : (err as Error).message;
      throw new ServerError(
        'ERR_SERVER_START',
        `The dev server could not listen on ${host}:${o.port}: ${why}. Pick another \`port\`, or 0 for any free port.`,
        { cause: err },
      );
    }
    if (o.tls) watchTlsRefusals(server, o.logger);
    guardConnections(server, o.handshakeTimeoutMs, o.logger);
    o.logger.info('dev server started', {
      address: `${host}:${port}`,
      tls: !!o.tls,
      mtls: !!o.tls?.clientCa,
      apiKeys: !!o.checkApiKey,
      db: o.dbFilename ?? ':memory:',
      timeSkipping: o.timeSkipping,
    });
    const dev = new DevServer(`${host}:${port}`, port, !!o.tls, server, engine, tlsProvider, o.logger, !!o.checkApiKey);
    dev.#metricsServer = metrics?.server;
    dev.#metricsRecorder = metrics?.recorder;
    return dev;
  }

  /** Stops the server: answers waiting polls, closes connections and the database. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      rejectAllQueries(this.#engine, unavailable('the Bastion dev server is shutting down'));
      closeScheduler(this.#engine);
      this.#engine.close();
      await this.#metricsServer?.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.#server.forceShutdown();
          resolve();
        }, 2000);
        this.#server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function addHealthService(server: grpc.Server): void {
  const health = unaryService(
    HEALTH_SERVICE_NAME,
    (_, bytes) => bytes,
    () => (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { status: 1 }),
    ['Check'],
  );
  server.addService(health.definition, health.implementation);
}

/** Binds and releases `ip:port`, so a busy port is reported as EADDRINUSE without grpc-js's log line. */
function probeListen(ip: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host: ip, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
