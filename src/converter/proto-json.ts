/**
 * Canonical proto3 JSON for protobufjs messages, read from the message's reflection
 * (`$type`) by duck typing, so it works with any copy of protobufjs (the official SDK's
 * `instanceof Type` check does not) and needs no import of it.
 *
 * The writer matches protobufjs's `ext/protojson` `toJson` (what the official SDK's
 * `json/protobuf` converter uses) output for output: json names, implicit defaults
 * omitted, 64-bit integers as strings, enums by name, bytes as base64, and the well-known
 * types (Duration, Timestamp, FieldMask, wrappers, Struct/Value/ListValue, Any).
 *
 * The reader turns proto3 JSON into the plain-object form protobufjs's `fromObject`
 * accepts (well-known types expanded, json names mapped to field names).
 */
import { decodeBase64, encodeBase64 } from '../common/base64';

/** The parts of a protobufjs reflection `Type` this module reads. */
export interface ReflectedType {
  readonly fullName: string;
  readonly fieldsArray: readonly ReflectedField[];
  readonly fields: Readonly<Record<string, ReflectedField>>;
  readonly root?: { lookupType(name: string): ReflectedType; resolveAll?(): unknown } | null;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  fromObject(object: Record<string, unknown>): object;
}

/** The parts of a protobufjs reflection `Enum` this module reads. */
interface ReflectedEnum {
  readonly fullName: string;
  readonly values: Readonly<Record<string, number>>;
  readonly valuesById: Readonly<Record<number, string>>;
  readonly valuesOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The parts of a protobufjs reflection `Field` (or `MapField`) this module reads. */
interface ReflectedField {
  readonly name: string;
  readonly type: string;
  readonly jsonName?: string;
  readonly protoName?: string;
  readonly repeated?: boolean;
  readonly map?: boolean;
  readonly keyType?: string;
  readonly hasPresence?: boolean;
  readonly partOf?: unknown;
  readonly declaringField?: unknown;
  readonly fullName?: string;
  readonly resolvedType?: ReflectedType | ReflectedEnum | null;
  resolve?(): ReflectedField;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** protobufjs's and protoc's default recursion limit. */
const RECURSION_LIMIT = 100;
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function isType(t: unknown): t is ReflectedType {
  return typeof t === 'object' && t !== null && Array.isArray((t as ReflectedType).fieldsArray);
}

function isEnum(t: unknown): t is ReflectedEnum {
  return typeof t === 'object' && t !== null && typeof (t as ReflectedEnum).valuesById === 'object' && !isType(t);
}

function hasOwn(o: unknown, k: string): boolean {
  return o != null && Object.prototype.hasOwnProperty.call(o, k);
}

/** Assigns without letting a key named `__proto__` change the prototype. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** protoc's json_name: drop underscores and upper-case the letter after each. */
function toJsonName(name: string): string {
  return name.replace(/_+([a-zA-Z0-9]?)/g, (_m, c: string) => c.toUpperCase());
}

function resolved(field: ReflectedField): ReflectedField {
  return typeof field.resolve === 'function' ? field.resolve() : field;
}

function isExtension(field: ReflectedField): boolean {
  return Boolean(field.declaringField) || field.name.charAt(0) === '.';
}

function jsonKey(field: ReflectedField): string {
  if (isExtension(field)) {
    const df = (field.declaringField as ReflectedField | undefined) ?? field;
    const full = (df.fullName ?? df.name).replace(/^\./, '');
    return `[${df.protoName ? full.replace(/[^.]+$/, df.protoName) : full}]`;
  }
  return field.jsonName ?? toJsonName(field.name);
}

function longToNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return Number(value) || 0;
}

function isImplicitDefault(field: ReflectedField, value: unknown): boolean {
  if (field.hasPresence || field.repeated || field.map || isType(field.resolvedType)) return false;
  if (isEnum(field.resolvedType)) return value === 0;
  switch (field.type) {
    case 'bool':
      return value === false;
    case 'string':
      return value === '';
    case 'bytes':
      return value == null || (value as Uint8Array).length === 0;
    default:
      return longToNumber(value) === 0;
  }
}

function writeScalar(type: string, value: unknown): Json {
  if (LONG_TYPES.has(type)) return value == null ? '0' : String(value);
  if (type === 'float' || type === 'double') return typeof value === 'number' && !Number.isFinite(value) ? String(value) : (value as number);
  if (type === 'bytes') return value == null ? '' : encodeBase64(value as Uint8Array);
  return value as Json;
}

function enumJsonName(enm: ReflectedEnum, name: string): string | undefined {
  const options = hasOwn(enm.valuesOptions, name) ? enm.valuesOptions![name] : undefined;
  return hasOwn(options, '(pb.enumvalue.json).string') ? (options!['(pb.enumvalue.json).string'] as string) : undefined;
}

function writeSingular(field: ReflectedField, value: unknown, depth: number): Json {
  const rt = field.resolvedType;
  if (isType(rt)) return writeMessage(rt, value as Record<string, unknown>, depth + 1);
  if (isEnum(rt)) {
    if (rt.fullName === '.google.protobuf.NullValue') return null;
    const name = rt.valuesById[value as number];
    if (name === undefined) return value as Json;
    return enumJsonName(rt, name) ?? name;
  }
  return writeScalar(field.type, value);
}

/** Map keys of 64-bit types may be protobufjs "hash" strings (8 raw bytes, little-endian). */
function mapKeyToString(key: string, keyType: string | undefined): string {
  if (!keyType || !LONG_TYPES.has(keyType) || /^-?(?:0|[1-9][0-9]*)$/.test(key) || key.length !== 8) return key;
  let n = 0n;
  for (let i = 7; i >= 0; i--) n = (n << 8n) | BigInt(key.charCodeAt(i) & 0xff);
  const unsigned = keyType === 'uint64' || keyType === 'fixed64';
  return (unsigned ? n : BigInt.asIntN(64, n)).toString();
}

/**
 * Resolves `type`'s root, as protojson does before each call: field presence
 * (`hasPresence`) is only right once the root's features are resolved. Cheap when the
 * root is already resolved.
 */
export function resolveRoot(type: ReflectedType): void {
  type.root?.resolveAll?.();
}

/**
 * A message's canonical proto3 JSON value.
 * @throws {Error} past 100 levels of nesting, or on an out-of-range Duration/Timestamp
 */
export function writeMessage(type: ReflectedType, message: Record<string, unknown>, depth = 0): Json {
  if (depth === 0) resolveRoot(type);
  if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
  const wkt = WKT_TO[type.fullName];
  if (wkt) return wkt(type, message, depth);
  const out: Record<string, Json> = {};
  for (const f of type.fieldsArray) {
    const field = resolved(f);
    const value = message[field.name];
    if (value == null) continue;
    const key = jsonKey(field);
    if (field.map) {
      const keys = Object.keys(value as object);
      if (keys.length === 0) continue;
      const mo: Record<string, Json> = {};
      for (const k of keys) setOwn(mo, mapKeyToString(k, field.keyType), writeSingular(field, (value as Record<string, unknown>)[k], depth));
      setOwn(out, key, mo);
    } else if (field.repeated) {
      const arr = value as unknown[];
      if (arr.length === 0) continue;
      setOwn(
        out,
        key,
        arr.map((v) => writeSingular(field, v, depth)),
      );
    } else {
      if (!hasOwn(message, field.name) || isImplicitDefault(field, value)) continue;
      setOwn(out, key, writeSingular(field, value, depth));
    }
  }
  return out;
}

// --- well-known types, written ---

function nanosToString(nanos: number): string {
  let s = String(Math.abs(nanos)).padStart(9, '0');
  while (s.length > 3 && s.endsWith('000')) s = s.slice(0, -3);
  return s;
}

function fieldByJsonName(type: ReflectedType, name: string): ReflectedField | undefined {
  for (const f of type.fieldsArray) {
    if (f.name === name || f.protoName === name || (f.jsonName ?? toJsonName(f.name)) === name) return resolved(f);
  }
  return undefined;
}

function wktFieldValue(type: ReflectedType, message: Record<string, unknown>, name: string): unknown {
  const field = fieldByJsonName(type, name);
  if (!field) return message?.[name];
  for (const k of [field.name, field.protoName, field.jsonName]) if (k && hasOwn(message, k)) return message[k];
  return undefined;
}

type WktWriter = (type: ReflectedType, message: Record<string, unknown>, depth: number) => Json;
const WKT_TO: Record<string, WktWriter> = Object.create(null);

WKT_TO['.google.protobuf.Duration'] = (_t, m) => {
  const seconds = longToNumber(m.seconds);
  const nanos = (m.nanos as number) || 0;
  if (seconds > 315576000000 || seconds < -315576000000) throw new Error('google.protobuf.Duration out of range');
  if (nanos > 999999999 || nanos < -999999999 || (seconds && nanos && seconds < 0 !== nanos < 0)) {
    throw new Error('google.protobuf.Duration nanos invalid');
  }
  return `${seconds < 0 || nanos < 0 ? '-' : ''}${Math.abs(seconds)}${nanos ? `.${nanosToString(nanos)}` : ''}s`;
};

WKT_TO['.google.protobuf.Timestamp'] = (_t, m) => {
  const seconds = longToNumber(m.seconds);
  const nanos = (m.nanos as number) || 0;
  if (seconds < -62135596800 || seconds > 253402300799) throw new Error('google.protobuf.Timestamp out of range');
  if (nanos < 0 || nanos > 999999999) throw new Error('google.protobuf.Timestamp nanos out of range');
  const iso = new Date(seconds * 1000).toISOString();
  return iso.replace(/\.\d+Z$/, nanos ? `.${nanosToString(nanos)}Z` : 'Z');
};

WKT_TO['.google.protobuf.FieldMask'] = (_t, m) => {
  const paths = (m.paths as string[] | undefined) ?? [];
  return paths
    .map((p) => {
      const camel = toJsonName(p);
      if (camelToSnake(camel) !== p) throw new Error(`google.protobuf.FieldMask path does not round-trip: ${p}`);
      return camel;
    })
    .join(',');
};

for (const name of ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']) {
  WKT_TO[`.google.protobuf.${name}`] = (type, m, depth) => {
    const field = resolved(type.fields.value!);
    const value = wktFieldValue(type, m, 'value');
    return writeSingular(field, value === undefined ? (field as { defaultValue?: unknown }).defaultValue : value, depth);
  };
}

function valueToJson(m: Record<string, unknown> | null | undefined, depth: number): Json {
  if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
  if (m == null || hasOwn(m, 'nullValue')) return null;
  if (hasOwn(m, 'numberValue')) {
    if (typeof m.numberValue === 'number' && !Number.isFinite(m.numberValue)) throw new Error('google.protobuf.Value cannot hold a non-finite number');
    return m.numberValue as number;
  }
  if (hasOwn(m, 'stringValue')) return m.stringValue as string;
  if (hasOwn(m, 'boolValue')) return m.boolValue as boolean;
  if (hasOwn(m, 'structValue')) return structToJson(m.structValue as Record<string, unknown>, depth + 1);
  if (hasOwn(m, 'listValue')) return listToJson(m.listValue as Record<string, unknown>, depth + 1);
  return null;
}

function structToJson(m: Record<string, unknown> | undefined, depth: number): Json {
  const out: Record<string, Json> = {};
  const fields = m?.fields as Record<string, Record<string, unknown>> | undefined;
  if (fields) for (const k in fields) if (hasOwn(fields, k)) setOwn(out, k, valueToJson(fields[k], depth));
  return out;
}

function listToJson(m: Record<string, unknown> | undefined, depth: number): Json {
  const values = m?.values as Record<string, unknown>[] | undefined;
  return values ? values.map((v) => valueToJson(v, depth)) : [];
}

WKT_TO['.google.protobuf.Value'] = (_t, m, depth) => valueToJson(m, depth);
WKT_TO['.google.protobuf.Struct'] = (_t, m, depth) => structToJson(m, depth);
WKT_TO['.google.protobuf.ListValue'] = (_t, m, depth) => listToJson(m, depth);

WKT_TO['.google.protobuf.Any'] = (type, m, depth) => {
  const typeUrl = wktFieldValue(type, m, 'type_url') as string | undefined;
  if (!typeUrl) return {};
  const msgType = lookupRoot(type).lookupType(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
  const value = wktFieldValue(type, m, 'value') as Uint8Array | undefined;
  const body = writeMessage(msgType, msgType.decode(value ?? new Uint8Array(0)) as Record<string, unknown>, depth + 1);
  if (WKT_TO[msgType.fullName]) return { '@type': typeUrl, value: body };
  const result: Record<string, Json> = { '@type': typeUrl };
  for (const k in body as Record<string, Json>) if (hasOwn(body, k)) setOwn(result, k, (body as Record<string, Json>)[k]!);
  return result;
};

function lookupRoot(type: ReflectedType): { lookupType(name: string): ReflectedType } {
  if (!type.root) throw new Error(`${type.fullName} has no root to look up the type of an Any`);
  return type.root;
}

function camelToSnake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// --- reading ---

/**
 * Turns a proto3 JSON value into the object form `type.fromObject` accepts. Unknown
 * fields are ignored, as the official SDK's converter does.
 * @throws {Error} when a value has the wrong JSON type for its field
 */
export function readMessage(type: ReflectedType, json: unknown, depth = 0): Record<string, unknown> {
  if (depth === 0) resolveRoot(type);
  if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
  const wkt = WKT_FROM[type.fullName];
  if (wkt) return wkt(type, json, depth);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${type.fullName}: expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    const field = fieldByJsonName(type, key);
    if (!field) continue;
    const value = (json as Record<string, unknown>)[key];
    if (value === null) {
      if (isType(field.resolvedType) && field.resolvedType.fullName === '.google.protobuf.Value') setOwn(out, field.name, { nullValue: 0 });
      else if (isEnum(field.resolvedType) && field.resolvedType.fullName === '.google.protobuf.NullValue') setOwn(out, field.name, 0);
      continue;
    }
    setOwn(out, field.name, readField(field, value, depth));
  }
  return out;
}

function readField(field: ReflectedField, value: unknown, depth: number): unknown {
  if (field.map) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${field.name}: expected a JSON object for a map`);
    const map: Record<string, unknown> = {};
    for (const k of Object.keys(value)) setOwn(map, k, readSingular(field, (value as Record<string, unknown>)[k], depth));
    return map;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new Error(`${field.name}: expected a JSON array`);
    return value.map((v) => readSingular(field, v, depth));
  }
  return readSingular(field, value, depth);
}

function readSingular(field: ReflectedField, value: unknown, depth: number): unknown {
  const rt = field.resolvedType;
  if (isType(rt)) return readMessage(rt, value, depth + 1);
  if (isEnum(rt) && typeof value === 'string' && !hasOwn(rt.values, value) && rt.valuesOptions) {
    for (const name of Object.keys(rt.valuesOptions)) if (enumJsonName(rt, name) === value) return rt.values[name];
  }
  // protobufjs's fromObject reads 64-bit strings, enum names, "NaN"/"Infinity" and base64 itself.
  if (field.type === 'bytes' && typeof value === 'string') return decodeBase64(value);
  return value;
}

type WktReader = (type: ReflectedType, json: unknown, depth: number) => Record<string, unknown>;
const WKT_FROM: Record<string, WktReader> = Object.create(null);

function fracToNanos(frac: string): number {
  return parseInt(frac.padEnd(9, '0').slice(0, 9), 10);
}

WKT_FROM['.google.protobuf.Duration'] = (type, json) => {
  const m = typeof json === 'string' ? /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/.exec(json) : null;
  if (!m) throw new Error(`${type.fullName}: expected a duration string such as "1.5s"`);
  const sign = m[1] ? -1 : 1;
  return { seconds: parseInt(m[2]!, 10) * sign || 0, nanos: m[3] ? fracToNanos(m[3]) * sign || 0 : 0 };
};

WKT_FROM['.google.protobuf.Timestamp'] = (type, json) => {
  const m = typeof json === 'string' ? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?(?:Z|[+-]\d{2}:\d{2})$/.exec(json) : null;
  const millis = m ? new Date(json as string).getTime() : NaN;
  if (!m || Number.isNaN(millis)) throw new Error(`${type.fullName}: expected an RFC 3339 timestamp string`);
  return { seconds: Math.floor(millis / 1000), nanos: m[1] ? fracToNanos(m[1]) : 0 };
};

WKT_FROM['.google.protobuf.FieldMask'] = (type, json) => {
  if (typeof json !== 'string') throw new Error(`${type.fullName}: expected a field mask string`);
  return { paths: json.length ? json.split(',').map(camelToSnake) : [] };
};

for (const name of ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']) {
  WKT_FROM[`.google.protobuf.${name}`] = (type, json, depth) => ({ value: readSingular(resolved(type.fields.value!), json, depth) });
}

function valueFromJson(json: unknown, depth: number): Record<string, unknown> {
  if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
  if (json === null) return { nullValue: 0 };
  switch (typeof json) {
    case 'number':
      return { numberValue: json };
    case 'string':
      return { stringValue: json };
    case 'boolean':
      return { boolValue: json };
  }
  if (Array.isArray(json)) return { listValue: { values: json.map((v) => valueFromJson(v, depth + 1)) } };
  return { structValue: { fields: structFieldsFromJson(json as Record<string, unknown>, depth + 1) } };
}

function structFieldsFromJson(json: Record<string, unknown>, depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(json)) setOwn(fields, k, valueFromJson(json[k], depth));
  return fields;
}

WKT_FROM['.google.protobuf.Value'] = (_t, json, depth) => valueFromJson(json, depth);
WKT_FROM['.google.protobuf.Struct'] = (type, json, depth) => {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${type.fullName}: expected a JSON object`);
  return { fields: structFieldsFromJson(json as Record<string, unknown>, depth + 1) };
};
WKT_FROM['.google.protobuf.ListValue'] = (type, json, depth) => {
  if (!Array.isArray(json)) throw new Error(`${type.fullName}: expected a JSON array`);
  return { values: json.map((v) => valueFromJson(v, depth + 1)) };
};

WKT_FROM['.google.protobuf.Any'] = (type, json, depth) => {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${type.fullName}: expected a JSON object`);
  const typeUrl = (json as Record<string, unknown>)['@type'];
  if (typeUrl === undefined) return {};
  if (typeof typeUrl !== 'string') throw new Error(`${type.fullName}: \`@type\` must be a string`);
  const msgType = lookupRoot(type).lookupType(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
  let body: unknown;
  if (WKT_FROM[msgType.fullName]) body = (json as Record<string, unknown>).value;
  else {
    const rest: Record<string, unknown> = {};
    for (const k of Object.keys(json)) if (k !== '@type') setOwn(rest, k, (json as Record<string, unknown>)[k]);
    body = rest;
  }
  const bytes = msgType.encode(msgType.fromObject(readMessage(msgType, body, depth + 1))).finish();
  let url = typeUrl.charAt(0) === '.' ? typeUrl.slice(1) : typeUrl;
  if (!url.includes('/')) url = `/${url}`;
  const typeUrlField = fieldByJsonName(type, 'type_url')?.name ?? 'typeUrl';
  const valueField = fieldByJsonName(type, 'value')?.name ?? 'value';
  return bytes.length ? { [typeUrlField]: url, [valueField]: bytes } : { [typeUrlField]: url };
};
