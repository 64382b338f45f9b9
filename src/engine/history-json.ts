/**
 * Histories as JSON, in the form `temporal workflow show --output json` writes and the
 * official SDK's `historyToJSON` produces: canonical proto3 JSON (int64 as strings, enums
 * by their full proto names, bytes as base64, RFC 3339 timestamps, durations like "10s"),
 * `{"events":[…]}`.
 *
 * ```ts
 * import { historyFromJson } from './history-json';
 * const history = historyFromJson(fs.readFileSync('history.json', 'utf8'));
 * history.events[0].eventType; // 1 (EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
 * ```
 */
import type { Enum, Field, Type } from 'protobufjs';
import { ConverterError } from '../common/errors';
import { lookupType, temporal } from '../common/proto';
import type { TemporalTypes } from '../common/proto';
import { encodeBase64 } from '../common/base64';
import { readMessage, writeMessage, type ReflectedType } from '../converter/proto-json';

type History = TemporalTypes.api.history.v1.History;
type HistoryEvent = TemporalTypes.api.history.v1.HistoryEvent;
type Json = ReturnType<typeof writeMessage>;

const HISTORY_TYPE = 'temporal.api.history.v1.History';
const EVENT_TYPE = 'temporal.api.history.v1.HistoryEvent';
const PAYLOAD = '.temporal.api.common.v1.Payload';
const PAYLOADS = '.temporal.api.common.v1.Payloads';

/**
 * A history's proto3 JSON, as `temporal workflow show --output json` writes it.
 * @param history a decoded History, or `{ events }` of decoded (or plain-object) events
 * @returns `{ events: [...] }`, ready for `JSON.stringify`
 */
export function historyToJson(history: { events?: ReadonlyArray<TemporalTypes.api.history.v1.IHistoryEvent> | null }): { events: Json[] } {
  const type = lookupType(HISTORY_TYPE) as unknown as ReflectedType;
  const message = temporal.api.history.v1.History.fromObject(history as Record<string, unknown>);
  const json = writeMessage(type, message as unknown as Record<string, unknown>) as { events?: Json[] };
  return { events: json.events ?? [] };
}

function invalid(message: string, cause?: unknown): InstanceType<typeof ConverterError> {
  return new ConverterError('ERR_HISTORY_JSON_INVALID', message, cause === undefined ? undefined : { cause });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isType(t: unknown): t is Type {
  return typeof t === 'object' && t !== null && Array.isArray((t as Type).fieldsArray);
}

function isEnum(t: unknown): t is Enum {
  return typeof t === 'object' && t !== null && typeof (t as Enum).valuesById === 'object' && !isType(t);
}

function fieldFor(type: Type, key: string): Field | undefined {
  for (const f of type.fieldsArray) {
    // Accept json names (the usual form) and proto field names (`event_id`), as protojson readers do.
    const snake = f.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (f.name === key || (f as Field & { jsonName?: string }).jsonName === key || snake === key) return f.resolve();
  }
  return undefined;
}

const aliasCache = new WeakMap<Enum, Map<string, string>>();
const squash = (s: string) => s.replace(/_/g, '').toLowerCase();

/**
 * Every spelling of an enum's values: the full name (`EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`)
 * and the Temporal shorthand without the enum's prefix (`WorkflowExecutionStarted`),
 * compared without case or underscores.
 */
function enumAliases(enm: Enum): Map<string, string> {
  let aliases = aliasCache.get(enm);
  if (!aliases) {
    aliases = new Map();
    const prefix = `${enm.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_`;
    for (const name of Object.keys(enm.values)) {
      aliases.set(squash(name), name);
      if (name.startsWith(prefix)) aliases.set(squash(name.slice(prefix.length)), name);
    }
    aliasCache.set(enm, aliases);
  }
  return aliases;
}

function fixEnum(enm: Enum, value: unknown, path: string): unknown {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') throw invalid(`\`${path}\` must be an enum name or number, got ${JSON.stringify(value)}.`);
  if (Object.prototype.hasOwnProperty.call(enm.values, value)) return value;
  if (/^-?\d+$/.test(value)) return Number(value);
  const name = enumAliases(enm).get(squash(value));
  if (name === undefined)
    throw invalid(
      `\`${path}\` is ${JSON.stringify(value)}, which is not a value of ${enm.name} (e.g. ${Object.keys(enm.values)[1] ?? Object.keys(enm.values)[0]}).`,
    );
  return name;
}

const INTEGER_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * Integer fields take a JSON number or a decimal string (int64s are strings in proto3
 * JSON); protobufjs would silently read anything else, such as `"eventId": "one"`, as 0.
 */
function checkScalar(field: Field, value: unknown, path: string): void {
  if (INTEGER_TYPES.has(field.type)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isInteger(n)) throw invalid(`\`${path}\` must be an integer (a JSON number or a decimal string), got ${JSON.stringify(value)}.`);
  } else if (field.type === 'bool' && typeof value !== 'boolean') {
    throw invalid(`\`${path}\` must be true or false, got ${JSON.stringify(value)}.`);
  }
}

const b64 = (text: string) => encodeBase64(new TextEncoder().encode(text));

/** A Payload in its raw JSON form, `{ metadata: { encoding: base64 }, data: base64 }`. */
function isRawPayload(json: unknown): boolean {
  if (!isPlainObject(json)) return false;
  if (!Object.keys(json).every((k) => k === 'metadata' || k === 'data' || k === 'externalPayloads' || k === 'external_payloads')) return false;
  const { metadata, data } = json;
  return (
    isPlainObject(metadata) &&
    Object.keys(metadata).length > 0 &&
    Object.values(metadata).every((v) => typeof v === 'string') &&
    (data === undefined || typeof data === 'string')
  );
}

/**
 * The Temporal CLI's payload shorthand (`--payload-shorthand`, on in some views) writes a
 * json/plain payload as its JSON value, binary/null as `null`, and json/protobuf as its JSON
 * with `_protoMessageType`; this turns those back into raw payloads.
 */
function payloadFromShorthand(json: unknown): unknown {
  if (isRawPayload(json)) return json;
  if (json === null) return { metadata: { encoding: b64('binary/null') } };
  if (isPlainObject(json) && typeof json._protoMessageType === 'string') {
    const { _protoMessageType: messageType, ...rest } = json;
    return { metadata: { encoding: b64('json/protobuf'), messageType: b64(messageType as string) }, data: b64(JSON.stringify(rest)) };
  }
  return { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(json)) };
}

/** Rewrites enum shorthand and payload shorthand in `json` (a message of `type`) into canonical proto3 JSON. */
function normalize(type: Type, json: unknown, path: string): unknown {
  const name = type.fullName;
  if (name.startsWith('.google.protobuf.')) return json;
  if (name === PAYLOAD) return payloadFromShorthand(json);
  if (name === PAYLOADS && Array.isArray(json)) json = { payloads: json };
  if (!isPlainObject(json)) return json;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    const value = json[key];
    const field = fieldFor(type, key);
    const rt = field?.resolvedType;
    const at = `${path}.${key}`;
    let fixed: unknown = value;
    if (!field || value === null || value === undefined) fixed = value;
    else if (isEnum(rt)) {
      if (field.map && isPlainObject(value)) fixed = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fixEnum(rt, v, `${at}.${k}`)]));
      else fixed = field.repeated && Array.isArray(value) ? value.map((v, i) => fixEnum(rt, v, `${at}[${i}]`)) : fixEnum(rt, value, at);
    } else if (isType(rt)) {
      if (field.map && isPlainObject(value)) fixed = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(rt, v, `${at}.${k}`)]));
      else if (field.repeated && Array.isArray(value)) fixed = value.map((v, i) => normalize(rt, v, `${at}[${i}]`));
      else fixed = normalize(rt, value, at);
    } else if (!rt && !field.map) {
      if (field.repeated && Array.isArray(value)) value.forEach((v, i) => checkScalar(field, v, `${at}[${i}]`));
      else if (!field.repeated) checkScalar(field, value, at);
    }
    // Field names from here on: readMessage knows json names, not proto (`snake_case`) ones.
    Object.defineProperty(out, field?.name ?? key, { value: fixed, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Deepest nesting of objects and arrays accepted in one event. Real events stay far below
 * (a failure's cause chain adds two levels per cause); the readers below recurse, so a
 * deeper value would exhaust the stack instead of being reported.
 */
export const MAX_EVENT_JSON_DEPTH = 512;

/** Whether `value` nests objects and arrays more than `max` levels deep (iterative: never overflows itself). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * A History from its proto3 JSON: what `bastion workflow show --output json`,
 * `temporal workflow show --output json`, the Web UI's download and the official SDK's
 * `historyToJSON` write. Enum values may be full names (`EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`),
 * Temporal's shorthand (`WorkflowExecutionStarted`) or numbers; payloads may be raw or in
 * the CLI's shorthand. Unknown fields (from a newer server) are ignored.
 *
 * @param json the parsed JSON, or the JSON text
 * @returns a decoded History: enums as numbers, int64 as Long, bytes as Uint8Array
 * @throws {ConverterError} `ERR_HISTORY_JSON_INVALID` naming the event and field that is wrong
 */
export function historyFromJson(json: unknown): History {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (err) {
      throw invalid(`The history is not valid JSON: ${(err as Error).message}.`, err);
    }
  }
  if (!isPlainObject(json) || !Array.isArray(json.events)) {
    throw invalid('A history must be a JSON object with an `events` array, as `temporal workflow show --output json` writes it.');
  }
  const deep = json.events.findIndex((event: unknown) => nestsDeeperThan(event, MAX_EVENT_JSON_DEPTH));
  if (deep !== -1) {
    throw invalid(
      `\`events[${deep}]\` nests more than ${MAX_EVENT_JSON_DEPTH} levels of objects and arrays; no HistoryEvent does, so the history is damaged. Export it again with \`temporal workflow show --output json\`.`,
    );
  }
  const eventType = lookupType(EVENT_TYPE);
  const events: HistoryEvent[] = json.events.map((event: unknown, i: number) => {
    const where = `events[${i}]`;
    if (!isPlainObject(event)) throw invalid(`\`${where}\` must be a JSON object, got ${Array.isArray(event) ? 'an array' : JSON.stringify(event)}.`);
    const label = event.eventId !== undefined ? `${where} (eventId ${String(event.eventId)})` : where;
    const normalized = normalize(eventType, event, label);
    try {
      const object = readMessage(eventType as unknown as ReflectedType, normalized);
      return temporal.api.history.v1.HistoryEvent.fromObject(object);
    } catch (err) {
      throw invalid(`\`${label}\` is not a HistoryEvent in proto3 JSON: ${(err as Error).message}.`, err);
    }
  });
  return temporal.api.history.v1.History.create({ events });
}
