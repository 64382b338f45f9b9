/**
 * The dev server keeps every wire value in "JSON form": plain objects where int64 and
 * enums are numbers and bytes are base64 strings. That form encodes directly with the
 * static protobufjs encoders (they accept numbers for int64 and base64 for bytes), and
 * it stores as JSON without a custom serializer.
 */
import { temporal } from '../common/proto';

interface ToObjectCapable {
  toObject(message: object, options: object): Record<string, unknown>;
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
}

const JSON_FORM = { longs: Number, enums: Number, bytes: String, defaults: false, arrays: false, objects: false };

/** Converts a decoded protobufjs message into JSON form. */
export function toJsonForm<T = Record<string, unknown>>(cls: unknown, message: object): T {
  return (cls as ToObjectCapable).toObject(message, JSON_FORM) as T;
}

/** Encodes a JSON-form value with the class's static encoder. */
export function encodeJson(cls: unknown, value: object): Uint8Array {
  return (cls as ToObjectCapable).encode(value).finish();
}

/** Decodes bytes into JSON form. */
export function decodeJson<T = Record<string, unknown>>(cls: unknown, bytes: Uint8Array): T {
  const c = cls as ToObjectCapable;
  return c.toObject(c.decode(bytes), JSON_FORM) as T;
}

export const HistoryEventType = temporal.api.history.v1.HistoryEvent;

/** A history event in JSON form (`eventId`, `eventType`, `eventTime`, one `…Attributes`). */
export type JsonEvent = Record<string, any> & { eventId: number; eventType: number };

/** A payload in JSON form. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Byte length of a base64 string without decoding it. */
export function base64Length(b64: string | undefined): number {
  if (!b64) return 0;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** Total bytes of the data of a Payloads / list of payloads in JSON form. */
export function payloadsSize(payloads: { payloads?: JsonPayload[] } | JsonPayload[] | undefined | null): number {
  if (!payloads) return 0;
  const list = Array.isArray(payloads) ? payloads : (payloads.payloads ?? []);
  let n = 0;
  for (const p of list) {
    n += base64Length(p.data);
    for (const v of Object.values(p.metadata ?? {})) n += base64Length(v);
  }
  return n;
}

/** Decodes a JSON-encoded payload (json/plain) to a JS value; undefined if not JSON. */
export function payloadToValue(p: JsonPayload | undefined): unknown {
  if (!p?.data) return undefined;
  const encoding = p.metadata?.encoding ? Buffer.from(p.metadata.encoding, 'base64').toString() : '';
  if (encoding !== 'json/plain') return undefined;
  try {
    return JSON.parse(Buffer.from(p.data, 'base64').toString());
  } catch {
    return undefined;
  }
}

/** An event not yet written (no `eventId`). */
export type NewEvent = Record<string, any> & { eventType: number };
