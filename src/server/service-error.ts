/**
 * Errors the dev server answers with: a gRPC status code, a message naming the field,
 * and optionally a typed detail (`temporal.api.errordetails.v1.*`) sent in
 * `grpc-status-details-bin`, as Temporal Server does, so SDKs map them to their own
 * error classes (e.g. WorkflowExecutionAlreadyStartedError).
 */
import * as grpc from '@grpc/grpc-js';
import { google, lookupType } from '../common/proto';

/** Most characters of caller input quoted back in a status message or detail. @default 64 */
export const MAX_ECHO_CHARS = 64;
/**
 * Longest status message sent. grpc-js puts the message in a trailer (twice, with the
 * rich status), and a trailer over the peer's header-list limit (16 KiB by default)
 * stalls the call and the connection behind it, so messages stay far below. @default 1024
 */
export const MAX_STATUS_MESSAGE_CHARS = 1024;

/**
 * Caller input, safe to quote in a message: at most {@link MAX_ECHO_CHARS} characters,
 * JSON-escaped (no quotes around it, so it fits inside the message's own), `…` when cut.
 */
export function echo(value: unknown, max = MAX_ECHO_CHARS): string {
  const text = typeof value === 'string' ? value : String(value);
  const escaped = JSON.stringify(text.slice(0, max)).slice(1, -1);
  return text.length > max ? `${escaped}…` : escaped;
}

/** A status message cut to {@link MAX_STATUS_MESSAGE_CHARS}: the last line of defence, in one place. */
export function clampStatusMessage(message: string): string {
  return message.length > MAX_STATUS_MESSAGE_CHARS ? `${message.slice(0, MAX_STATUS_MESSAGE_CHARS - 1)}…` : message;
}

/** Longest string kept whole in a status detail (e.g. a query failure's stack trace). */
const MAX_DETAIL_STRING_CHARS = 1024;
/** Largest encoded rich status sent; past it the detail is left out and only code and message go. */
const MAX_DETAILS_BYTES = 8 * 1024;

/** A detail value with every long string cut, so no detail carries large input. */
function clampDetail(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_DETAIL_STRING_CHARS ? `${value.slice(0, MAX_DETAIL_STRING_CHARS - 1)}…` : value;
  if (depth > 8 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => clampDetail(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clampDetail(v, depth + 1)]));
}

/**
 * `text` with every lone surrogate replaced by U+FFFD. A status message travels in the
 * percent-encoded `grpc-message` trailer, and grpc-js cannot encode a lone surrogate (the
 * call then ends UNKNOWN); one appears when a message quotes a slice of the input that
 * cuts an emoji in half.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export class ServiceError extends Error {
  readonly detail?: { typeName: string; value: object };

  constructor(
    readonly status: grpc.status,
    message: string,
    detail?: { typeName: string; value: object },
  ) {
    super(wellFormed(clampStatusMessage(message)));
    if (detail) this.detail = { typeName: detail.typeName, value: clampDetail(detail.value) as object };
  }

  override get name(): string {
    return 'ServiceError';
  }

  /** Metadata carrying the rich status, when there is a detail. */
  toMetadata(): grpc.Metadata | undefined {
    if (!this.detail) return undefined;
    const type = lookupType(this.detail.typeName);
    const value = type.encode(type.fromObject(this.detail.value)).finish();
    const status = google.rpc.Status.encode({
      code: this.status,
      message: this.message,
      details: [{ type_url: `type.googleapis.com/${this.detail.typeName}`, value }],
    } as never).finish();
    if (status.length > MAX_DETAILS_BYTES) return undefined;
    const md = new grpc.Metadata();
    md.set('grpc-status-details-bin', Buffer.from(status));
    return md;
  }
}

export const invalidArgument = (message: string, detail?: ServiceError['detail']) => new ServiceError(grpc.status.INVALID_ARGUMENT, message, detail);
export const notFound = (message: string, detail?: ServiceError['detail']) => new ServiceError(grpc.status.NOT_FOUND, message, detail);
export const alreadyExists = (message: string, detail?: ServiceError['detail']) => new ServiceError(grpc.status.ALREADY_EXISTS, message, detail);
export const failedPrecondition = (message: string) => new ServiceError(grpc.status.FAILED_PRECONDITION, message);
export const unimplemented = (message: string) => new ServiceError(grpc.status.UNIMPLEMENTED, message);
export const unavailable = (message: string) => new ServiceError(grpc.status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new ServiceError(grpc.status.DEADLINE_EXCEEDED, message);
