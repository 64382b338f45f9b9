/**
 * Failures that cross workflow and activity boundaries, mirroring `@temporalio/common`'s
 * classes (same names, constructors and fields).
 *
 * `instanceof` works across `node:vm` realms and across copies of this module: each
 * instance carries a `Symbol.for('bastion.failure.<Name>')` marker. Instances also carry
 * the official SDK's `Symbol.for('__temporal_is<Name>')` marker, and our `instanceof`
 * accepts it, so an `ApplicationFailure` from `@temporalio/common` thrown in a Bastion
 * activity is treated as an `ApplicationFailure`, and ours pass the official SDK's checks.
 */
import type { temporal } from '@temporalio/proto';
import { type ApplicationFailureCategory, retryStateEnum, type RetryState, timeoutTypeEnum, type TimeoutType } from './failure-enums';

/** The wire form of a failure (`temporal.api.failure.v1.Failure`) as a plain object. */
export type ProtoFailure = temporal.api.failure.v1.IFailure;

/** `source` of every failure this SDK writes (the official TypeScript SDK's value). */
export const FAILURE_SOURCE = 'TypeScriptSDK';

const isRecord = (v: unknown): v is Record<PropertyKey, unknown> => typeof v === 'object' && v !== null;

export function mark(instance: object, name: string): void {
  Object.defineProperty(instance, Symbol.for(`bastion.failure.${name}`), { value: true, enumerable: false, configurable: true });
  Object.defineProperty(instance, Symbol.for(`__temporal_is${name}`), { value: true, enumerable: false, configurable: true });
}

/**
 * Gives `cls` its `name` and a realm-independent `instanceof`. For subclasses that do not
 * define their own `Symbol.hasInstance`, falls back to the prototype chain (as the official
 * SDK does), so `x instanceof MySubclass` is not true for every instance of the parent.
 */
export function failureClass(cls: abstract new (...args: never[]) => Error, name: string): void {
  const ours = Symbol.for(`bastion.failure.${name}`);
  const theirs = Symbol.for(`__temporal_is${name}`);
  Object.defineProperty(cls.prototype, 'name', { value: name, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== cls) return isRecord(value) && Object.prototype.isPrototypeOf.call((this as { prototype: object }).prototype, value);
      return isRecord(value) && (value[ours] === true || value[theirs] === true);
    },
  });
}

/**
 * Base of every failure that crosses workflow and activity boundaries. Never throw it
 * directly; throw an {@link ApplicationFailure}.
 */
export class TemporalFailure extends Error {
  /** The failure that caused this one. */
  public override cause?: Error;
  /** The wire failure this error was decoded from, when it came from the server; re-encoding returns it unchanged. */
  public failure?: ProtoFailure;

  constructor(message?: string | null, cause?: Error) {
    super(message ?? undefined);
    this.cause = cause;
    mark(this, 'TemporalFailure');
  }
}
failureClass(TemporalFailure, 'TemporalFailure');

/** A failure that originated at the Temporal service. */
export class ServerFailure extends TemporalFailure {
  constructor(
    message: string | undefined | null,
    public readonly nonRetryable: boolean,
    cause?: Error,
  ) {
    super(message, cause);
    mark(this, 'ServerFailure');
  }
}
failureClass(ServerFailure, 'ServerFailure');

/** Options of {@link ApplicationFailure.create}. */
export interface ApplicationFailureOptions {
  message?: string;
  /** Matched against a retry policy's `nonRetryableErrorTypes`. */
  type?: string;
  /** When true, the activity or workflow is not retried whatever its retry policy. @default false */
  nonRetryable?: boolean;
  /** Values serialized with the payload converter. */
  details?: unknown[];
  /** Overrides the retry policy's next backoff: milliseconds or a string like `'10s'`. */
  nextRetryDelay?: number | string;
  cause?: Error;
  category?: ApplicationFailureCategory;
}

/**
 * The failure user code throws to fail an activity or workflow. Other errors thrown from
 * activities are converted into one (`type` = the error's class name).
 */
export class ApplicationFailure extends TemporalFailure {
  /** Use {@link ApplicationFailure.create}, {@link retryable}, {@link nonRetryable} or {@link fromError} instead. */
  constructor(
    message?: string | null,
    public type?: string | null,
    public nonRetryable?: boolean | null,
    public details?: unknown[] | null,
    cause?: Error,
    public nextRetryDelay?: number | string,
    public category?: ApplicationFailureCategory | null,
  ) {
    super(message, cause);
    mark(this, 'ApplicationFailure');
  }

  /** A new failure; retryable unless `nonRetryable` is set or its `type` is listed in the retry policy. */
  static create(options: ApplicationFailureOptions): ApplicationFailure {
    const { message, type, nonRetryable = false, details, nextRetryDelay, cause, category } = options;
    return new this(message, type, nonRetryable, details, cause, nextRetryDelay, category);
  }

  /** A retryable failure; `type` defaults to `'Error'`. */
  static retryable(message?: string | null, type?: string | null, ...details: unknown[]): ApplicationFailure {
    return new this(message, type ?? 'Error', false, details);
  }

  /** A failure that is never retried; `type` defaults to `'Error'`. */
  static nonRetryable(message?: string | null, type?: string | null, ...details: unknown[]): ApplicationFailure {
    return new this(message, type ?? 'Error', true, details);
  }

  /** {@link ensureApplicationFailure} of `error`, with `overrides` applied. */
  static fromError(error: unknown, overrides?: Partial<ApplicationFailureOptions>): ApplicationFailure {
    const failure = ensureApplicationFailure(error);
    Object.assign(failure, overrides);
    return failure;
  }
}
failureClass(ApplicationFailure, 'ApplicationFailure');

/**
 * Thrown when cancellation was requested. Let it propagate to be cancelled; catch it to
 * carry on. Also the `cause` of an activity or child failure that was cancelled.
 */
export class CancelledFailure extends TemporalFailure {
  constructor(
    message?: string | null,
    public readonly details: unknown[] = [],
    cause?: Error,
  ) {
    super(message, cause);
    mark(this, 'CancelledFailure');
  }
}
failureClass(CancelledFailure, 'CancelledFailure');

/** The `cause` when a workflow was terminated. */
export class TerminatedFailure extends TemporalFailure {
  constructor(message?: string | null, cause?: Error) {
    super(message, cause);
    mark(this, 'TerminatedFailure');
  }
}
failureClass(TerminatedFailure, 'TerminatedFailure');

/** An activity or workflow timed out; `lastHeartbeatDetails` is the last value the activity heartbeated. */
export class TimeoutFailure extends TemporalFailure {
  public readonly timeoutType?: TimeoutType;

  constructor(
    message?: string | null,
    public readonly lastHeartbeatDetails?: unknown,
    timeoutType?: TimeoutType | number,
  ) {
    super(message);
    this.timeoutType = timeoutTypeEnum.decode(timeoutType);
    mark(this, 'TimeoutFailure');
  }
}
failureClass(TimeoutFailure, 'TimeoutFailure');

/** An activity failed; the reason (application failure, timeout, cancellation) is its `cause`. */
export class ActivityFailure extends TemporalFailure {
  public readonly retryState?: RetryState;

  constructor(
    message: string | undefined | null,
    public readonly activityType: string,
    public readonly activityId: string | undefined,
    retryState: RetryState | number | undefined,
    public readonly identity: string | undefined,
    cause?: Error,
  ) {
    super(message, cause);
    this.retryState = retryStateEnum.decode(retryState);
    mark(this, 'ActivityFailure');
  }
}
failureClass(ActivityFailure, 'ActivityFailure');

/** A workflow execution's id and (optionally) run id. */
export interface WorkflowExecution {
  workflowId: string;
  runId?: string | null;
}

/** A child workflow failed; the reason is its `cause`. */
export class ChildWorkflowFailure extends TemporalFailure {
  public readonly retryState?: RetryState;

  constructor(
    public readonly namespace: string | undefined,
    public readonly execution: WorkflowExecution,
    public readonly workflowType: string,
    retryState: RetryState | number | undefined,
    cause?: Error,
  ) {
    super('Child Workflow execution failed', cause);
    this.retryState = retryStateEnum.decode(retryState);
    mark(this, 'ChildWorkflowFailure');
  }
}
failureClass(ChildWorkflowFailure, 'ChildWorkflowFailure');

/** Whether `value` looks like an Error (any realm): string `name` and `message`. */
export function isError(value: unknown): value is Error {
  return isRecord(value) && typeof value.name === 'string' && typeof value.message === 'string' && (value.stack == null || typeof value.stack === 'string');
}

/**
 * `error` itself when it is an {@link ApplicationFailure}; otherwise a new one with the
 * error's message, `type` = its class name, its stack, and its `cause` when that is an Error.
 * The same conversion as the official SDK applies to errors thrown from activities.
 */
export function ensureApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const message = (isRecord(error) && String(error.message)) || String(error);
  const type = (isRecord(error) && ((error.constructor as { name?: string } | undefined)?.name ?? (error.name as string))) || undefined;
  const cause = isRecord(error) && isError(error.cause) ? error.cause : undefined;
  const failure = ApplicationFailure.create({ message, type, nonRetryable: false, cause });
  failure.stack = (isRecord(error) && String(error.stack)) || '';
  return failure;
}

/** `err` when it is a {@link TemporalFailure}, else {@link ensureApplicationFailure}`(err)`. */
export function ensureTemporalFailure(err: unknown): TemporalFailure {
  return err instanceof TemporalFailure ? err : ensureApplicationFailure(err);
}

/**
 * Whether `err` means "cancelled": a {@link CancelledFailure}, or an activity or child
 * workflow failure caused by one.
 */
export function isCancellation(err: unknown): boolean {
  return err instanceof CancelledFailure || ((err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) && err.cause instanceof CancelledFailure);
}

/** The message at the end of a {@link TemporalFailure}'s `cause` chain; `error.message` for other errors. */
export function rootCause(error: unknown): string | undefined {
  // Bounded, in case of a cause cycle.
  let current = error;
  for (let depth = 0; depth < 1000 && current instanceof TemporalFailure; depth++) {
    if (!current.cause) return current.message;
    current = current.cause;
  }
  if (isError(current)) return current.message;
  return typeof current === 'string' ? current : undefined;
}
