/**
 * Payload converters: round trips for each encoding, byte equality with the official SDK's
 * default payload converter, the array helpers, and the errors users can hit.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as vm from 'node:vm';
import * as official from '@temporalio/common';
import {
  arrayFromPayloads,
  BinaryPayloadConverter,
  CompositePayloadConverter,
  decodeUtf8,
  defaultPayloadConverter,
  encodeUtf8,
  fromPayloads,
  JsonPayloadConverter,
  mapFromPayloads,
  mapToPayloads,
  type Payload,
  PayloadConverterError,
  toPayloads,
  UndefinedPayloadConverter,
} from '../../src/converter';
import { BastionError, ConverterError } from '../../src/common/errors';

const encoding = (p: Payload) => decodeUtf8(p.metadata!.encoding!);

/** Metadata and data as comparable plain arrays. */
function bytesOf(p: Payload): { metadata: Record<string, number[]>; data: number[] | undefined } {
  const metadata: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = [...v];
  return { metadata, data: p.data == null ? undefined : [...p.data] };
}

function expectConverterError(fn: () => unknown, pattern: RegExp): PayloadConverterError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PayloadConverterError, `expected a PayloadConverterError, got ${String(err)}`);
    assert.ok(err instanceof ConverterError);
    assert.ok(err instanceof BastionError);
    assert.is((err as PayloadConverterError).code, 'ERR_PAYLOAD_CONVERTER');
    assert.match((err as Error).message, pattern);
    return err as PayloadConverterError;
  }
  return assert.unreachable('expected a PayloadConverterError, nothing was thrown') as never;
}

const VALUES: Array<[string, unknown]> = [
  ['a string', 'hello'],
  ['an empty string', ''],
  ['an integer', 42],
  ['a negative float', -1.5e-7],
  ['zero', 0],
  ['true', true],
  ['null', null],
  ['undefined', undefined],
  ['an object', { orderId: 42, items: [{ sku: 'a-1', qty: 2 }], note: null }],
  ['an array', [1, 'two', [3], { four: 4 }]],
  ['an empty object', {}],
  ['an empty array', []],
  ['nested unicode', { ключ: 'значение', emoji: '🎉👩‍💻', cjk: '漢字', rtl: 'שלום', combining: 'e\u0301', nul: 'a\u0000b' }],
  ['a lone surrogate', 'x\ud800y'],
  ['a Uint8Array', new Uint8Array([0, 1, 2, 254, 255])],
  ['an empty Uint8Array', new Uint8Array(0)],
  ['a Date (JSON string)', new Date(Date.UTC(2024, 1, 29, 12, 0, 0))],
];

const compat = suite('payload converter: official SDK compatibility');

for (const [name, value] of VALUES) {
  compat(`writes the same bytes as the official converter for ${name}`, () => {
    const ours = defaultPayloadConverter.toPayload(value);
    const theirs = official.defaultPayloadConverter.toPayload(value);
    assert.equal(bytesOf(ours), bytesOf(theirs));
  });
}

compat('reads payloads the official converter wrote', () => {
  for (const [name, value] of VALUES) {
    const decoded = defaultPayloadConverter.fromPayload(official.defaultPayloadConverter.toPayload(value));
    const expected = value === undefined || value instanceof Uint8Array ? value : JSON.parse(JSON.stringify(value));
    assert.equal(decoded, expected, name);
  }
});

compat('the official converter reads the payloads we write', () => {
  for (const [name, value] of VALUES) {
    const decoded = official.defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(value));
    assert.equal(decoded, defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(value)), name);
  }
});

compat('toPayloads, fromPayloads and arrayFromPayloads match the official helpers', () => {
  assert.is(toPayloads(defaultPayloadConverter), undefined);
  assert.is(official.toPayloads(official.defaultPayloadConverter), undefined);
  const ours = toPayloads(defaultPayloadConverter, 'a', 1, undefined)!;
  const theirs = official.toPayloads(official.defaultPayloadConverter, 'a', 1, undefined)!;
  assert.equal(ours.map(bytesOf), theirs.map(bytesOf));
  for (const index of [0, 1, 2, 3, 10]) {
    assert.equal(fromPayloads(defaultPayloadConverter, index, ours), official.fromPayloadsAtIndex(official.defaultPayloadConverter, index, theirs));
  }
  assert.is(fromPayloads(defaultPayloadConverter, 0, undefined), undefined);
  assert.is(fromPayloads(defaultPayloadConverter, 0, null), undefined);
  assert.equal(arrayFromPayloads(defaultPayloadConverter, ours), ['a', 1, undefined]);
  assert.equal(arrayFromPayloads(defaultPayloadConverter, undefined), []);
});

const roundTrip = suite('payload converter: round trips');

roundTrip('undefined travels as binary/null with no data', () => {
  const p = defaultPayloadConverter.toPayload(undefined);
  assert.is(encoding(p), 'binary/null');
  assert.is(p.data, undefined);
  assert.is(defaultPayloadConverter.fromPayload(p), undefined);
});

roundTrip('a Uint8Array travels as binary/plain and comes back as a Uint8Array of this realm', () => {
  const bytes = new Uint8Array([9, 8, 7]);
  const p = defaultPayloadConverter.toPayload(bytes);
  assert.is(encoding(p), 'binary/plain');
  const back = defaultPayloadConverter.fromPayload<Uint8Array>(p);
  assert.ok(back instanceof Uint8Array);
  assert.equal([...back], [9, 8, 7]);
  // A Buffer is a Uint8Array too; it comes back as a plain Uint8Array.
  const fromBuffer = defaultPayloadConverter.fromPayload<Uint8Array>(defaultPayloadConverter.toPayload(Buffer.from('hi')));
  assert.is(Object.getPrototypeOf(fromBuffer), Uint8Array.prototype);
  assert.is(decodeUtf8(fromBuffer), 'hi');
});

roundTrip('a Uint8Array from another realm is still binary/plain', () => {
  const foreign = vm.runInNewContext('new Uint8Array([1, 2, 3])');
  assert.not.ok(foreign instanceof Uint8Array);
  const p = defaultPayloadConverter.toPayload(foreign);
  assert.is(encoding(p), 'binary/plain');
  const back = defaultPayloadConverter.fromPayload<Uint8Array>(p);
  assert.ok(back instanceof Uint8Array);
  assert.equal([...back], [1, 2, 3]);
});

roundTrip('JSON values come back equal', () => {
  for (const value of ['x', 0, -3.25, false, null, { a: { b: [1, { c: 'ü' }] } }, ['🎉']]) {
    const p = defaultPayloadConverter.toPayload(value);
    assert.is(encoding(p), 'json/plain');
    assert.equal(defaultPayloadConverter.fromPayload(p), value);
  }
});

roundTrip('a json/plain payload with a leading byte-order mark decodes like the official SDK (it is not stripped)', () => {
  const p = { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('\ufeff"x"') };
  assert.throws(() => official.defaultPayloadConverter.fromPayload(p));
  expectConverterError(() => defaultPayloadConverter.fromPayload(p), /does not hold valid JSON/);
});

roundTrip('mapToPayloads and mapFromPayloads convert each entry', () => {
  const map = mapToPayloads(defaultPayloadConverter, { a: 1, b: 'two', c: undefined });
  assert.equal(mapFromPayloads(defaultPayloadConverter, map), { a: 1, b: 'two', c: undefined });
  assert.is(mapFromPayloads(defaultPayloadConverter, undefined), undefined);
});

roundTrip('a composite of custom converters dispatches by encoding', () => {
  const upper = {
    encodingType: 'text/upper',
    toPayload: (v: unknown) => (typeof v === 'string' ? { metadata: { encoding: encodeUtf8('text/upper') }, data: encodeUtf8(v.toUpperCase()) } : undefined),
    fromPayload: <T>(p: Payload) => decodeUtf8(p.data!).toLowerCase() as T,
  };
  const converter = new CompositePayloadConverter(new UndefinedPayloadConverter(), upper, new BinaryPayloadConverter(), new JsonPayloadConverter());
  const p = converter.toPayload('shout');
  assert.is(encoding(p), 'text/upper');
  assert.is(decodeUtf8(p.data!), 'SHOUT');
  assert.is(converter.fromPayload(p), 'shout');
  assert.is(encoding(converter.toPayload(5)), 'json/plain');
});

const errors = suite('payload converter: errors');

errors('refuses a function, naming it', () => {
  expectConverterError(() => defaultPayloadConverter.toPayload(function chargeCard() {}), /function named `chargeCard`.*`json\/plain`/);
  // The official SDK silently writes an empty json/plain payload instead.
  assert.is(official.defaultPayloadConverter.toPayload(() => 1).data!.length, 0);
});

errors('refuses a symbol and a BigInt, naming the type', () => {
  expectConverterError(() => defaultPayloadConverter.toPayload(Symbol('s')), /a symbol.*JSON has no form/);
  expectConverterError(() => defaultPayloadConverter.toPayload(10n), /a BigInt/);
  const err = expectConverterError(() => defaultPayloadConverter.toPayload({ amount: 10n }), /contains a BigInt/);
  assert.ok(err.cause instanceof TypeError);
});

errors('refuses a circular value', () => {
  const order: Record<string, unknown> = { id: 1 };
  order.self = order;
  expectConverterError(() => defaultPayloadConverter.toPayload(order), /circular reference/);
});

errors('an unknown encoding names it and the known ones', () => {
  const p = { metadata: { encoding: encodeUtf8('binary/encrypted') }, data: new Uint8Array([1]) };
  const err = expectConverterError(() => defaultPayloadConverter.fromPayload(p), /Unknown payload encoding `binary\/encrypted`/);
  for (const known of ['binary/null', 'binary/plain', 'json/plain', 'json/protobuf', 'binary/protobuf']) assert.ok(err.message.includes(`\`${known}\``), known);
  assert.match(err.message, /payloadCodecs/);
});

errors('a payload without metadata or encoding is refused', () => {
  expectConverterError(() => defaultPayloadConverter.fromPayload({ data: encodeUtf8('1') }), /no `metadata`/);
  expectConverterError(() => defaultPayloadConverter.fromPayload({ metadata: {}, data: encodeUtf8('1') }), /no `metadata.encoding`/);
});

errors('a json/plain payload without data or with malformed JSON is refused', () => {
  const meta = { encoding: encodeUtf8('json/plain') };
  expectConverterError(() => defaultPayloadConverter.fromPayload({ metadata: meta }), /`json\/plain` payload has no `data`/);
  expectConverterError(
    () => defaultPayloadConverter.fromPayload({ metadata: meta, data: encodeUtf8('{nope') }),
    /`json\/plain` payload does not hold valid JSON/,
  );
});

errors('a composite needs at least one converter, and says which encodings it tried', () => {
  expectConverterError(() => new CompositePayloadConverter(), /at least one converter/);
  const onlyBinary = new CompositePayloadConverter(new BinaryPayloadConverter());
  expectConverterError(() => onlyBinary.toPayload({ a: 1 }), /No payload converter accepts an object; tried encodings: `binary\/plain`/);
});

compat.run();
roundTrip.run();
errors.run();
