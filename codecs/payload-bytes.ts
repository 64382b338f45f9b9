/**
 * Internal: a whole `Payload` (metadata and data) to and from its protobuf wire bytes
 * (`temporal.api.common.v1.Payload`), which is what the encryption and compression codecs
 * transform, so the original metadata is protected and restored along with the data.
 */
import { temporal } from '@temporalio/proto';
import { CodecError } from '../src/common/errors';
import { decodeUtf8, encodeUtf8, type Payload } from '../src/common/payload';

const PayloadMessage = temporal.api.common.v1.Payload;

/**
 * The protobuf wire bytes of a payload: the same bytes as protobufjs's
 * `Payload.encode(payload).finish()`, written into one buffer of the exact size. At 64 KiB
 * this takes a third of protobufjs's time (which grows its buffer in steps and copies),
 * and it is on the encryption codec's path for every payload. Payloads that carry
 * `externalPayloads` (rare) go through protobufjs.
 */
export function serializePayload(payload: Payload): Uint8Array {
  if ((payload as { externalPayloads?: unknown[] }).externalPayloads?.length) return PayloadMessage.encode(payload).finish();
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  let size = 0;
  const metadata = payload.metadata;
  if (metadata) {
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      if (value == null) continue; // protobufjs writes null map values as empty bytes; none come here
      const k = encodeUtf8(key);
      const entry = 1 + varintSize(k.byteLength) + k.byteLength + 1 + varintSize(value.byteLength) + value.byteLength;
      size += 1 + varintSize(entry) + entry;
      entries.push([k, value]);
    }
  }
  const data = payload.data;
  // proto3: an empty `data` is not written (as protobufjs does).
  if (data != null && data.byteLength > 0) size += 1 + varintSize(data.byteLength) + data.byteLength;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  const varint = (n: number): void => {
    while (n > 0x7f) {
      out[pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[pos++] = n;
  };
  for (const [k, v] of entries) {
    out[pos++] = 0x0a; // field 1 (metadata), length-delimited: one map entry
    varint(1 + varintSize(k.byteLength) + k.byteLength + 1 + varintSize(v.byteLength) + v.byteLength);
    out[pos++] = 0x0a; // entry key
    varint(k.byteLength);
    out.set(k, pos);
    pos += k.byteLength;
    out[pos++] = 0x12; // entry value
    varint(v.byteLength);
    out.set(v, pos);
    pos += v.byteLength;
  }
  if (data != null && data.byteLength > 0) {
    out[pos++] = 0x12; // field 2 (data)
    varint(data.byteLength);
    out.set(data, pos);
    pos += data.byteLength;
  }
  return out;
}

/** Bytes of `n` as a protobuf varint. */
function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
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
    throw new CodecError(
      'ERR_CODEC_MALFORMED',
      `${what} does not hold a serialized \`temporal.api.common.v1.Payload\` after decoding. It was not written by this codec, or was altered.`,
    );
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

/** Where a codec error happened, for answers that must not repeat its message (the codec server's). */
export interface CodecErrorDetail {
  /** Index of the payload in the list the codec was given. */
  readonly payloadIndex?: number;
  /** The metadata key that is missing or holds something the codec does not read (never its value). */
  readonly field?: string;
}

const DETAIL = Symbol.for('bastion.codecs.errorDetail');

/** Attaches `detail` to `err` (keeping what it already has) and returns `err`. */
export function withDetail<E extends Error>(err: E, detail: CodecErrorDetail): E {
  const previous = errorDetail(err) ?? {};
  Object.defineProperty(err, DETAIL, { value: { ...detail, ...previous }, configurable: true });
  return err;
}

/** The detail attached by {@link withDetail}, if any. */
export function errorDetail(err: unknown): CodecErrorDetail | undefined {
  return typeof err === 'object' && err !== null ? ((err as Record<symbol, unknown>)[DETAIL] as CodecErrorDetail | undefined) : undefined;
}
