/**
 * Payloads in proto3 JSON, the codec server protocol's body:
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`.
 * Messages name the field that is wrong, never its content.
 */
import { CodecError } from '../src/common/errors';
import { decodeBase64, encodeBase64 } from '../src/common/base64';
import type { Payload } from '../src/common/payload';

/** A Payload in proto3 JSON: metadata values and data as base64. */
export interface PayloadJson {
  metadata?: Record<string, string>;
  data?: string;
}

function invalid(message: string): InstanceType<typeof CodecError> {
  return new CodecError('ERR_CODEC_SERVER_PAYLOADS_INVALID', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function base64Field(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') throw invalid(`\`${where}\` must be a base64 string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`);
  try {
    return decodeBase64(value);
  } catch (err) {
    throw invalid(`\`${where}\` is not base64: ${(err as Error).message}.`);
  }
}

/**
 * One Payload from its proto3 JSON.
 * @param where the field's path, for messages (`payloads[2]`)
 * @throws {CodecError} `ERR_CODEC_SERVER_PAYLOADS_INVALID` naming the field that is wrong
 */
export function payloadFromJson(json: unknown, where: string): Payload {
  if (!isPlainObject(json)) throw invalid(`\`${where}\` must be a JSON object with \`metadata\` and \`data\`, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}.`);
  const payload: Payload = { metadata: {} };
  if (json.metadata !== undefined && json.metadata !== null) {
    if (!isPlainObject(json.metadata)) throw invalid(`\`${where}.metadata\` must be a JSON object of base64 strings.`);
    for (const key of Object.keys(json.metadata)) {
      Object.defineProperty(payload.metadata, key, { value: base64Field(json.metadata[key], `${where}.metadata.${key}`), enumerable: true, writable: true, configurable: true });
    }
  }
  payload.data = json.data === undefined || json.data === null ? new Uint8Array(0) : base64Field(json.data, `${where}.data`);
  return payload;
}

/** A Payload's proto3 JSON: empty `metadata` and `data` are left out, as protojson does. */
export function payloadToJson(payload: Payload): PayloadJson {
  const out: PayloadJson = {};
  const entries = Object.entries(payload.metadata ?? {});
  if (entries.length > 0) {
    const metadata: Record<string, string> = {};
    for (const [k, v] of entries) Object.defineProperty(metadata, k, { value: encodeBase64(v), enumerable: true, writable: true, configurable: true });
    out.metadata = metadata;
  }
  if (payload.data && payload.data.length > 0) out.data = encodeBase64(payload.data);
  return out;
}

/**
 * The payloads of a `Payloads` message in proto3 JSON. `{}` is an empty list (proto3
 * leaves an empty repeated field out).
 * @throws {CodecError} `ERR_CODEC_SERVER_PAYLOADS_INVALID` naming the field that is wrong
 */
export function payloadsFromJson(json: unknown): Payload[] {
  if (!isPlainObject(json)) throw invalid(`The body must be a JSON object \`{"payloads": [...]}\`, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}.`);
  const list = json.payloads;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalid('`payloads` must be an array of payloads `{"metadata": {...}, "data": "<base64>"}`.');
  return list.map((p, i) => payloadFromJson(p, `payloads[${i}]`));
}

/** `{ payloads: [...] }` in proto3 JSON. */
export function payloadsToJson(payloads: readonly Payload[]): { payloads: PayloadJson[] } {
  return { payloads: payloads.map(payloadToJson) };
}

/**
 * True for an object that looks like a raw Payload in proto3 JSON: a `metadata` object
 * of strings holding `encoding`, an optional string `data`, and nothing else.
 */
export function looksLikePayloadJson(json: unknown): json is PayloadJson {
  if (!isPlainObject(json)) return false;
  for (const k of Object.keys(json)) if (k !== 'metadata' && k !== 'data' && k !== 'externalPayloads') return false;
  const { metadata, data } = json;
  return isPlainObject(metadata) && typeof metadata.encoding === 'string' && Object.values(metadata).every((v) => typeof v === 'string') && (data === undefined || typeof data === 'string');
}
