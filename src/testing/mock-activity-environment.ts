/**
 * `MockActivityEnvironment`: runs an activity function with a Bastion activity `Context`
 * and no worker or server: heartbeats are captured, cancellation and worker shutdown are
 * injected by the test.
 *
 * ```ts
 * const env = new MockActivityEnvironment({ attempt: 2 });
 * env.on('heartbeat', (d) => seen.push(d));
 * setTimeout(() => env.cancel(), 10);
 * await env.run(download, 'https://example.test/file');   // rejects with CancelledFailure
 * ```
 */
import { EventEmitter } from 'node:events';
import { Context, type ActivityInfo, type CancellationReason } from '../activity/context';
import { silentLogger, type Logger } from '../common/logger';

/** The info an activity sees under the mock unless the test overrides fields. */
export const defaultActivityInfo: ActivityInfo = Object.freeze({
  taskToken: Buffer.from('test'),
  activityId: 'test',
  activityType: 'unknown',
  workflowExecution: { workflowId: 'test', runId: '00000000-0000-0000-0000-000000000000' },
  workflowType: 'test',
  workflowNamespace: 'default',
  activityNamespace: 'default',
  taskQueue: 'test',
  attempt: 1,
  isLocal: false,
  heartbeatDetails: undefined,
  heartbeatTimeoutMs: undefined,
  startToCloseTimeoutMs: 1000,
  scheduleToCloseTimeoutMs: 1000,
  scheduledTimestampMs: 1,
  currentAttemptScheduledTimestampMs: 1,
  startedTimestampMs: 1,
}) as ActivityInfo;

export interface MockActivityEnvironmentOptions {
  /** The activity's logger (`Context.current().log`). @default a silent logger */
  logger?: Logger;
}

/**
 * Emits `'heartbeat'` with the first detail of each heartbeat (as the official mock does);
 * `heartbeats` keeps every call's details in order. One Context serves every `run`: once
 * cancelled, later runs start cancelled (as the official mock).
 */
export class MockActivityEnvironment extends EventEmitter {
  readonly context: Context;
  /** The details of every heartbeat, in order. */
  readonly heartbeats: unknown[][] = [];
  private readonly shutdown = new AbortController();

  constructor(info: Partial<ActivityInfo> = {}, options: MockActivityEnvironmentOptions = {}) {
    super();
    this.context = new Context(
      { ...defaultActivityInfo, ...info },
      {
        heartbeat: (details) => {
          this.heartbeats.push(details);
          this.emit('heartbeat', details[0]);
        },
        log: options.logger ?? silentLogger,
      },
      this.shutdown.signal,
    );
  }

  /** Cancels the activity: `cancellationSignal` aborts and `cancelled` rejects with a CancelledFailure. @default 'CANCELLED' */
  cancel(reason: CancellationReason = 'CANCELLED'): void {
    this.context.cancel(reason);
  }

  /** Signals that the worker is shutting down (`Context.workerShutdownSignal`). */
  shutdownWorker(): void {
    this.shutdown.abort();
  }

  /** Runs `fn` with this environment's Context current. */
  run<P extends unknown[], R>(fn: (...args: P) => R | Promise<R>, ...args: P): Promise<R> {
    return this.context.run(() => Promise.resolve().then(() => fn(...args)));
  }
}
