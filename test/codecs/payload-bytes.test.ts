/**
 * The codecs' hand-written Payload serializer writes exactly protobufjs's bytes (so every
 * ciphertext and compressed payload stays readable by both), including multi-byte
 * varint lengths, empty and absent fields and non-ASCII metadata keys.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { deserializePayload, serializePayload } from '../../codecs/payload-bytes';
import { encodeUtf8, type Payload } from '../../src/converter';

const test = suite('codecs: payload bytes');
const PayloadMessage = temporal.api.common.v1.Payload;

const cases: Array<[string, Payload]> = [
  ['no fields', {}],
  ['empty data, no metadata', { data: new Uint8Array(0) }],
  ['metadata only', { metadata: { encoding: encodeUtf8('binary/null') } }],
  ['json', { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('{"a":1}') }],
  [
    'several entries, unicode key, empty value',
    { metadata: { encoding: encodeUtf8('binary/plain'), 'clé-ü': encodeUtf8('v'), empty: new Uint8Array(0) }, data: crypto.randomBytes(10) },
  ],
  ['127 / 128 / 16384 byte boundaries', { metadata: { k: crypto.randomBytes(127), l: crypto.randomBytes(128) }, data: crypto.randomBytes(16384) }],
  ['1 MiB + 3 (three-byte and larger varints)', { metadata: { encoding: encodeUtf8('binary/plain') }, data: crypto.randomBytes(1024 * 1024 + 3) }],
  ['a long key', { metadata: { ['k'.repeat(300)]: crypto.randomBytes(5) }, data: crypto.randomBytes(200) }],
];

for (const [name, payload] of cases) {
  test(`${name}: the same bytes as protobufjs, and back`, () => {
    const mine = Buffer.from(serializePayload(payload));
    const theirs = Buffer.from(PayloadMessage.encode(payload).finish());
    assert.ok(mine.equals(theirs), `${name}: ${mine.byteLength} bytes vs protobufjs ${theirs.byteLength}`);
    const back = deserializePayload(mine, 'payload');
    assert.equal(Buffer.from(back.data ?? []), Buffer.from(payload.data ?? []));
    assert.equal(Object.keys(back.metadata ?? {}), Object.keys(payload.metadata ?? {}));
  });
}

test('a payload with externalPayloads keeps them (protobufjs path)', () => {
  const payload = { metadata: { encoding: encodeUtf8('binary/plain') }, data: encodeUtf8('x'), externalPayloads: [{ sizeBytes: 42 }] } as Payload;
  const back = deserializePayload(serializePayload(payload), 'payload') as Payload & { externalPayloads?: Array<{ sizeBytes: unknown }> };
  assert.is(Number(back.externalPayloads?.[0]?.sizeBytes), 42);
});

test.run();
