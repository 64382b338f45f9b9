/**
 * Errors the dev server answers with: a gRPC status code, a message naming the field,
 * and optionally a typed detail (`temporal.api.errordetails.v1.*`) sent in
 * `grpc-status-details-bin`, as Temporal Server does, so SDKs map them to their own
 * error classes (e.g. WorkflowExecutionAlreadyStartedError).
 */
import * as grpc from '@grpc/grpc-js';
import { google, lookupType } from '../common/proto';

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
  constructor(
    readonly status: grpc.status,
    message: string,
    readonly detail?: { typeName: string; value: object },
  ) {
    super(wellFormed(message));
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
    const md = new grpc.Metadata();
    md.set('grpc-status-details-bin', Buffer.from(status));
    return md;
  }
}

export const invalidArgument = (message: string, detail?: ServiceError['detail']) =>
  new ServiceError(grpc.status.INVALID_ARGUMENT, message, detail);
export const notFound = (message: string, detail?: ServiceError['detail']) =>
  new ServiceError(grpc.status.NOT_FOUND, message, detail);
export const alreadyExists = (message: string, detail?: ServiceError['detail']) =>
  new ServiceError(grpc.status.ALREADY_EXISTS, message, detail);
export const failedPrecondition = (message: string) => new ServiceError(grpc.status.FAILED_PRECONDITION, message);
export const unimplemented = (message: string) => new ServiceError(grpc.status.UNIMPLEMENTED, message);
export const unavailable = (message: string) => new ServiceError(grpc.status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new ServiceError(grpc.status.DEADLINE_EXCEEDED, message);
