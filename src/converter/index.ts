/**
 * Data conversion: values ⇄ payloads, errors ⇄ failures. Byte-compatible with the official
 * Temporal TypeScript SDK, and safe to load in the workflow sandbox (no Node built-ins).
 *
 * @example
 * ```ts
 * import { defaultPayloadConverter, errorToFailure, failureToError, ApplicationFailure } from 'bastion-temporal';
 *
 * const payload = defaultPayloadConverter.toPayload({ orderId: 42 });
 * // payload.metadata.encoding is the bytes of 'json/plain'; payload.data of '{"orderId":42}'
 * defaultPayloadConverter.fromPayload(payload); // { orderId: 42 }
 *
 * const failure = errorToFailure(ApplicationFailure.nonRetryable('card declined', 'PaymentError', { last4: '4242' }), defaultPayloadConverter);
 * const err = failureToError(failure, defaultPayloadConverter); // an ApplicationFailure again, details decoded
 * ```
 */
export { encodeUtf8, decodeUtf8, encodingTypes, METADATA_ENCODING_KEY, METADATA_MESSAGE_TYPE_KEY } from '../common/payload';
export type { EncodingType, Payload } from '../common/payload';
export {
  arrayFromPayloads,
  BinaryPayloadConverter,
  CompositePayloadConverter,
  createDefaultPayloadConverter,
  defaultPayloadConverter,
  fromPayloads,
  fromPayloads as fromPayloadsAtIndex,
  JsonPayloadConverter,
  mapFromPayloads,
  mapToPayloads,
  toPayloads,
  UndefinedPayloadConverter,
} from './payload-converter';
export type { DefaultPayloadConverterOptions, PayloadConverter, PayloadConverterWithEncoding } from './payload-converter';
export { ProtobufBinaryPayloadConverter, ProtobufJsonPayloadConverter } from './protobuf-payload-converter';
export type { ProtobufRoot } from './protobuf-payload-converter';
export { FailureConverterError, PayloadConverterError } from './errors';
export {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ensureApplicationFailure,
  ensureTemporalFailure,
  FAILURE_SOURCE,
  isCancellation,
  rootCause,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from './failures';
export type { ApplicationFailureOptions, ProtoFailure, WorkflowExecution } from './failures';
export { ApplicationFailureCategory, RetryState, TimeoutType } from './failure-enums';
export {
  cutoffStackTrace,
  DEFAULT_MAX_CAUSE_DEPTH,
  DefaultFailureConverter,
  ENCODED_FAILURE_MESSAGE,
  errorToFailure,
  failureToError,
} from './failure-converter';
export type { FailureConverter, FailureConverterOptions } from './failure-converter';
export { defaultDataConverter } from './data-converter';
export type { DataConverter, DataConverterOptions } from './data-converter';
