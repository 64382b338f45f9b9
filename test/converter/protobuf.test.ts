/**
 * Protobuf payloads: `json/protobuf` output equal to the official SDK's (which uses
 * protobufjs's protojson), decoding with and without a root, `binary/protobuf`, and errors.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { DefaultPayloadConverterWithProtobufs } from '@temporalio/common/lib/converter/protobuf-payload-converters';
import { temporal } from '@temporalio/proto';
import {
  createDefaultPayloadConverter,
  decodeUtf8,
  defaultPayloadConverter,
  encodeUtf8,
  type Payload,
  PayloadConverterError,
  ProtobufBinaryPayloadConverter,
  ProtobufJsonPayloadConverter,
} from '../../src/converter';

// The official converter checks `instanceof Type` against its own copy of protobufjs, so
// test messages must come from that copy.
type Protobuf = typeof import('protobufjs');
const protobuf: Protobuf = require(require.resolve('protobufjs', { paths: [path.dirname(require.resolve('@temporalio/common'))] }));

const PROTO = `
syntax = "proto3";
package demo.v1;
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/any.proto";
enum Color { COLOR_UNSPECIFIED = 0; COLOR_RED = 1; COLOR_GREEN = 2; }
message Inner { string name = 1; }
message Sample {
  string text = 1;
  int64 big = 2;
  bytes blob = 3;
  Color color = 4;
  repeated Inner items = 5;
  map<string, int32> counts = 6;
  double ratio = 7;
  bool flag = 8;
  google.protobuf.Duration wait = 9;
  google.protobuf.Timestamp at = 10;
  oneof choice { string a = 11; int32 b = 12; }
  string snake_case_field = 13;
  uint64 ubig = 14;
  float f = 15;
  optional int32 maybe = 16;
  google.protobuf.Struct extra = 17;
  google.protobuf.Int64Value wrapped = 18;
  google.protobuf.FieldMask mask = 19;
  google.protobuf.Any any = 20;
  map<int64, string> by_id = 21;
  repeated Color colors = 22;
}`;

function makeRoot() {
  const root = new protobuf.Root();
  for (const file of ['duration', 'timestamp', 'struct', 'wrappers', 'field_mask', 'any']) {
    root.addJSON(protobuf.common.get(`google/protobuf/${file}.proto`)!.nested!);
  }
  protobuf.parse(PROTO, root, { keepCase: false });
  root.resolveAll();
  return root;
}

const root = makeRoot();
const Sample = root.lookupType('demo.v1.Sample');
const Inner = root.lookupType('demo.v1.Inner');
const officialConverter = new DefaultPayloadConverterWithProtobufs({ protobufRoot: root as unknown as Record<string, unknown> });
const withRoot = createDefaultPayloadConverter({ protobufRoot: root });

const str = (p: Payload, key: string) => decodeUtf8(p.metadata![key]!);

const MESSAGES: Array<[string, () => object]> = [
  ['an empty message', () => Sample.create({})],
  [
    'scalars, enums, bytes and 64-bit integers',
    () =>
      Sample.create({
        text: 'héllo 🎉',
        big: 12345678901234,
        blob: new Uint8Array([1, 2, 255]),
        color: 1,
        ratio: 0.5,
        flag: true,
        snakeCaseField: 's',
        ubig: 7,
        f: 1.5,
      }),
  ],
  ['explicit default values (omitted in proto3 JSON)', () => Sample.create({ text: '', ratio: 0, flag: false, big: 0, color: 0, blob: new Uint8Array(0) })],
  ['non-finite doubles', () => Sample.create({ ratio: Number.NaN, f: Number.NEGATIVE_INFINITY })],
  [
    'nested, repeated and map fields',
    () => Sample.create({ items: [Inner.create({ name: 'x' }), Inner.create({})], counts: { a: 1, b: 0 }, colors: [0, 2], byId: { 5: 'five' } }),
  ],
  ['a oneof set to its default, and proto3 optional', () => Sample.create({ b: 0, maybe: 0 })],
  ['Duration and Timestamp', () => Sample.create({ wait: { seconds: 1, nanos: 500_000_000 }, at: { seconds: 1_700_000_000, nanos: 1_000 } })],
  ['negative Duration', () => Sample.create({ wait: { seconds: -2, nanos: -10 } })],
  [
    'Struct, wrappers and FieldMask',
    () =>
      Sample.create({
        extra: {
          fields: {
            s: { stringValue: 'v' },
            n: { numberValue: 2 },
            l: { listValue: { values: [{ boolValue: true }, { nullValue: 0 }] } },
            o: { structValue: { fields: {} } },
          },
        },
        wrapped: { value: 0 },
        mask: { paths: ['text', 'snake_case_field'] },
      }),
  ],
  [
    'Any holding a message',
    () => Sample.create({ any: { typeUrl: 'type.googleapis.com/demo.v1.Inner', value: Inner.encode(Inner.create({ name: 'in any' })).finish() } }),
  ],
  ['a message decoded from the wire (Long values)', () => Sample.decode(Sample.encode(Sample.create({ big: 99, ubig: 3, text: 'w' })).finish())],
];

const compat = suite('protobuf payloads: official SDK compatibility');

for (const [name, make] of MESSAGES) {
  compat(`json/protobuf bytes equal the official converter's for ${name}`, () => {
    const message = make();
    const ours = defaultPayloadConverter.toPayload(message);
    const theirs = officialConverter.toPayload(message);
    assert.is(str(ours, 'encoding'), 'json/protobuf');
    assert.is(str(ours, 'messageType'), 'demo.v1.Sample');
    assert.is(decodeUtf8(ours.data!), decodeUtf8(theirs.data!));
    assert.equal(Object.keys(ours.metadata!), Object.keys(theirs.metadata!));
  });
}

compat('decoding with a root gives a message equal to what the official converter decodes', () => {
  for (const [name, make] of MESSAGES) {
    const payload = officialConverter.toPayload(make());
    const ours = withRoot.fromPayload<Record<string, unknown>>(payload);
    const theirs = officialConverter.fromPayload<object>(payload);
    assert.ok(ours instanceof Sample.ctor, name);
    // Same wire bytes when re-encoded: same message.
    assert.equal([...Sample.encode(ours).finish()], [...Sample.encode(theirs).finish()], name);
  }
});

compat('the official converter decodes what we write', () => {
  const message = MESSAGES[1]![1]();
  const back = officialConverter.fromPayload<object>(defaultPayloadConverter.toPayload(message));
  assert.equal([...Sample.encode(back).finish()], [...Sample.encode(message).finish()]);
});

const decode = suite('protobuf payloads: decoding');

decode('without a root, json/protobuf decodes to the plain JSON object', () => {
  const payload = officialConverter.toPayload(Sample.create({ text: 'x', big: 5, color: 2 }));
  assert.equal(defaultPayloadConverter.fromPayload(payload), { text: 'x', big: '5', color: 'COLOR_GREEN' });
});

decode('bytes fields accept URL-safe and unpadded base64, as proto3 JSON allows', () => {
  const payload: Payload = {
    metadata: { encoding: encodeUtf8('json/protobuf'), messageType: encodeUtf8('demo.v1.Sample') },
    data: encodeUtf8('{"blob":"AQL_-w"}'),
  };
  const back = withRoot.fromPayload<{ blob: Uint8Array }>(payload);
  assert.equal([...back.blob], [1, 2, 255, 251]);
});

decode('binary/protobuf decodes with a root, bytes fields as plain Uint8Array', () => {
  const message = Sample.create({ text: 'bin', blob: new Uint8Array([7, 7]) });
  const payload = new ProtobufBinaryPayloadConverter().toPayload(message)!;
  assert.is(str(payload, 'encoding'), 'binary/protobuf');
  assert.equal([...payload.data!], [...Sample.encode(message).finish()]);
  const back = withRoot.fromPayload<{ text: string; blob: Uint8Array }>(payload);
  assert.is(back.text, 'bin');
  assert.is(Object.getPrototypeOf(back.blob), Uint8Array.prototype);
  assert.equal([...back.blob], [7, 7]);
});

decode('messages from another protobufjs copy (@temporalio/proto) are recognised', () => {
  const execution = temporal.api.common.v1.WorkflowExecution.create({ workflowId: 'wf-1', runId: '' });
  const payload = defaultPayloadConverter.toPayload(execution);
  assert.is(str(payload, 'encoding'), 'json/protobuf');
  assert.is(str(payload, 'messageType'), 'temporal.api.common.v1.WorkflowExecution');
  assert.is(decodeUtf8(payload.data!), '{"workflowId":"wf-1"}');
  // The official converter cannot: its `instanceof Type` fails for another copy's types.
  assert.throws(() => officialConverter.toPayload(execution), /type must be a Type/);
});

decode('a static-code message class (encode/decode/fullName) is json/protobuf via its toJSON', () => {
  class Point {
    static fullName = '.geo.Point';
    static encode() {
      return { finish: () => new Uint8Array(0) };
    }
    static decode() {
      return new Point();
    }
    x = 1;
    toJSON() {
      return { x: this.x };
    }
  }
  const payload = defaultPayloadConverter.toPayload(new Point());
  assert.is(str(payload, 'messageType'), 'geo.Point');
  assert.is(decodeUtf8(payload.data!), '{"x":1}');
});

const errors = suite('protobuf payloads: errors');

function expectError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PayloadConverterError, String(err));
    assert.is((err as PayloadConverterError).code, 'ERR_PAYLOAD_CONVERTER');
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable('nothing was thrown');
}

errors('binary/protobuf without a root says to pass protobufRoot', () => {
  const payload = new ProtobufBinaryPayloadConverter().toPayload(Sample.create({ text: 'x' }))!;
  expectError(() => defaultPayloadConverter.fromPayload(payload), /`binary\/protobuf` payload \(`demo.v1.Sample`\) cannot be decoded without `protobufRoot`/);
});

errors('a message type the root does not define is named', () => {
  const payload: Payload = { metadata: { encoding: encodeUtf8('json/protobuf'), messageType: encodeUtf8('demo.v1.Missing') }, data: encodeUtf8('{}') };
  expectError(() => withRoot.fromPayload(payload), /`demo.v1.Missing` message, which `protobufRoot` does not define/);
});

errors('a json/protobuf payload without messageType, or with malformed content, is refused', () => {
  expectError(() => withRoot.fromPayload({ metadata: { encoding: encodeUtf8('json/protobuf') }, data: encodeUtf8('{}') }), /no `metadata.messageType`/);
  const bad: Payload = { metadata: { encoding: encodeUtf8('json/protobuf'), messageType: encodeUtf8('demo.v1.Sample') }, data: encodeUtf8('{"wait": 5}') };
  expectError(() => withRoot.fromPayload(bad), /does not hold a valid `demo.v1.Sample`.*duration/);
});

errors('a protobufRoot without lookupType is refused', () => {
  expectError(() => new ProtobufJsonPayloadConverter({} as never), /`protobufRoot` must be a protobufjs Root/);
});

compat.run();
decode.run();
errors.run();
