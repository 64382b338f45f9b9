/**
 * The payload shape and the metadata constants every converter shares. Nothing here may
 * import a Node built-in: this module also runs inside the workflow sandbox.
 */

/** A serialized value: metadata (at least `encoding`) and bytes. Same shape as `temporal.api.common.v1.IPayload`. */
export interface Payload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/** The metadata key that names a payload's encoding. */
export const METADATA_ENCODING_KEY = 'encoding';
/** The metadata key that names the protobuf message type of `json/protobuf` and `binary/protobuf` payloads. */
export const METADATA_MESSAGE_TYPE_KEY = 'messageType';

/** The encodings Bastion's converters write and read (the same strings as every Temporal SDK). */
export const encodingTypes = {
  /** `undefined`; the payload has no data. */
  METADATA_ENCODING_NULL: 'binary/null',
  /** A `Uint8Array`, stored as is. */
  METADATA_ENCODING_RAW: 'binary/plain',
  /** `JSON.stringify` of the value, UTF-8. */
  METADATA_ENCODING_JSON: 'json/plain',
  /** A protobuf message in canonical proto3 JSON, with `messageType`. */
  METADATA_ENCODING_PROTOBUF_JSON: 'json/protobuf',
  /** A protobuf message in the binary wire format, with `messageType`. */
  METADATA_ENCODING_PROTOBUF: 'binary/protobuf',
} as const;

/** One of the encoding names in {@link encodingTypes}, or another converter's own. */
export type EncodingType = (typeof encodingTypes)[keyof typeof encodingTypes];

const utf8Encoder = new TextEncoder();
// `ignoreBOM: true` keeps a leading U+FEFF, as the official SDK's decoder does; the WHATWG
// default would strip it and decode some payloads differently.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 bytes of a string. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** The string that UTF-8 bytes hold (malformed sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/**
 * Reads a metadata entry as a string, or `undefined` when it is missing.
 * Accepts `Uint8Array` from any realm (the sandbox and the host each have their own).
 */
export function metadataString(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  if (value == null) return undefined;
  return decodeUtf8(value);
}

/**
 * Returns `bytes` as a `Uint8Array` of this realm over the same memory, so `instanceof
 * Uint8Array` holds for code in this realm (a `Buffer`, or a sandbox's array, is rewrapped).
 */
export function localBytes(bytes: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
