/**
 * Internal: a whole `Payload` (metadata and data) to and from its protobuf wire bytes
 * (`temporal.api.common.v1.Payload`), which is what the encryption and compression codecs
 * transform, so the original metadata is protected and restored along with the data.
 */
import { temporal } from '@temporalio/proto';
import { CodecError } from '../src/common/errors';
import { decodeUtf8, encodeUtf8, type Payload } from '../src/converter/payload';

const PayloadMessage = temporal.api.common.v1.Payload;

/** The protobuf wire bytes of a payload. */
export function serializePayload(payload: Payload): Uint8Array {
  return PayloadMessage.encode(payload).finish();
}

/**
 * The payload that `bytes` hold, as a plain `{ metadata, data }` object.
 * @throws {CodecError} `ERR_CODEC_MALFORMED` when the bytes are not a Payload message.
 */
export function deserializePayload(bytes: Uint8Array, what: string): Payload {
  let message: temporal.api.common.v1.Payload;
  try {
    message = PayloadMessage.decode(bytes);
  } catch {
    throw new CodecError('ERR_CODEC_MALFORMED', `${what} does not hold a serialized \`temporal.api.common.v1.Payload\` after decoding. It was not written by this codec, or was altered.`);
  }
  // An absent bytes field decodes to protobufjs's shared empty array, not a Uint8Array.
  const data = message.data instanceof Uint8Array ? message.data : new Uint8Array(0);
  const out: Payload = { metadata: { ...message.metadata }, data };
  // Other fields (externalPayloads) travel as they came.
  if (message.externalPayloads?.length) (out as Record<string, unknown>).externalPayloads = message.externalPayloads;
  return out;
}

/** Metadata value as bytes. */
export const metadataBytes = encodeUtf8;

/** A metadata entry as a string, or undefined. */
export function readMetadata(payload: Payload, key: string): string | undefined {
  const v = payload.metadata?.[key];
  return v == null ? undefined : decodeUtf8(v);
}

/** `payload 2 of 5`, for messages (1-based). */
export function describePayload(index: number, count: number): string {
  return `payload ${index + 1} of ${count}`;
}
