/**
 * The one redaction helper (src/common/redact.ts): text redaction, and the views that keep
 * secrets out of util.inspect and JSON.stringify. The old import path
 * (src/connection/redact) keeps working.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { defineRedactedView, describeCause, redact, REDACTED, redactedIfSet, withKeyPemView } from '../../src/common/redact';
import * as legacy from '../../src/connection/redact';
import { redact as fromConnection } from '../../src/connection';
import { redact as fromRoot } from '../../src';
import { findSecrets } from '../helpers/secret-scan';

const test = suite('common: redact');

const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const API_KEY = 'redact-test-api-key-0123456789abcdef';

test('redact() replaces whole PEM blocks, truncated ones and long base64 runs, and leaves paths alone', () => {
  assert.is(redact(`bad: ${keyPem}`).trim(), 'bad: [redacted PRIVATE KEY]');
  assert.is(redact(`cut: ${keyPem.slice(0, 60)}`), 'cut: [redacted PRIVATE KEY]');
  assert.is(redact(`b64 ${Buffer.alloc(40, 7).toString('base64')} end`), `b64 ${REDACTED} end`);
  assert.is(redact('/etc/temporal/client.key'), '/etc/temporal/client.key');
  assert.equal(findSecrets(redact(`x ${keyPem} y`), [{ name: 'key', value: keyPem }]), []);
});

test('redact() also removes damaged armour and armourless PEM bodies, including their short last line', () => {
  const secrets = [{ name: 'key', value: keyPem }];
  const damaged = keyPem.replace(/-----/g, '----');
  const body = keyPem.split('\n').slice(1, -2).join('\n');
  for (const text of [damaged, keyPem.replace('BEGIN PRIVATE KEY', 'begin private key'), body, `ENOENT: no such file or directory, open '${damaged}'`]) {
    assert.equal(findSecrets(redact(text), secrets), [], `left key material in: ${redact(text).slice(0, 80)}`);
  }
  assert.is(redact('two words\nand a line'), 'two words\nand a line');
});

test('describeCause() redacts and puts the message on one line', () => {
  assert.is(describeCause(new Error(`line one\n${keyPem}`)), 'line one [redacted PRIVATE KEY]');
  assert.is(describeCause('plain'), 'plain');
});

test('the old import path and the package entries export the same redact()', () => {
  assert.is(legacy.redact, redact);
  assert.is(legacy.describeCause, describeCause);
  assert.is(fromConnection, redact);
  assert.is(fromRoot, redact);
});

test('redactedIfSet() says whether a secret is set, never what it is', () => {
  assert.is(redactedIfSet(API_KEY), REDACTED);
  assert.is(
    redactedIfSet(() => API_KEY),
    REDACTED,
  );
  assert.is(redactedIfSet(undefined), undefined);
});

test('defineRedactedView(): inspect at any depth (showHidden too) and JSON show the view; the value stays readable', () => {
  const options = defineRedactedView({ address: 'a:1', apiKey: API_KEY }, 'Options', (o) => ({ ...o, apiKey: REDACTED }));
  const nested = { deep: { deeper: { options } } };
  for (const text of [inspect(options), inspect(nested, { depth: Infinity, showHidden: true }), JSON.stringify(nested), `${JSON.stringify(options)}`]) {
    assert.not.ok(text.includes(API_KEY), 'the API key showed');
    assert.ok(text.includes('[redacted]'));
  }
  assert.ok(inspect(options).startsWith('Options {'));
  assert.is(options.apiKey, API_KEY);
  assert.equal(Object.keys(options), ['address', 'apiKey'], 'the hooks are not enumerable');
});

test('withKeyPemView() hides keyPem in inspect and JSON, keeps it as a property', () => {
  const result = withKeyPemView('Issued', { certPem: 'cert', keyPem });
  assert.equal(findSecrets(inspect(result, { showHidden: true, depth: Infinity }) + JSON.stringify(result), [{ name: 'key', value: keyPem }]), []);
  assert.is(result.keyPem, keyPem);
  assert.is(JSON.parse(JSON.stringify(result)).certPem, 'cert');
});

test('the scanner finds a secret in each form it leaks in (so a clean scan means something)', () => {
  const bytes = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
  const secrets = [
    { name: 'apiKey', value: API_KEY },
    { name: 'key', value: keyPem },
    { name: 'bytes', value: bytes },
  ];
  const forms: Array<[string, string]> = [
    ['as given', `Bearer ${API_KEY}`],
    ['base64', Buffer.from(`"${API_KEY}"`).toString('base64')],
    ['hex', inspect(Buffer.from(API_KEY))],
    ['PEM body line', keyPem.split('\n')[2]!],
    ['armour', inspect(Buffer.from(keyPem))],
    ['bytes', inspect(bytes)],
    ['bytes base64url', Buffer.from(bytes).toString('base64url')],
  ];
  for (const [what, text] of forms) assert.ok(findSecrets(text, secrets).length > 0, `missed: ${what}`);
  assert.equal(findSecrets('nothing to see here, 1, 2, 3', secrets), []);
});

test.run();
