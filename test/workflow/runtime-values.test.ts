/**
 * The runtime's small pure parts: the seeded random stream (same seed, same sequence on
 * every replay), the run-id hash that seeds it, and durations in workflow options.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../src/workflow/runtime/random';
import { hashString } from '../../src/common/hash-string';
import { durationProto, msFromDurationInSandbox, optionalMs } from '../../src/workflow/runtime/durations';
import { BastionError } from '../../src/common/errors';
import { COMMAND_TYPE } from '../../src/workflow/runtime/activator';
import { temporal } from '../../src/common/proto';
import { thrown } from '../helpers/errors';

const draw = (seed: number, n = 8) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => r());
};

const random = suite('workflow runtime: seeded random');

random('the same seed gives the same sequence', () => {
  assert.equal(draw(42, 50), draw(42, 50));
  assert.equal(draw(hashString('run-abc')), draw(hashString('run-abc')));
});

random('different seeds, including neighbours and 0, give different sequences', () => {
  const seqs = [0, 1, 2, 42, 0xffffffff].map((s) => JSON.stringify(draw(s)));
  assert.is(new Set(seqs).size, seqs.length);
});

random('values are in [0, 1), not stuck, and spread over the range', () => {
  for (const seed of [0, 7, 0xdeadbeef]) {
    const xs = draw(seed, 2000);
    assert.ok(
      xs.every((x) => x >= 0 && x < 1),
      'in [0, 1)',
    );
    assert.ok(new Set(xs).size > 1990, 'no short cycle');
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
    assert.ok(xs.filter((x) => x < 0.1).length > 100 && xs.filter((x) => x > 0.9).length > 100, 'both ends reached');
  }
});

random('two streams of one seed are independent of each other', () => {
  const a = seededRandom(9);
  const b = seededRandom(9);
  const first = a();
  a();
  a();
  assert.is(b(), first, 'drawing from one stream does not advance the other');
});

const hash = suite('workflow runtime: hashString');

hash('is 32-bit FNV-1a (published test vectors)', () => {
  assert.is(hashString(''), 0x811c9dc5);
  assert.is(hashString('a'), 0xe40c292c);
  assert.is(hashString('foobar'), 0xbf9cf968);
});

hash('is an unsigned 32-bit integer, stable, and differs for run ids that differ in one character', () => {
  const ids = ['7b0e5c3e-0000-4000-8000-000000000001', '7b0e5c3e-0000-4000-8000-000000000002', '7b0e5c3e-0000-4000-8000-000000000010'];
  const hs = ids.map(hashString);
  for (const h of hs) assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
  assert.is(new Set(hs).size, ids.length);
  assert.equal(ids.map(hashString), hs);
});

const constants = suite('workflow runtime: protocol constants');

constants('the runtime command type numbers are the Temporal API CommandType values of the same name', () => {
  const api = temporal.api.enums.v1.CommandType as unknown as Record<string, number>;
  for (const [name, value] of Object.entries(COMMAND_TYPE)) assert.is(api[`COMMAND_TYPE_${name}`], value, name);
});

const durations = suite('workflow runtime: durations');

durations('durationProto splits milliseconds into seconds and nanos', () => {
  assert.equal(durationProto(1500), { seconds: 1, nanos: 500_000_000 });
  assert.equal(durationProto(999), { seconds: 0, nanos: 999_000_000 });
  assert.equal(durationProto(86_400_000), { seconds: 86_400, nanos: 0 });
  assert.equal(durationProto(0), { seconds: 0, nanos: 0 });
  assert.is(durationProto(undefined), undefined);
});

durations('workflow durations accept milliseconds, ms-style strings and protobuf Durations', () => {
  assert.is(msFromDurationInSandbox(250, 'x'), 250);
  assert.is(msFromDurationInSandbox('10s', 'x'), 10_000);
  assert.is(msFromDurationInSandbox('1 minute', 'x'), 60_000);
  assert.is(msFromDurationInSandbox('1.5h', 'x'), 5_400_000);
  assert.is(msFromDurationInSandbox({ seconds: 2, nanos: 5_000_000 }, 'x'), 2005);
  assert.is(msFromDurationInSandbox('0.5ms', 'x'), 1, 'fractions round up');
});

durations('an invalid duration is rejected naming the option', () => {
  for (const bad of ['soon', -5, Number.NaN, { seconds: -1 }, true]) {
    const err = thrown(() => msFromDurationInSandbox(bad, 'startToCloseTimeout'), BastionError);
    assert.is(err.code, 'ERR_INVALID_OPTION');
    assert.match(err.message, /`startToCloseTimeout`/);
  }
});

durations('optionalMs leaves undefined and null unset, and parses the rest', () => {
  assert.is(optionalMs(undefined, 'x'), undefined);
  assert.is(optionalMs(null, 'x'), undefined);
  assert.is(optionalMs('2s', 'x'), 2000);
  assert.is(optionalMs(0, 'x'), 0);
});

random.run();
hash.run();
constants.run();
durations.run();
