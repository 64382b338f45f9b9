/**
 * Payload converters: turn JS values into {@link Payload}s and back. The wire format is the
 * official SDK's, byte for byte, so Bastion and official workers, clients and activities
 * read each other's payloads.
 *
 * Runs in the workflow sandbox too: no Node built-ins, no `Buffer`.
 */
import { describeType, PayloadConverterError } from './errors';
import { decodeUtf8, encodeUtf8, encodingTypes, localBytes, METADATA_ENCODING_KEY, metadataString, type Payload } from '../common/payload';
import { ProtobufBinaryPayloadConverter, ProtobufJsonPayloadConverter, type ProtobufRoot } from './protobuf-payload-converter';

/** Converts values to payloads and back. Implement this to plug in your own serialization. */
export interface PayloadConverter {
  /**
   * @throws {PayloadConverterError} when the value cannot be serialized
   */
  toPayload(value: unknown): Payload;
  /**
   * @throws {PayloadConverterError} when the payload's encoding is unknown or its data malformed
   */
  fromPayload<T>(payload: Payload): T;
}

/** A converter for one encoding; a {@link CompositePayloadConverter} chains several. */
export interface PayloadConverterWithEncoding {
  /** The `encoding` metadata this converter writes and reads, e.g. `json/plain`. */
  readonly encodingType: string;
  /** The payload, or `undefined` when this converter does not handle the value (the next one is tried). */
  toPayload(value: unknown): Payload | undefined;
  fromPayload<T>(payload: Payload): T;
}

function encodingMetadata(encoding: string): Record<string, Uint8Array> {
  return { [METADATA_ENCODING_KEY]: encodeUtf8(encoding) };
}

/** `undefined` ⇄ a `binary/null` payload with no data. */
export class UndefinedPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_NULL;

  toPayload(value: unknown): Payload | undefined {
    if (value !== undefined) return undefined;
    return { metadata: encodingMetadata(this.encodingType) };
  }

  fromPayload<T>(_payload: Payload): T {
    return undefined as T;
  }
}

/** `Uint8Array` (of any realm, `Buffer` included) ⇄ a `binary/plain` payload holding the bytes. */
export class BinaryPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_RAW;

  toPayload(value: unknown): Payload | undefined {
    if (!isUint8Array(value)) return undefined;
    return { metadata: encodingMetadata(this.encodingType), data: value };
  }

  fromPayload<T>(payload: Payload): T {
    // Same as the official SDK: missing data decodes as what was there (undefined/null).
    return (payload.data == null ? payload.data : localBytes(payload.data)) as T;
  }
}

/**
 * Anything `JSON.stringify` accepts ⇄ a `json/plain` payload. Functions, symbols and
 * BigInts are refused with an error naming the type; the official SDK would silently
 * write an empty payload for the first two.
 */
export class JsonPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_JSON;

  toPayload(value: unknown): Payload | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new PayloadConverterError(
        `Cannot convert ${describeType(value)} to a \`json/plain\` payload: JSON has no form for it. Pass data (objects, arrays, strings, numbers, booleans, null) or a Uint8Array.`,
      );
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      throw new PayloadConverterError(`Cannot convert ${describeType(value)} to a \`json/plain\` payload: ${jsonFailureReason(err)}.`, { cause: err });
    }
    if (json === undefined) {
      // A `toJSON()` that returned undefined, a function or a symbol.
      throw new PayloadConverterError(`Cannot convert ${describeType(value)} to a \`json/plain\` payload: JSON.stringify produced nothing for it.`);
    }
    return { metadata: encodingMetadata(this.encodingType), data: encodeUtf8(json) };
  }

  fromPayload<T>(payload: Payload): T {
    if (payload.data == null) {
      throw new PayloadConverterError('A `json/plain` payload has no `data`; it cannot be decoded.');
    }
    try {
      return JSON.parse(decodeUtf8(payload.data)) as T;
    } catch (err) {
      throw new PayloadConverterError(`A \`json/plain\` payload does not hold valid JSON (${(err as Error).message}).`, { cause: err });
    }
  }
}

function jsonFailureReason(err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  if (/BigInt/i.test(message)) return 'it contains a BigInt, which JSON cannot represent. Convert it to a string or number first';
  if (/circular/i.test(message)) return 'it contains a circular reference';
  return `JSON.stringify failed (${message})`;
}

/** `instanceof Uint8Array` that also holds for arrays made in another realm. */
function isUint8Array(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/**
 * Tries each converter in order on `toPayload` (the first that returns a payload wins) and
 * picks the converter by `metadata.encoding` on `fromPayload`.
 */
export class CompositePayloadConverter implements PayloadConverter {
  readonly converters: readonly PayloadConverterWithEncoding[];
  private readonly byEncoding = new Map<string, PayloadConverterWithEncoding>();

  /**
   * @throws {PayloadConverterError} when no converter is given
   */
  constructor(...converters: PayloadConverterWithEncoding[]) {
    if (converters.length === 0) {
      throw new PayloadConverterError('`CompositePayloadConverter` needs at least one converter; pass e.g. `new JsonPayloadConverter()`.');
    }
    this.converters = converters;
    for (const c of converters) this.byEncoding.set(c.encodingType, c);
  }

  toPayload(value: unknown): Payload {
    for (const converter of this.converters) {
      const payload = converter.toPayload(value);
      if (payload !== undefined) return payload;
    }
    throw new PayloadConverterError(`No payload converter accepts ${describeType(value)}; tried encodings: ${this.knownEncodings()}.`);
  }

  fromPayload<T>(payload: Payload): T {
    if (payload == null || payload.metadata == null) {
      throw new PayloadConverterError('The payload has no `metadata`, so its `encoding` is unknown; it cannot be decoded.');
    }
    const encoding = metadataString(payload, METADATA_ENCODING_KEY);
    if (encoding === undefined) {
      throw new PayloadConverterError(`The payload has no \`metadata.encoding\`; this converter reads: ${this.knownEncodings()}.`);
    }
    const converter = this.byEncoding.get(encoding);
    if (converter === undefined) {
      throw new PayloadConverterError(
        `Unknown payload encoding \`${encoding}\`; this converter reads: ${this.knownEncodings()}. ` +
          "A payload codec may not have decoded it (is `payloadCodecs` the same as the writer's?), or the writer used a custom payload converter.",
      );
    }
    return converter.fromPayload<T>(payload);
  }

  private knownEncodings(): string {
    return [...this.byEncoding.keys()].map((e) => `\`${e}\``).join(', ');
  }
}

/** Options of {@link createDefaultPayloadConverter}. */
export interface DefaultPayloadConverterOptions {
  /**
   * A protobufjs `Root` holding your message types. With it, `json/protobuf` and
   * `binary/protobuf` payloads decode to message instances; without it, `json/protobuf`
   * decodes to a plain object and `binary/protobuf` cannot be decoded.
   * @default undefined
   */
  protobufRoot?: ProtobufRoot;
}

/**
 * Bastion's default chain: `undefined` → `binary/null`, `Uint8Array` → `binary/plain`,
 * protobufjs messages → `json/protobuf`, everything else → `json/plain`; it also reads
 * `binary/protobuf`. The same order as the Go SDK and the official TypeScript SDK's
 * `DefaultPayloadConverterWithProtobufs`.
 */
export function createDefaultPayloadConverter(options: DefaultPayloadConverterOptions = {}): CompositePayloadConverter {
  return new CompositePayloadConverter(
    new UndefinedPayloadConverter(),
    new BinaryPayloadConverter(),
    new ProtobufJsonPayloadConverter(options.protobufRoot),
    new ProtobufBinaryPayloadConverter(options.protobufRoot),
    new JsonPayloadConverter(),
  );
}

/** The default payload converter, without a protobuf root (see {@link createDefaultPayloadConverter}). */
export const defaultPayloadConverter: PayloadConverter = createDefaultPayloadConverter();

/**
 * Converts each value; `undefined` when there are no values (the official SDK's shape for
 * "no arguments").
 * @throws {PayloadConverterError} when a value cannot be converted
 */
export function toPayloads(converter: PayloadConverter, ...values: unknown[]): Payload[] | undefined {
  if (values.length === 0) return undefined;
  return values.map((v) => converter.toPayload(v));
}

/**
 * The value at `index`, or `undefined` when there is no payload there — so a new trailing
 * argument is a backward-compatible change.
 */
export function fromPayloads<T>(converter: PayloadConverter, index: number, payloads?: Payload[] | null): T {
  if (payloads == null || index >= payloads.length) return undefined as T;
  const payload = payloads[index];
  if (!payload) return undefined as T;
  return converter.fromPayload<T>(payload);
}

/** Every payload converted; `[]` for none. */
export function arrayFromPayloads(converter: PayloadConverter, payloads?: Payload[] | null): unknown[] {
  if (!payloads) return [];
  // Array.from, not payloads.map: the array may come from another realm, and map would
  // build the result in that realm.
  return Array.from(payloads, (p) => converter.fromPayload(p));
}

/** Converts each value of a record (memo, headers). */
export function mapToPayloads<K extends string>(converter: PayloadConverter, map: Record<K, unknown>): Record<K, Payload> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, converter.toPayload(v)])) as Record<K, Payload>;
}

/** Converts each payload of a record; `undefined` for a missing record. */
export function mapFromPayloads<K extends string>(converter: PayloadConverter, map?: Record<K, Payload> | null): Record<K, unknown> | undefined {
  if (map == null) return undefined;
  return Object.fromEntries(Object.entries(map).map(([k, p]) => [k, converter.fromPayload(p as Payload)])) as Record<K, unknown>;
}
