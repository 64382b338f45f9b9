/**
 * Errors ⇄ `temporal.api.failure.v1.Failure` (as plain objects), compatible with the
 * official SDK's `DefaultFailureConverter`: the same fields, the same `source`, the same
 * `encodeCommonAttributes` envelope, so each side decodes the other's failures.
 */
import { parseDuration } from '../common/duration';
import { FailureConverterError } from './errors';
import { applicationFailureCategoryEnum, retryStateEnum, timeoutTypeEnum } from './failure-enums';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ensureApplicationFailure,
  FAILURE_SOURCE,
  isError,
  type ProtoFailure,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from './failures';
import { arrayFromPayloads, fromPayloads, type PayloadConverter, toPayloads } from './payload-converter';

/** Options of the failure converter. */
export interface FailureConverterOptions {
  /**
   * Move `message` and `stackTrace` into `encodedAttributes` (a `json/plain` payload of
   * `{ message, stack_trace }`, which payload codecs then encrypt) and leave
   * `message: 'Encoded failure'` and an empty stack trace in clear.
   * @default false
   */
  encodeCommonAttributes?: boolean;
  /**
   * How many `cause` levels are converted; deeper causes (and cycles) are cut off.
   * @default DEFAULT_MAX_CAUSE_DEPTH
   */
  maxCauseDepth?: number;
}

/** Converts errors to failures and back; the `failureConverter` of a {@link DataConverter}. */
export interface FailureConverter {
  errorToFailure(err: unknown, payloadConverter: PayloadConverter): ProtoFailure;
  failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter): Error;
}

/** How many `cause` levels are converted by default; the official SDK has no limit (and loops on a cycle). @default 50 */
export const DEFAULT_MAX_CAUSE_DEPTH = 50;
/** The `message` left in clear when `encodeCommonAttributes` is on. */
export const ENCODED_FAILURE_MESSAGE = 'Encoded failure';

const NON_ERROR_HINT = ' [A non-Error value was thrown from your code. We recommend throwing Error objects so that we can provide a stack trace]';

function combineRegExp(...regexps: RegExp[]): RegExp {
  return new RegExp(regexps.map((x) => `(?:${x.source})`).join('|'));
}

// The official SDK's patterns, so stack traces match theirs frame for frame.
const CUTOFF_STACK_PATTERNS = combineRegExp(
  /\s+at (Activity\.)?execute \(.*[\\/]worker[\\/](?:src|lib)[\\/]activity\.[jt]s:\d+:\d+\)/,
  /\s+at( async)? (NexusHandler\.)?invokeUserCode \(.*[\\/]worker[\\/](?:src|lib)[\\/]nexus[\\/]index\.[jt]s:\d+:\d+\)/,
  /\s+at( async)? (Activator\.)?(startWorkflow|queryWorkflow|signalWorkflow|update|validateUpdate)NextHandler \(.*\.[jt]s:\d+:\d+\)/,
  /\s+at (Script\.)?runInContext \(native|unknown|(?:(?:node:vm|vm\.js):\d+:\d+)\)/,
);
const DROPPED_STACK_FRAMES_PATTERNS = combineRegExp(
  /\s+at (null\.)?next \(.*[\\/]common[\\/](?:src|lib)[\\/]interceptors\.[jt]s:\d+:\d+\)/,
  /\s+at (null\.)?executeNextHandler \(.*[\\/]worker[\\/](?:src|lib)[\\/]activity\.[jt]s:\d+:\d+\)/,
);

/** The user-code part of a stack trace: stops at the framework's entry frame, drops interceptor plumbing. */
export function cutoffStackTrace(stack?: string): string {
  const kept: string[] = [];
  for (const line of (stack ?? '').split(/\r?\n/)) {
    if (CUTOFF_STACK_PATTERNS.test(line)) break;
    if (!DROPPED_STACK_FRAMES_PATTERNS.test(line)) kept.push(line);
  }
  return kept.join('\n');
}

type ProtoDuration = NonNullable<ProtoFailure['applicationFailureInfo']>['nextRetryDelay'];

/**
 * `{ seconds, nanos }` of a delay given in milliseconds or as a string like `'10s'`.
 * `seconds` is a plain number (protobufjs encodes numbers and Longs alike).
 */
function delayToProto(delay: number | string | undefined | null): ProtoDuration {
  if (delay == null) return undefined;
  const ms = typeof delay === 'number' ? delay : parseDuration(delay, 'ApplicationFailure.nextRetryDelay');
  if (!Number.isFinite(ms)) throw new TypeError(`\`ApplicationFailure.nextRetryDelay\` must be a finite number of milliseconds; got ${ms}.`);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 } as unknown as ProtoDuration;
}

function int64ToNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return Number(value) || 0;
}

/** Milliseconds of a proto Duration (object form, or proto JSON's `'1.5s'`). */
function delayFromProto(d: unknown): number | undefined {
  if (d == null) return undefined;
  if (typeof d === 'string') {
    const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(d);
    if (!m) return undefined;
    const ms = Number(m[2]) * 1000 + Math.floor(Number((m[3] ?? '').padEnd(9, '0')) / 1_000_000);
    return m[1] ? -ms : ms;
  }
  const { seconds, nanos } = d as { seconds?: unknown; nanos?: number | null };
  return int64ToNumber(seconds) * 1000 + Math.floor((nanos ?? 0) / 1_000_000);
}

/**
 * The default failure converter, compatible with the official SDK's `DefaultFailureConverter`.
 */
export class DefaultFailureConverter implements FailureConverter {
  private readonly encodeCommonAttributes: boolean;
  private readonly maxDepth: number;

  /**
   * @throws {TypeError} when `maxCauseDepth` is not a non-negative integer
   */
  constructor(options: FailureConverterOptions = {}) {
    this.encodeCommonAttributes = options.encodeCommonAttributes ?? false;
    this.maxDepth = options.maxCauseDepth ?? DEFAULT_MAX_CAUSE_DEPTH;
    if (!Number.isInteger(this.maxDepth) || this.maxDepth < 0) {
      throw new TypeError(`\`maxCauseDepth\` must be a non-negative integer; got ${String(options.maxCauseDepth)}.`);
    }
  }

  errorToFailure(err: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    // What the official worker does before converting: anything that is not a Temporal
    // failure becomes an ApplicationFailure. Causes further down are converted as they are.
    const top = err instanceof TemporalFailure ? err : ensureApplicationFailure(err);
    return this.encode(top, payloadConverter, 0);
  }

  failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter): Error {
    return this.decode(failure, payloadConverter, 0);
  }

  private encode(err: unknown, pc: PayloadConverter, depth: number): ProtoFailure {
    const failure = err instanceof TemporalFailure && err.failure ? { ...err.failure } : this.encodeInner(err, pc, depth);
    if (this.encodeCommonAttributes) {
      const { message, stackTrace } = failure;
      failure.message = ENCODED_FAILURE_MESSAGE;
      failure.stackTrace = '';
      failure.encodedAttributes = pc.toPayload({ message, stack_trace: stackTrace });
    }
    return failure;
  }

  private encodeCause(cause: unknown, pc: PayloadConverter, depth: number): ProtoFailure | undefined {
    return cause && depth < this.maxDepth ? this.encode(cause, pc, depth + 1) : undefined;
  }

  private encodeInner(err: unknown, pc: PayloadConverter, depth: number): ProtoFailure {
    if (err instanceof TemporalFailure) {
      const base: ProtoFailure = {
        message: err.message,
        stackTrace: cutoffStackTrace(err.stack),
        cause: this.encodeCause(err.cause, pc, depth),
        source: FAILURE_SOURCE,
      };
      if (err instanceof ActivityFailure) {
        return {
          ...base,
          activityFailureInfo: {
            activityType: { name: err.activityType },
            activityId: err.activityId,
            retryState: retryStateEnum.encode(err.retryState),
            identity: err.identity,
          },
        };
      }
      if (err instanceof ChildWorkflowFailure) {
        return {
          ...base,
          childWorkflowExecutionFailureInfo: {
            namespace: err.namespace,
            workflowExecution: err.execution,
            workflowType: { name: err.workflowType },
            retryState: retryStateEnum.encode(err.retryState),
          },
        };
      }
      if (err instanceof ApplicationFailure) {
        return {
          ...base,
          applicationFailureInfo: {
            type: err.type,
            nonRetryable: err.nonRetryable,
            details: err.details?.length ? { payloads: toPayloads(pc, ...err.details) } : undefined,
            nextRetryDelay: delayToProto(err.nextRetryDelay),
            category: applicationFailureCategoryEnum.encode(err.category),
          },
        };
      }
      if (err instanceof CancelledFailure) {
        return { ...base, canceledFailureInfo: { details: err.details?.length ? { payloads: toPayloads(pc, ...err.details) } : undefined } };
      }
      if (err instanceof TimeoutFailure) {
        return {
          ...base,
          timeoutFailureInfo: {
            timeoutType: timeoutTypeEnum.encode(err.timeoutType),
            // Falsy heartbeat details are dropped, as the official SDK does.
            lastHeartbeatDetails: err.lastHeartbeatDetails ? { payloads: toPayloads(pc, err.lastHeartbeatDetails) } : undefined,
          },
        };
      }
      if (err instanceof ServerFailure) return { ...base, serverFailureInfo: { nonRetryable: err.nonRetryable } };
      if (err instanceof TerminatedFailure) return { ...base, terminatedFailureInfo: {} };
      return base;
    }
    const base: ProtoFailure = { source: FAILURE_SOURCE };
    if (isError(err)) {
      return {
        ...base,
        message: String(err.message ?? ''),
        stackTrace: cutoffStackTrace(err.stack),
        cause: this.encodeCause((err as { cause?: unknown }).cause, pc, depth),
      };
    }
    if (typeof err === 'string') return { ...base, message: err + NON_ERROR_HINT };
    if (typeof err === 'object') {
      let message: string;
      try {
        message = JSON.stringify(err);
      } catch {
        message = String(err);
      }
      return { ...base, message: message + NON_ERROR_HINT };
    }
    return { ...base, message: String(err) + NON_ERROR_HINT };
  }

  private decode(failure: ProtoFailure, pc: PayloadConverter, depth: number): Error {
    if (failure.encodedAttributes) {
      const attrs = pc.fromPayload<unknown>(failure.encodedAttributes);
      // Only an object of the expected shape is applied; anything else is left alone.
      if (typeof attrs === 'object' && attrs !== null) {
        const { message, stack_trace } = attrs as { message?: unknown; stack_trace?: unknown };
        failure = { ...failure };
        if (typeof message === 'string') failure.message = message;
        if (typeof stack_trace === 'string') failure.stackTrace = stack_trace;
      }
    }
    const err = this.decodeInner(failure, pc, depth);
    err.stack = failure.stackTrace ?? '';
    if (err instanceof TemporalFailure) err.failure = failure;
    return err;
  }

  private decodeCause(failure: ProtoFailure, pc: PayloadConverter, depth: number): Error | undefined {
    return failure.cause && depth < this.maxDepth ? this.decode(failure.cause, pc, depth + 1) : undefined;
  }

  private decodeInner(failure: ProtoFailure, pc: PayloadConverter, depth: number): Error {
    const message = failure.message ?? undefined;
    const app = failure.applicationFailureInfo;
    if (app) {
      return new ApplicationFailure(
        message,
        app.type,
        Boolean(app.nonRetryable),
        arrayFromPayloads(pc, app.details?.payloads),
        this.decodeCause(failure, pc, depth),
        delayFromProto(app.nextRetryDelay),
        applicationFailureCategoryEnum.decode(app.category as number | string | null | undefined),
      );
    }
    if (failure.serverFailureInfo) {
      return new ServerFailure(message, Boolean(failure.serverFailureInfo.nonRetryable), this.decodeCause(failure, pc, depth));
    }
    if (failure.timeoutFailureInfo) {
      const info = failure.timeoutFailureInfo;
      return new TimeoutFailure(message, fromPayloads(pc, 0, info.lastHeartbeatDetails?.payloads), info.timeoutType as number | undefined);
    }
    if (failure.terminatedFailureInfo) return new TerminatedFailure(message, this.decodeCause(failure, pc, depth));
    if (failure.canceledFailureInfo) {
      return new CancelledFailure(message, arrayFromPayloads(pc, failure.canceledFailureInfo.details?.payloads), this.decodeCause(failure, pc, depth));
    }
    if (failure.resetWorkflowFailureInfo) {
      return new ApplicationFailure(
        message,
        'ResetWorkflow',
        false,
        arrayFromPayloads(pc, failure.resetWorkflowFailureInfo.lastHeartbeatDetails?.payloads),
        this.decodeCause(failure, pc, depth),
      );
    }
    if (failure.childWorkflowExecutionFailureInfo) {
      const { namespace, workflowType, workflowExecution, retryState } = failure.childWorkflowExecutionFailureInfo;
      if (!workflowType?.name || !workflowExecution) {
        throw new FailureConverterError(
          'A child workflow failure has no `childWorkflowExecutionFailureInfo.workflowType.name` or `.workflowExecution`; it cannot be converted.',
        );
      }
      return new ChildWorkflowFailure(
        namespace ?? undefined,
        { workflowId: workflowExecution.workflowId ?? '', runId: workflowExecution.runId },
        workflowType.name,
        retryState as number | undefined,
        this.decodeCause(failure, pc, depth),
      );
    }
    if (failure.activityFailureInfo) {
      const info = failure.activityFailureInfo;
      if (!info.activityType?.name) {
        throw new FailureConverterError('An activity failure has no `activityFailureInfo.activityType.name`; it cannot be converted.');
      }
      return new ActivityFailure(
        message,
        info.activityType.name,
        info.activityId ?? undefined,
        info.retryState as number | undefined,
        info.identity ?? undefined,
        this.decodeCause(failure, pc, depth),
      );
    }
    return new TemporalFailure(message, this.decodeCause(failure, pc, depth));
  }
}

/**
 * The global through which a worker configures failure conversion inside a workflow
 * sandbox (set on the sandbox's context before the bundle runs; absent elsewhere).
 */
export const SANDBOX_FAILURE_OPTIONS_GLOBAL = '__bastion_failure_options';

/** The failure options the current realm was given (a sandbox's), if any. */
function realmFailureOptions(): FailureConverterOptions | undefined {
  const value = (globalThis as Record<string, unknown>)[SANDBOX_FAILURE_OPTIONS_GLOBAL];
  return typeof value === 'object' && value !== null ? (value as FailureConverterOptions) : undefined;
}

const plainConverter = new DefaultFailureConverter();
const encodingConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/**
 * The failure for `err`. A value that is not a {@link TemporalFailure} is first made an
 * {@link ApplicationFailure} (`type` = its class name), as the official worker does.
 * Without `options`, inside a workflow sandbox the worker's setting applies (its
 * `encodeCommonAttributes`); elsewhere the defaults.
 * @throws {PayloadConverterError} when failure details cannot be converted
 */
export function errorToFailure(
  err: unknown,
  payloadConverter: PayloadConverter,
  options: FailureConverterOptions | undefined = realmFailureOptions(),
): ProtoFailure {
  const converter =
    options?.maxCauseDepth !== undefined ? new DefaultFailureConverter(options) : options?.encodeCommonAttributes ? encodingConverter : plainConverter;
  return converter.errorToFailure(err, payloadConverter);
}

/**
 * The error for `failure`, with its cause chain; `encodedAttributes` are decoded back into
 * `message` and `stack`. The result's `failure` field holds the wire failure.
 * @throws {FailureConverterError} when an activity or child failure lacks its type name
 */
export function failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter): Error {
  return plainConverter.failureToError(failure, payloadConverter);
}
