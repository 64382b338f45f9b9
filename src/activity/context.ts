/**
 * The activity Context: what an activity knows about its own execution (info,
 * previous attempt's heartbeat details), and how it reports progress (heartbeat) and
 * hears cancellation — including, unlike the official SDK, that its worker is
 * shutting down.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IllegalStateError } from '../common/errors';
import { CancelledFailure } from '../converter';
import type { Logger } from '../common/logger';

export interface ActivityInfo {
  taskToken: Uint8Array;
  activityId: string;
  activityType: string;
  workflowExecution: { workflowId: string; runId: string };
  workflowType: string;
  workflowNamespace: string;
  activityNamespace: string;
  taskQueue: string;
  attempt: number;
  isLocal: boolean;
  /** The first detail the previous attempt heartbeated, as the official SDK gives it. */
  heartbeatDetails: unknown;
  heartbeatTimeoutMs?: number;
  startToCloseTimeoutMs: number;
  scheduleToCloseTimeoutMs?: number;
  scheduledTimestampMs: number;
  currentAttemptScheduledTimestampMs: number;
  startedTimestampMs: number;
}

/** Why an activity was asked to stop. */
export type CancellationReason = 'CANCELLED' | 'TIMED_OUT' | 'NOT_FOUND' | 'WORKER_SHUTDOWN';

export interface ContextHooks {
  heartbeat(details: unknown[]): void;
  log: ActivityLogger;
}

/** An activity's logger (`Context.current().log`): the one {@link Logger} interface. */
export type ActivityLogger = Logger;

const storage = new AsyncLocalStorage<Context>();

export class Context {
  /** Aborted when the activity is cancelled; `reason` is a CancelledFailure naming why. */
  readonly cancellationSignal: AbortSignal;
  /** Rejects with a CancelledFailure when the activity is cancelled. */
  readonly cancelled: Promise<never>;
  /** Aborted as soon as the worker starts shutting down (before any cancellation). */
  readonly workerShutdownSignal: AbortSignal;
  private readonly abort = new AbortController();
  private rejectCancelled!: (err: unknown) => void;
  private cancelReason?: CancellationReason;

  constructor(
    readonly info: ActivityInfo,
    private readonly hooks: ContextHooks,
    workerShutdownSignal: AbortSignal,
  ) {
    this.cancellationSignal = this.abort.signal;
    this.workerShutdownSignal = workerShutdownSignal;
    this.cancelled = new Promise<never>((_, reject) => {
      this.rejectCancelled = reject;
    });
    this.cancelled.catch(() => undefined);
  }

  /** The Context of the activity running in this async call chain. @throws IllegalStateError outside an activity */
  static current(): Context {
    const ctx = storage.getStore();
    if (!ctx)
      throw new IllegalStateError(
        'ERR_ILLEGAL_STATE',
        'Context.current() was called outside an activity: it is only available while an activity function runs.',
      );
    return ctx;
  }

  /** Records progress; details reach the next attempt if this one fails. Throttled by the worker. */
  heartbeat(...details: unknown[]): void {
    this.hooks.heartbeat(details);
  }

  /** True once the worker began shutting down. */
  get isWorkerShuttingDown(): boolean {
    return this.workerShutdownSignal.aborted;
  }

  /** Why the activity was cancelled, once it was. */
  get cancellationReason(): CancellationReason | undefined {
    return this.cancelReason;
  }

  /** Sleeps, but rejects with the CancelledFailure as soon as the activity is cancelled. */
  sleep(ms: number): Promise<void> {
    if (this.abort.signal.aborted) return Promise.reject(this.abort.signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.abort.signal.reason);
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  get log(): ActivityLogger {
    return this.hooks.log;
  }

  /** Worker-internal: cancels the activity. */
  cancel(reason: CancellationReason): void {
    if (this.cancelReason) return;
    this.cancelReason = reason;
    const err = new CancelledFailure(reason);
    this.abort.abort(err);
    this.rejectCancelled(err);
  }

  /** Worker-internal: runs `fn` with this context current. */
  run<T>(fn: () => T): T {
    return storage.run(this, fn);
  }
}

/** Heartbeats from the current activity. */
export function heartbeat(...details: unknown[]): void {
  Context.current().heartbeat(...details);
}

/** The current activity's info. */
export function activityInfo(): ActivityInfo {
  return Context.current().info;
}

/** The current activity's cancellation signal. */
export function cancellationSignal(): AbortSignal {
  return Context.current().cancellationSignal;
}

/** Cancellation-aware sleep in the current activity. */
export function sleep(ms: number): Promise<void> {
  return Context.current().sleep(ms);
}
