/**
 * Bastion's Worker: polls a task queue, runs workflow tasks in sandboxes and activities
 * in plain Node, and shuts down on a timeline users can reason about.
 */
import * as fs from 'node:fs';
import { setMaxListeners } from 'node:events';
import { ConfigError, ConnectionError } from '../common/errors';
import { Connection } from '../connection';
import { bundleWorkflowCodeInThread } from './bundle-in-thread';
import { WorkflowSandboxes } from './sandbox';
import { ThreadSandboxes } from './sandbox/thread-sandboxes';
import { compileWorkerOptions, type CompiledWorkerOptions, type WorkerOptions } from './worker-options';
import { checkBundlePayloadConverter } from './bundle-inspect';
import { WorkerStateMachine, type WorkerState } from './worker-state';
import { WorkflowTaskProcessor, type SandboxFactory } from './workflow-tasks';
import { ActivityTaskProcessor } from './activity-tasks';
import { Semaphore } from './semaphore';
import type { StickyCacheStats } from './worker-state';
import type { SandboxCaller } from '../engine/run-driver';
import { ConnectionStallWatch, type ConnectionStallStatus } from './connection-stall';
import { backoffMs } from '../connection/retry-policy';
import { runReplayHistories, runReplayHistory, type ReplayableHistory, type ReplayOptions, type ReplayResult } from './replay';
import { healthSources, type HealthSource } from '../observability/health';
import { ObservabilityServer } from '../observability/observability-server';
import { processRegistry } from '../observability/runtime-telemetry';

/** gRPC statuses that end a worker (configuration is wrong), as opposed to retrying. */
const FATAL_POLL_STATUSES = new Set([3, 5, 7, 12, 16]); // INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED
const DEADLINE_EXCEEDED = 4;

export interface WorkerStatus extends ConnectionStallStatus {
  state: WorkerState;
  pollers: { workflow: number; sticky: number; activity: number };
  inFlight: { workflowTasks: number; activities: number };
  cachedWorkflows: number;
  /** The sticky cache's counters (hits, misses, evictions); absent on an activity-only worker. */
  stickyCache?: StickyCacheStats;
}

export class Worker {
  private readonly machine: WorkerStateMachine;
  private readonly pollAbort = new AbortController();
  private readonly pollers = { workflow: 0, sticky: 0, activity: 0 };
  private readonly workflows?: WorkflowTaskProcessor;
  private readonly activities?: ActivityTaskProcessor;
  private runPromise?: Promise<void>;
  private shutdownPromise?: Promise<void>;
  private fatal?: Error;
  private signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  private readonly stall: ConnectionStallWatch;
  /** What the probes read: state, connection, certificate. */
  private readonly health: HealthSource;
  /** The server of the `healthServer` option: `/healthz`, `/readyz` (and `/metrics` with `metrics.registry`). */
  healthServer?: ObservabilityServer;

  private constructor(
    readonly options: CompiledWorkerOptions,
    readonly connection: Connection,
    private readonly ownsConnection: boolean,
    private readonly sandboxes: (SandboxFactory & { close(): Promise<void> }) | undefined,
  ) {
    // Every poller listens on the one abort signal.
    setMaxListeners(1000, this.pollAbort.signal);
    this.stall = new ConnectionStallWatch(connection, options.connectionStallThresholdMs, options.logger, { taskQueue: options.taskQueue });
    this.machine = new WorkerStateMachine((from, to) => {
      options.logger.info(`worker state ${from} -> ${to}`, { taskQueue: options.taskQueue, identity: options.identity });
      // A stopped worker leaves the process-wide probes; a FAILED one stays, so /healthz answers 503.
      if (to === 'STOPPED') healthSources.delete(this.health);
    });
    this.health = {
      name: `worker:${options.taskQueue}`,
      state: () => this.machine.state,
      connectionLive: () => {
        if (this.connection.state !== 'open') return { live: false, reason: `connection ${this.connection.state}` };
        if (this.stall.status().connectionStalled) return { live: false, reason: 'no call has succeeded within `connectionStallThreshold`' };
        const channel = this.connection.health().channelState;
        return channel === 'TRANSIENT_FAILURE' || channel === 'SHUTDOWN' ? { live: false, reason: `channel ${channel}` } : { live: true };
      },
      certificate: () => this.connection.tlsInfo(),
    };
    healthSources.add(this.health);
    options.metrics.workerStarted();
    if (Object.keys(options.activities).length > 0) this.activities = new ActivityTaskProcessor(options, connection);
    const local = this.activities;
    if (sandboxes)
      this.workflows = new WorkflowTaskProcessor(options, connection, sandboxes, local ? (r, run, signal) => local.runLocal(r, run, signal) : undefined);
  }

  /**
   * Validates options, checks that the server and the namespace answer, and bundles the
   * workflow code (with `dataConverter.payloadConverterPath`), or checks that a prebuilt
   * `workflowBundle` was built with the same payload converter.
   * @throws ConfigError / ConnectionError / BundleError naming what is wrong
   */
  static async create(options: WorkerOptions): Promise<Worker> {
    const o = compileWorkerOptions(options);
    const ownsConnection = !o.connection;
    const connection = o.connection ?? (await Connection.connect());
    const certificate = connection.tlsInfo();
    if (certificate && certificate.notAfter.getTime() <= Date.now()) {
      if (ownsConnection) await connection.close();
      throw new ConnectionError(
        'ERR_TLS_CERT_EXPIRED',
        `Worker.create: the connection's client certificate (subject ${certificate.subject}, fingerprint ${certificate.fingerprint256}) expired on ${certificate.notAfter.toISOString()}. Rotate it with \`connection.setTlsConfig\` or \`watchCertificateFiles\`, then create the worker.`,
      );
    }
    try {
      await connection.workflowService.describeNamespace({ namespace: o.namespace }, { timeout: 10_000 });
    } catch (err) {
      if (ownsConnection) await connection.close();
      const code = (err as { code?: number }).code;
      if (code === 5)
        throw new ConfigError(
          'ERR_INVALID_OPTION',
          `\`namespace\` "${o.namespace}" was not found on ${connection.address}. Create it, or pass the right namespace.`,
          { cause: err },
        );
      throw new ConnectionError('ERR_CONNECT_FAILED', `Worker.create could not reach the server at ${connection.address}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let sandboxes: (SandboxFactory & { close(): Promise<void> }) | undefined;
    try {
      sandboxes = await loadSandboxes(o);
    } catch (err) {
      if (ownsConnection) await connection.close();
      throw err;
    }
    const worker = new Worker(o, connection, ownsConnection, sandboxes);
    if (o.healthServer) {
      try {
        worker.healthServer = await ObservabilityServer.start({
          ...o.healthServer,
          // The worker's own registry, else the process-wide one of `Runtime.install` (when the worker records there).
          registry: o.metricsRegistry ?? (options.metrics === undefined ? processRegistry() : undefined),
          sources: () => [worker.health],
          option: 'healthServer',
        });
      } catch (err) {
        await worker.shutdown();
        throw err;
      }
    }
    return worker;
  }

  /** Replays one history with this workflow code; rejects with a DeterminismError if the code changed incompatibly. */
  static runReplayHistory(options: ReplayOptions, history: ReplayableHistory, workflowId?: string): Promise<void> {
    return runReplayHistory(options, history, workflowId);
  }

  /** Replays many histories with one bundle, yielding a result (with `error` on failure) for each. */
  static runReplayHistories(options: ReplayOptions, histories: Iterable<ReplayableHistory> | AsyncIterable<ReplayableHistory>): AsyncIterable<ReplayResult> {
    return runReplayHistories(options, histories);
  }

  getState(): WorkerState {
    return this.machine.state;
  }

  getStatus(): WorkerStatus {
    return {
      state: this.machine.state,
      pollers: { ...this.pollers },
      inFlight: { workflowTasks: this.workflows?.inFlight ?? 0, activities: this.activities?.inFlight ?? 0 },
      cachedWorkflows: this.workflows?.cache.size ?? 0,
      stickyCache: this.workflows?.cache.stats(),
      ...this.stall.status(),
    };
  }

  /** Polls until shutdown. Resolves when STOPPED; rejects with the error when FAILED. */
  run(): Promise<void> {
    this.machine.require(['INITIALIZED'], 'run');
    // Handlers first: whoever sees the RUNNING log line may signal at once.
    this.installSignalHandlers();
    this.machine.transition('RUNNING');
    this.stall.start();
    const o = this.options;
    const loops: Promise<void>[] = [];
    const metrics = o.metrics;
    if (this.workflows) {
      const wfSlots = new Semaphore(o.maxConcurrentWorkflowTaskExecutions);
      if (metrics.enabled) {
        wfSlots.onChange = (used, size) => metrics.slots('WorkflowWorker', used, size);
        metrics.slots('WorkflowWorker', 0, wfSlots.size);
      }
      const normal = Math.max(1, Math.round(o.maxConcurrentWorkflowTaskPolls * o.nonStickyToStickyPollRatio));
      const sticky = o.maxCachedWorkflows > 0 ? Math.max(1, o.maxConcurrentWorkflowTaskPolls - normal) : 0;
      for (let i = 0; i < normal; i++) loops.push(this.pollLoop('workflow', o.taskQueue, wfSlots));
      for (let i = 0; i < sticky; i++) loops.push(this.pollLoop('sticky', this.workflows.stickyQueue, wfSlots));
    }
    if (this.activities) {
      const actSlots = new Semaphore(o.maxConcurrentActivityTaskExecutions);
      if (metrics.enabled) {
        actSlots.onChange = (used, size) => metrics.slots('ActivityWorker', used, size);
        metrics.slots('ActivityWorker', 0, actSlots.size);
      }
      for (let i = 0; i < o.maxConcurrentActivityTaskPolls; i++) loops.push(this.pollLoop('activity', o.taskQueue, actSlots));
      if (this.workflows) {
        // Eager activity execution: activities the server hands back with a workflow
        // task's completion run here at once, on a slot reserved before asking.
        const activities = this.activities;
        this.workflows.eagerActivities = {
          tryReserve: () => this.machine.state === 'RUNNING' && actSlots.tryAcquire(),
          release: () => actSlots.release(),
          run: (task) => {
            metrics.activityTaskReceived(task, true);
            const p = activities.handle(task).finally(() => {
              actSlots.release();
              this.inFlightTasks.delete(p);
            });
            this.inFlightTasks.add(p);
          },
        };
      }
    }
    this.pollsEnded = Promise.all(loops).then(() => undefined);
    this.runPromise = (async () => {
      await this.pollsEnded;
      // Polls end on shutdown() or on a fatal error; either way one stopAll() drains.
      this.shutdownPromise ??= this.stopAll();
      await this.shutdownPromise;
      if (this.fatal) throw this.fatal;
    })();
    return this.runPromise;
  }

  /** Resolves when every poll loop has returned (set by run()). */
  private pollsEnded: Promise<void> = Promise.resolve();

  private inFlightTasks = new Set<Promise<void>>();

  private async pollLoop(kind: 'workflow' | 'sticky' | 'activity', queue: string, slots: Semaphore): Promise<void> {
    const signal = this.pollAbort.signal;
    const svc = this.connection.workflowService;
    // Failed polls in a row; the delay before the next follows the connection's retry policy.
    let failures = 0;
    while (!signal.aborted) {
      if (!(await slots.acquire(signal))) break;
      let task: Record<string, any> | undefined;
      this.pollers[kind]++;
      this.options.metrics.pollers(kind, this.pollers[kind]);
      const pollStartedAt = Date.now();
      try {
        const request = {
          namespace: this.options.namespace,
          taskQueue: kind === 'sticky' ? { name: queue, kind: 2, normalName: this.options.taskQueue } : { name: queue, kind: 1 },
          identity: this.options.identity,
        };
        task =
          kind === 'activity'
            ? ((await svc.pollActivityTaskQueue(request as never, { signal })) as unknown as Record<string, any>)
            : ((await svc.pollWorkflowTaskQueue(request as never, { signal })) as unknown as Record<string, any>);
        failures = 0;
      } catch (err) {
        this.pollers[kind]--;
        this.options.metrics.pollers(kind, this.pollers[kind]);
        slots.release();
        if (signal.aborted) break;
        const code = (err as { code?: number }).code;
        if (code !== undefined && FATAL_POLL_STATUSES.has(code)) {
          this.fail(
            new ConnectionError('ERR_CONNECT_FAILED', `Polling task queue ${queue} failed and cannot recover: ${(err as Error).message}`, { cause: err }),
          );
          break;
        }
        // An expired long-poll deadline is routine (the path held the poll past the
        // server's window): poll again at once. One that comes back early (a proxy's own
        // DEADLINE_EXCEEDED) is an ordinary failure, so it cannot spin.
        if (code === DEADLINE_EXCEEDED && Date.now() - pollStartedAt >= this.connection.options.longPollTimeoutMs / 2) continue;
        failures++;
        const meta = { kind, error: (err as Error).message, failures };
        if (failures === 1) this.options.logger.warn('poll failed; retrying', meta);
        else this.options.logger.debug('poll failed again; retrying', meta);
        // Not connected: poll again the moment the connection is back (grpc-js's reconnect
        // backoff is the only wait). Connected but failing: the connection's retry policy.
        if (!(await this.connection.waitForReady({ timeoutMs: 0 }))) {
          await this.connection.waitForReady({ signal, timeoutMs: this.connection.options.retry.maxIntervalMs });
          continue;
        }
        await abortableDelay(backoffMs(failures, this.connection.options.retry), signal);
        continue;
      }
      this.pollers[kind]--;
      const gotTask = task?.taskToken !== undefined && task.taskToken !== null && task.taskToken.length > 0;
      this.options.metrics.pollers(kind, this.pollers[kind]);
      this.options.metrics.polled(kind, gotTask);
      if (gotTask && kind === 'activity') this.options.metrics.activityTaskReceived(task, false);
      if (!gotTask) {
        slots.release();
        continue;
      }
      const p = (kind === 'activity' ? this.activities!.handle(task) : this.workflows!.handle(task)).finally(() => {
        slots.release();
        this.inFlightTasks.delete(p);
      });
      this.inFlightTasks.add(p);
    }
  }

  /**
   * Starts a graceful shutdown: STOPPING (polls end; activities see
   * `workerShutdownSignal`), DRAINING (in-flight work finishes; activities are
   * cancelled after `shutdownGraceTime`), DRAINED (cache evicted), STOPPED.
   *
   * Idempotent: concurrent and repeated calls return the same promise, which resolves
   * once the worker has stopped (or FAILED: `run()` rejects with the cause, this does
   * not). A worker that never ran goes straight to STOPPED and releases what it holds.
   */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    if (this.machine.state === 'INITIALIZED') {
      this.machine.transition('STOPPED');
      this.shutdownPromise = this.releaseResources();
    } else if (this.machine.state === 'RUNNING') {
      this.machine.transition('STOPPING');
      this.shutdownPromise = this.stopAll();
    } else {
      // FAILED before any shutdown began: run() is already draining.
      this.shutdownPromise =
        this.runPromise?.then(
          () => undefined,
          () => undefined,
        ) ?? Promise.resolve();
    }
    return this.shutdownPromise;
  }

  /** `await using worker = await Worker.create(…)`: shuts down and waits until stopped. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
    await this.runPromise?.catch(() => undefined);
  }

  /** Releases what a worker that never ran holds: its sandboxes and the connection it opened. */
  private async releaseResources(): Promise<void> {
    await this.healthServer?.close();
    await this.sandboxes?.close();
    if (this.ownsConnection) await this.connection.close();
  }

  private async stopAll(): Promise<void> {
    const o = this.options;
    const started = Date.now();
    this.activities?.notifyShutdown();
    this.pollAbort.abort();
    this.stall.stop();
    const graceTimer = setTimeout(() => this.activities?.cancelAll(), o.shutdownGraceTimeMs);
    let forced = false;
    let onForced!: () => void;
    const forcedEvent = new Promise<void>((resolve) => (onForced = resolve));
    const forceTimer = setTimeout(() => {
      forced = true;
      onForced();
      void this.activities?.abandonAll();
    }, o.shutdownForceTimeMs);
    try {
      await this.pollsEnded;
      if (this.machine.state === 'STOPPING') this.machine.transition('DRAINING');
      // Tasks that finish add no new ones (polls have ended), but eager activities may
      // join while a completion is in flight: wait again until the set is empty.
      while (this.inFlightTasks.size > 0 && !forced) {
        await Promise.race([Promise.allSettled([...this.inFlightTasks]), forcedEvent]);
      }
      this.workflows?.cache.evictAll();
      await this.sandboxes?.close();
      if (this.machine.state === 'DRAINING') this.machine.transition('DRAINED');
      if (this.workflows && o.maxCachedWorkflows > 0) {
        await this.connection.workflowService
          .shutdownWorker({ namespace: o.namespace, stickyTaskQueue: this.workflows.stickyQueue, identity: o.identity, reason: 'graceful shutdown' } as never, {
            timeout: 5000,
          })
          .catch(() => undefined);
      }
    } finally {
      clearTimeout(graceTimer);
      clearTimeout(forceTimer);
      this.removeSignalHandlers();
    }
    if (this.fatal) {
      if (this.machine.state !== 'FAILED') this.machine.transition('FAILED');
    } else if (this.machine.state === 'DRAINED') {
      this.machine.transition('STOPPED');
    }
    if (this.ownsConnection) await this.connection.close();
    // A FAILED worker keeps answering /healthz with 503 (the server does not hold the process open).
    if (this.machine.state === 'STOPPED') await this.healthServer?.close();
    o.logger.info('worker stopped', { afterMs: Date.now() - started });
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.options.logger.error('worker failed', { error: err.message });
    this.pollAbort.abort();
  }

  /** Runs the worker until `fnOrPromise` settles, then shuts it down; returns its result. */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    let outcome: { ok: true; value: R } | { ok: false; error: unknown };
    try {
      const value = await Promise.race([
        typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise,
        running.then(() => {
          throw new Error('worker stopped before the promise settled');
        }),
      ]);
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error };
    }
    void this.shutdown();
    await running;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  private installSignalHandlers(): void {
    for (const sig of this.options.shutdownSignals) {
      const handler = () => {
        if (this.machine.state === 'RUNNING') {
          this.options.logger.info(`received ${sig}, shutting down (send it again to exit at once)`);
          void this.shutdown();
          return;
        }
        // A second signal: hand it back to Node. With our handlers gone, the re-raised
        // signal gets its default disposition (the process ends) unless the app listens
        // for it itself; the library never calls process.exit.
        this.options.logger.warn(`received ${sig} again while shutting down; leaving it to the process`);
        this.removeSignalHandlers();
        process.kill(process.pid, sig);
      };
      process.on(sig, handler);
      this.signalHandlers.push([sig, handler]);
    }
  }

  private removeSignalHandlers(): void {
    for (const [sig, h] of this.signalHandlers) process.removeListener(sig, h);
    this.signalHandlers = [];
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Bundles `workflowsPath` (with the data converter's `payloadConverterPath`), or loads and
 * checks the prebuilt `workflowBundle`; `undefined` for an activity-only worker.
 * @throws {BundleError} from bundling; {ConfigError} `ERR_CONFLICTING_OPTIONS` for a bundle
 *   built with another payload converter
 */
async function loadSandboxes(o: CompiledWorkerOptions): Promise<(SandboxFactory & { close(): Promise<void> }) | undefined> {
  if (!o.workflowsPath && !o.workflowBundle) return undefined;
  const payloadConverterPath = o.dataConverter.payloadConverterPath;
  let code: string;
  if (o.workflowsPath) {
    // In a thread that exits afterwards: webpack's memory does not stay in the worker.
    code = (
      await bundleWorkflowCodeInThread(
        { workflowsPath: o.workflowsPath, ignoreModules: o.ignoreModules, workflowInterceptorModules: o.workflowInterceptorModules, payloadConverterPath },
        o.logger,
      )
    ).code;
  } else {
    code = 'code' in o.workflowBundle! ? o.workflowBundle.code : fs.readFileSync(o.workflowBundle!.codePath, 'utf8');
    checkBundlePayloadConverter(code, payloadConverterPath, (file) => fs.readFileSync(file, 'utf8'));
  }
  return sandboxFactory(code, o);
}

function sandboxFactory(code: string, o: CompiledWorkerOptions): SandboxFactory & { close(): Promise<void> } {
  if (o.workflowThreadPoolSize > 0) {
    const threads = new ThreadSandboxes(code, o.workflowThreadPoolSize, o.logger, o.dataConverter.encodeCommonAttributes === true, o.reuseV8Context);
    return { create: (): SandboxCaller => threads.create(), close: () => threads.close() };
  }
  const sandboxes = new WorkflowSandboxes(code, {
    logger: o.logger,
    encodeCommonAttributes: o.dataConverter.encodeCommonAttributes === true,
    reuseContexts: o.reuseV8Context,
  });
  return { create: (): SandboxCaller => sandboxes.create(), close: async () => sandboxes.close() };
}
