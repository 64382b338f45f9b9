/**
 * KeyRing: the three static constructors (options, environment, file) and their
 * validation messages, the provider-backed ring's cache and failures, and that keys never
 * appear in messages, `String`, `util.inspect` or JSON.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { KeyRing, type KeyProvider } from '../../codecs/index';
import { BastionError, CodecError } from '../../src/common/errors';
import { rejectionOf } from '../helpers/test-codec';
import { timed } from '../helpers/wait';

const test = suite('codecs: key ring');

const K1 = KeyRing.generateKey();
const K2 = KeyRing.generateKey();
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-keyring-'));

function assertNoKeys(text: string, keys: Uint8Array[] = [K1, K2]): void {
  for (const key of keys) {
    assert.not.ok(text.includes(b64(key)), 'key (base64) leaked');
    assert.not.ok(text.includes(b64(key).slice(0, 20)), 'part of a key leaked');
    assert.not.ok(text.includes(Buffer.from(key).toString('hex')), 'key (hex) leaked');
    assert.not.ok(text.includes([...key].join(', ')), 'key (bytes) leaked');
  }
}

function ringError(fn: () => unknown, code = 'ERR_CODEC_KEY_RING_INVALID'): BastionError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodecError, `expected a CodecError, got ${String(err)}`);
    assert.is((err as BastionError).code, code);
    return err as BastionError;
  }
  return assert.unreachable('expected an error') as never;
}

const rejection = (p: Promise<unknown>): Promise<BastionError> => rejectionOf(p, BastionError);

test(
  'keys given as bytes or base64 are held under their ids; the active key is the one named',
  timed(5_000, async () => {
    const ring = new KeyRing({ active: 'k2', keys: { k1: b64(K1), k2: K2 } });
    assert.equal(ring.keyIds, ['k1', 'k2']);
    const active = await ring.activeKey();
    assert.is(active.id, 'k2');
    assert.ok(Buffer.from(active.key).equals(Buffer.from(K2)));
    assert.ok(Buffer.from(await ring.getKey('k1')).equals(Buffer.from(K1)));
    const copy = new Uint8Array(K1);
    const ring2 = new KeyRing({ active: 'k1', keys: { k1: copy } });
    copy.fill(0);
    assert.ok(Buffer.from(await ring2.getKey('k1')).equals(Buffer.from(K1)), "keys are copied: wiping the caller's buffer does not change the ring");
    const unknown = await rejection(ring.getKey('k3'));
    assert.is(unknown.code, 'ERR_CODEC_KEY_UNKNOWN');
    assert.match(unknown.message, /key id `k3`.*knows `k1`, `k2`/);
  }),
);

test('bad keys, ids and active ids are refused with messages that name the entry, never the key', () => {
  const short = b64(K1.subarray(0, 31));
  const cases: Array<[unknown, RegExp]> = [
    [{ active: 'k1', keys: { k1: K1.subarray(0, 16) } }, /`keys.k1` is 16 bytes; a key must be exactly 32 bytes/],
    [{ active: 'k1', keys: { k1: short } }, /`keys.k1` is 31 bytes after base64 decoding/],
    [{ active: 'k1', keys: { k1: `${b64(K1).slice(0, 20)}!!${b64(K1).slice(22)}` } }, /`keys.k1` is not valid standard base64/],
    [{ active: 'k1', keys: { k1: 42 } }, /`keys.k1` must be a Uint8Array or a base64 string; got number/],
    [{ active: 'k3', keys: { k1: K1, k2: K2 } }, /`active` is `k3`, which is not one of the ids in `keys` \(`k1`, `k2`\)/],
    [{ active: 'k1', keys: {} }, /`keys` is empty/],
    [{ active: 'k 1', keys: { 'k 1': K1 } }, /key id must be 1–64 printable ASCII characters/],
    [{ active: 'k1', keys: null }, /`keys` must be an object/],
  ];
  for (const [options, pattern] of cases) {
    const err = ringError(() => new KeyRing(options as never));
    assert.match(err.message, pattern);
    assertNoKeys(err.message);
  }
});

test('fromFile reads the JSON key file; unreadable, non-JSON and wrong-shape files are refused without quoting them', () => {
  const good = path.join(dir, 'keys.json');
  fs.writeFileSync(good, JSON.stringify({ active: 'k2', keys: { k1: b64(K1), k2: b64(K2) } }), { mode: 0o600 });
  const ring = KeyRing.fromFile(good);
  assert.equal(ring.toJSON(), { active: 'k2', keyIds: ['k1', 'k2'] });

  const missing = ringError(() => KeyRing.fromFile(path.join(dir, 'nope.json')));
  assert.match(missing.message, /key file `.*nope\.json` cannot be read \(ENOENT\)/);

  const notJson = path.join(dir, 'broken.json');
  fs.writeFileSync(notJson, `{ "active": "k1", "keys": { "k1": "${b64(K1)}" `);
  const broken = ringError(() => KeyRing.fromFile(notJson));
  assert.match(broken.message, /broken\.json` is not valid JSON/);
  assertNoKeys(broken.message);

  const wrong = path.join(dir, 'wrong.json');
  fs.writeFileSync(wrong, JSON.stringify({ active: 'k1', keys: { k1: [...K1] } }));
  const shape = ringError(() => KeyRing.fromFile(wrong));
  assert.match(shape.message, /`keys.k1` must be a base64 string; got object/);
  assertNoKeys(shape.message);

  const shortFile = path.join(dir, 'short.json');
  fs.writeFileSync(shortFile, JSON.stringify({ active: 'k1', keys: { k1: b64(new Uint8Array(24)) } }));
  assert.match(ringError(() => KeyRing.fromFile(shortFile)).message, /short\.json`: `keys.k1` is 24 bytes after base64 decoding/);
});

test('fromEnv reads BASTION_CODEC_KEYS by default, or the variable named', () => {
  const value = JSON.stringify({ active: 'k1', keys: { k1: b64(K1) } });
  assert.equal(KeyRing.fromEnv(undefined, { BASTION_CODEC_KEYS: value }).keyIds, ['k1']);
  assert.equal(KeyRing.fromEnv('MY_KEYS', { MY_KEYS: value }).keyIds, ['k1']);
  assert.match(ringError(() => KeyRing.fromEnv('MY_KEYS', {})).message, /environment variable `MY_KEYS` is not set/);
  const bad = ringError(() => KeyRing.fromEnv(undefined, { BASTION_CODEC_KEYS: value.slice(0, -5) }));
  assert.match(bad.message, /`BASTION_CODEC_KEYS` is not valid JSON/);
  assertNoKeys(bad.message);
});

test('String, util.inspect and JSON.stringify show key ids only', () => {
  const ring = new KeyRing({ active: 'k2', keys: { k1: K1, k2: K2 } });
  const shown = [
    String(ring),
    `${ring}`,
    inspect(ring, { showHidden: true, depth: 10 }),
    inspect({ nested: [ring] }, { depth: 10 }),
    JSON.stringify(ring),
    JSON.stringify({ ring }),
  ];
  for (const s of shown) assertNoKeys(s);
  assert.is(String(ring), 'KeyRing { active: k2, keys: [k1, k2] }');
  assert.is(JSON.stringify(ring), '{"active":"k2","keyIds":["k1","k2"]}');
});

test(
  'a provider-backed ring caches keys and the active id for cacheTtlMs, shares concurrent lookups, and does not cache failures',
  timed(5_000, async () => {
    const calls: string[] = [];
    let fail = true;
    const provider: KeyProvider = {
      activeKeyId: async () => {
        calls.push('active');
        return 'k1';
      },
      getKey: async (id) => {
        calls.push(id);
        if (id === 'flaky' && fail) throw new Error('KMS unavailable');
        return id === 'k1' || id === 'flaky' ? K1 : undefined;
      },
    };
    const ring = KeyRing.fromProvider(provider, { cacheTtlMs: 60_000 });
    assert.ok(ring.isProviderBacked);
    const [a, b] = await Promise.all([ring.activeKey(), ring.activeKey()]);
    assert.is(a.id, 'k1');
    assert.is(b.key, a.key);
    assert.equal(calls, ['active', 'k1'], 'one call each for two concurrent lookups');
    const err = await rejection(ring.getKey('flaky'));
    assert.is(err.code, 'ERR_CODEC_KEY_PROVIDER');
    assert.match(err.message, /`getKey\('flaky'\)` failed/);
    assert.is((err.cause as Error).message, 'KMS unavailable');
    fail = false;
    assert.ok(Buffer.from(await ring.getKey('flaky')).equals(Buffer.from(K1)), 'the failure was not cached');
    const unknown = await rejection(ring.getKey('k9'));
    assert.is(unknown.code, 'ERR_CODEC_KEY_UNKNOWN');
    assert.match(unknown.message, /key id `k9`.*provider has no key/);
    assertNoKeys(String(ring) + inspect(ring) + JSON.stringify(ring), [K1]);

    const uncached: string[] = [];
    const noCache = KeyRing.fromProvider(
      {
        activeKeyId: async () => 'k1',
        getKey: async (id) => {
          uncached.push(id);
          return K1;
        },
      },
      { cacheTtlMs: 0 },
    );
    await noCache.getKey('k1');
    await noCache.getKey('k1');
    assert.equal(uncached, ['k1', 'k1'], 'cacheTtlMs 0 asks every time');
  }),
);

test(
  'a provider returning a wrong-length key or a bad active id is reported; bad provider options are refused',
  timed(5_000, async () => {
    const ring = KeyRing.fromProvider({ activeKeyId: async () => 'k1', getKey: async () => new Uint8Array(16) });
    const err = await rejection(ring.activeKey());
    assert.is(err.code, 'ERR_CODEC_KEY_PROVIDER');
    assert.match(err.message, /returned 16 bytes for key id `k1`; a key must be a Uint8Array of exactly 32 bytes/);
    const badId = KeyRing.fromProvider({ activeKeyId: async () => '', getKey: async () => K1 });
    assert.match((await rejection(badId.activeKey())).message, /`activeKeyId\(\)` returned an id that is not 1–64 printable characters/);
    for (const [fn, pattern] of [
      [() => KeyRing.fromProvider({} as never), /`provider` must have `getKey\(id\)` and `activeKeyId\(\)`/],
      [
        () => KeyRing.fromProvider({ getKey: async () => K1, activeKeyId: async () => 'k' }, { cacheTtlMs: -1 }),
        /`cacheTtlMs` must be a number of milliseconds ≥ 0/,
      ],
    ] as const) {
      try {
        fn();
        assert.unreachable('accepted');
      } catch (e) {
        assert.is((e as BastionError).code, 'ERR_INVALID_OPTION');
        assert.match((e as Error).message, pattern);
      }
    }
  }),
);

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
