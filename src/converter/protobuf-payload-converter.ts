/**
 * protobufjs messages ⇄ `json/protobuf` (canonical proto3 JSON) and `binary/protobuf`
 * payloads. protobufjs is never imported: messages and roots are recognised by shape, so
 * any copy of protobufjs works, in the sandbox or out.
 */
import { PayloadConverterError } from './errors';
import {
  decodeUtf8,
  encodeUtf8,
  encodingTypes,
  localBytes,
  METADATA_ENCODING_KEY,
  METADATA_MESSAGE_TYPE_KEY,
  metadataString,
  type Payload,
} from '../common/payload';
import type { PayloadConverterWithEncoding } from './payload-converter';
import { readMessage, writeMessage, type ReflectedType } from './proto-json';

/** A protobufjs `Root` (or anything with its `lookupType`) that holds your message types. */
export interface ProtobufRoot {
  lookupType(name: string): unknown;
}

interface StaticMessageClass {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  fullName?: unknown;
  getTypeUrl?(prefix?: string): string;
  toObject?(message: unknown, options: Record<string, unknown>): unknown;
}

/** A message, its reflection type when it has one, and its full name without the leading dot. */
interface RecognisedMessage {
  readonly fullName: string;
  readonly type?: ReflectedType;
  readonly ctor?: StaticMessageClass;
}

/**
 * Recognises a protobufjs message instance: one with a reflection `$type` (messages from a
 * `Root`), or one whose class has static `encode`/`decode` and a `fullName` or
 * `getTypeUrl()` (pbjs static code).
 */
export function recogniseProtobufMessage(value: unknown): RecognisedMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const $type = (value as { $type?: unknown }).$type;
  if (isReflectedType($type)) return { fullName: stripDot($type.fullName), type: $type };
  const maybeCtor: unknown = (value as { constructor?: unknown }).constructor;
  if (typeof maybeCtor !== 'function') return undefined;
  const ctor = maybeCtor as unknown as StaticMessageClass;
  if (typeof ctor.encode !== 'function' || typeof ctor.decode !== 'function') return undefined;
  if (typeof ctor.fullName === 'string' && ctor.fullName !== '') return { fullName: stripDot(ctor.fullName), ctor };
  if (typeof ctor.getTypeUrl === 'function') {
    const url = ctor.getTypeUrl('');
    if (typeof url === 'string' && url !== '') return { fullName: stripDot(url.slice(url.lastIndexOf('/') + 1)), ctor };
  }
  return undefined;
}

function isReflectedType(t: unknown): t is ReflectedType {
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof (t as ReflectedType).fullName === 'string' &&
    Array.isArray((t as ReflectedType).fieldsArray) &&
    typeof (t as ReflectedType).encode === 'function' &&
    typeof (t as ReflectedType).decode === 'function'
  );
}

function stripDot(name: string): string {
  return name.charAt(0) === '.' ? name.slice(1) : name;
}

/** The JSON of a message: canonical proto3 JSON from its reflection, else its own `toJSON()`. */
function messageJson(message: object, recognised: RecognisedMessage): unknown {
  if (recognised.type) return writeMessage(recognised.type, message as Record<string, unknown>);
  const toJSON = (message as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return toJSON.call(message);
  // pbjs static code's toJSON uses these options (util.toJSONOptions).
  return recognised.ctor?.toObject?.(message, { longs: String, enums: String, bytes: String, json: true }) ?? message;
}

function protobufPayload(encoding: string, messageType: string, data: Uint8Array): Payload {
  return {
    metadata: { [METADATA_ENCODING_KEY]: encodeUtf8(encoding), [METADATA_MESSAGE_TYPE_KEY]: encodeUtf8(messageType) },
    data,
  };
}

function checkRoot(root: ProtobufRoot | undefined): ProtobufRoot | undefined {
  if (root !== undefined && (typeof root !== 'object' || root === null || typeof root.lookupType !== 'function')) {
    throw new PayloadConverterError(
      '`protobufRoot` must be a protobufjs Root (an object with `lookupType`), e.g. the default export of your generated `root.js`.',
    );
  }
  return root;
}

function lookup(root: ProtobufRoot, payload: Payload, encoding: string): { type: ReflectedType; data: Uint8Array } {
  if (payload.data == null) throw new PayloadConverterError(`A \`${encoding}\` payload has no \`data\`; it cannot be decoded.`);
  const name = metadataString(payload, METADATA_MESSAGE_TYPE_KEY);
  if (name === undefined) {
    throw new PayloadConverterError(`A \`${encoding}\` payload has no \`metadata.${METADATA_MESSAGE_TYPE_KEY}\`; it cannot be decoded.`);
  }
  let type: unknown;
  try {
    type = root.lookupType(name);
  } catch (err) {
    throw new PayloadConverterError(
      `A \`${encoding}\` payload holds a \`${name}\` message, which \`protobufRoot\` does not define. Add its .proto to the root you pass.`,
      { cause: err },
    );
  }
  if (!isReflectedType(type)) throw new PayloadConverterError(`\`protobufRoot.lookupType('${name}')\` did not return a protobufjs message type.`);
  return { type, data: localBytes(payload.data) };
}

/** protobufjs decodes `bytes` fields to `Buffer` in Node; hand out plain `Uint8Array`s instead. */
function replaceBuffers(value: unknown): unknown {
  if (isBuffer(value)) return new Uint8Array(value as Uint8Array);
  if (value == null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (isBuffer(child)) record[key] = new Uint8Array(child as Uint8Array);
    else if (child !== null && typeof child === 'object') replaceBuffers(child);
  }
  return value;
}

function isBuffer(value: unknown): boolean {
  // Never reference the `Buffer` global: the sandbox has none.
  const ctor = (value as { constructor?: { name?: string; isBuffer?: (v: unknown) => boolean } } | null)?.constructor;
  return typeof value === 'object' && value !== null && ctor?.name === 'Buffer' && ctor.isBuffer?.(value) === true;
}

/**
 * protobufjs messages ⇄ `json/protobuf` payloads (canonical proto3 JSON, `messageType` =
 * full name). Decodes to a message instance when given a root, to a plain object otherwise.
 */
export class ProtobufJsonPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_PROTOBUF_JSON;
  private readonly root: ProtobufRoot | undefined;

  /**
   * @param root protobufjs Root with your message types; optional
   * @throws {PayloadConverterError} when `root` has no `lookupType`
   */
  constructor(root?: ProtobufRoot) {
    this.root = checkRoot(root);
  }

  toPayload(value: unknown): Payload | undefined {
    const recognised = recogniseProtobufMessage(value);
    if (!recognised) return undefined;
    let json: string;
    try {
      json = JSON.stringify(messageJson(value as object, recognised));
    } catch (err) {
      throw new PayloadConverterError(`Cannot convert a \`${recognised.fullName}\` message to a \`json/protobuf\` payload: ${(err as Error).message}.`, {
        cause: err,
      });
    }
    return protobufPayload(this.encodingType, recognised.fullName, encodeUtf8(json));
  }

  fromPayload<T>(payload: Payload): T {
    if (!this.root) {
      if (payload.data == null) throw new PayloadConverterError('A `json/protobuf` payload has no `data`; it cannot be decoded.');
      return parseJson(payload.data, this.encodingType) as T;
    }
    const { type, data } = lookup(this.root, payload, this.encodingType);
    try {
      return replaceBuffers(type.fromObject(readMessage(type, parseJson(data, this.encodingType)))) as T;
    } catch (err) {
      if (err instanceof PayloadConverterError) throw err;
      throw new PayloadConverterError(`A \`json/protobuf\` payload does not hold a valid \`${stripDot(type.fullName)}\` (${(err as Error).message}).`, {
        cause: err,
      });
    }
  }
}

function parseJson(data: Uint8Array, encoding: string): unknown {
  try {
    return JSON.parse(decodeUtf8(data));
  } catch (err) {
    throw new PayloadConverterError(`A \`${encoding}\` payload does not hold valid JSON (${(err as Error).message}).`, { cause: err });
  }
}

/**
 * Reads `binary/protobuf` payloads (needs a root). Writes them too when used on its own;
 * in the default chain the JSON converter comes first and takes every message.
 */
export class ProtobufBinaryPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_PROTOBUF;
  private readonly root: ProtobufRoot | undefined;

  /**
   * @param root protobufjs Root with your message types; without it, decoding throws
   * @throws {PayloadConverterError} when `root` has no `lookupType`
   */
  constructor(root?: ProtobufRoot) {
    this.root = checkRoot(root);
  }

  toPayload(value: unknown): Payload | undefined {
    const recognised = recogniseProtobufMessage(value);
    if (!recognised) return undefined;
    const encoder = recognised.type ?? recognised.ctor!;
    return protobufPayload(this.encodingType, recognised.fullName, encoder.encode(value as object).finish());
  }

  fromPayload<T>(payload: Payload): T {
    if (!this.root) {
      throw new PayloadConverterError(
        `A \`binary/protobuf\` payload (\`${metadataString(payload, METADATA_MESSAGE_TYPE_KEY) ?? 'unknown type'}\`) cannot be decoded without \`protobufRoot\`; pass the protobufjs Root that defines it.`,
      );
    }
    const { type, data } = lookup(this.root, payload, this.encodingType);
    try {
      return replaceBuffers(type.decode(data)) as T;
    } catch (err) {
      throw new PayloadConverterError(`A \`binary/protobuf\` payload does not hold a valid \`${stripDot(type.fullName)}\` (${(err as Error).message}).`, {
        cause: err,
      });
    }
  }
}
