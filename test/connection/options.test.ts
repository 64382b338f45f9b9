/**
 * Option validation: defaults, the compiled form, and every error a user can hit before a
 * connection is attempted. No server needed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as util from 'node:util';
import {
  compileConnectionOptions,
  Connection,
  DEFAULT_ADDRESS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE,
  DEFAULT_LONG_POLL_TIMEOUT_MS,
  DEFAULT_RECONNECT,
  DEFAULT_RETRY,
  parseDuration,
  redact,
  type ConnectionOptions,
} from '../../src/index';
import { backoffMs, isLongPoll } from '../../src/connection/retry-policy';
import { timed } from '../helpers/wait';
import { thrown } from '../helpers/errors';

function compileError(options: unknown): Error & { code?: string } {
  return thrown(() => compileConnectionOptions(options as ConnectionOptions));
}

const defaults = suite('connection options: defaults and compiled form');

defaults(
  'no options: plaintext to 127.0.0.1:7233, 10 s connect timeout, 30 s call and 70 s long-poll deadlines, official keepalive, reconnect capped at 2 s, frozen',
  () => {
    const o = compileConnectionOptions();
    assert.is(o.address, DEFAULT_ADDRESS);
    assert.is(o.address, '127.0.0.1:7233');
    assert.is(o.tls, undefined);
    assert.is(o.apiKey, undefined);
    assert.equal(o.metadata, {});
    assert.is(o.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    assert.is(o.connectTimeoutMs, 10_000);
    assert.is(o.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS);
    assert.is(o.callTimeoutMs, 30_000);
    assert.is(o.longPollTimeoutMs, DEFAULT_LONG_POLL_TIMEOUT_MS);
    assert.is(o.longPollTimeoutMs, 70_000);
    assert.equal(o.keepAlive, { intervalMs: 30_000, timeoutMs: 15_000 });
    assert.equal(o.reconnect, DEFAULT_RECONNECT);
    assert.equal(o.reconnect, { initialIntervalMs: 200, maxIntervalMs: 2_000 });
    assert.equal(o.retry, DEFAULT_RETRY);
    assert.ok(Object.isFrozen(o));
    assert.ok(Object.isFrozen(o.retry));
    assert.ok(Object.isFrozen(o.metadata));
  },
);

defaults('durations become milliseconds; a port is added when missing; IPv6 in brackets', () => {
  const o = compileConnectionOptions({ address: 'temporal.internal', connectTimeout: '2.5s', callTimeout: '1m', retry: { maxAttempts: 3 } });
  assert.is(o.address, 'temporal.internal:7233');
  assert.is(o.connectTimeoutMs, 2_500);
  assert.is(o.callTimeoutMs, 60_000);
  assert.equal(o.retry, { ...DEFAULT_RETRY, maxAttempts: 3 });
  assert.is(compileConnectionOptions({ address: '[::1]:7234' }).address, '[::1]:7234');
  assert.is(compileConnectionOptions({ connectTimeout: 250 }).connectTimeoutMs, 250);
  const k = compileConnectionOptions({ longPollTimeout: '65s', keepAlive: { interval: '10s' }, reconnect: { maxInterval: '1s' } });
  assert.is(k.longPollTimeoutMs, 65_000);
  assert.equal(k.keepAlive, { intervalMs: 10_000, timeoutMs: DEFAULT_KEEPALIVE.timeoutMs });
  assert.equal(k.reconnect, { initialIntervalMs: 200, maxIntervalMs: 1_000 });
});

defaults('tls: absent or false is plaintext; true and {} are TLS with system roots; apiKey turns TLS on unless tls is false', () => {
  assert.is(compileConnectionOptions({ tls: false }).tls, undefined);
  for (const tls of [true, {}] as const) {
    const t = compileConnectionOptions({ tls }).tls!;
    assert.ok(t);
    assert.is(t.serverRootCACertificate, undefined);
    assert.is(t.clientCertPair, undefined);
  }
  assert.ok(compileConnectionOptions({ apiKey: 'k' }).tls);
  assert.is(compileConnectionOptions({ apiKey: 'k', tls: false }).tls, undefined);
});

defaults('metadata names are lower-cased', () => {
  assert.equal(compileConnectionOptions({ metadata: { 'X-Team': 'a' } }).metadata, { 'x-team': 'a' });
});

defaults.run();

const errors = suite('connection options: errors name the option');

errors('rejects a malformed address', () => {
  for (const [address, pattern] of [
    ['', /`address` must be "host:port".*got an empty string/],
    ['http://localhost:7233', /without a scheme.*Drop the scheme and use `tls`/],
    ['localhost:abc', /`address` must be "host:port"/],
    ['localhost:70000', /`address` has port 70000, which is not between 1 and 65535/],
    ['local host:7233', /`address` must be "host:port"/],
  ] as const) {
    const err = compileError({ address });
    assert.is(err.code, 'ERR_INVALID_OPTION', address);
    assert.is(err.name, 'ConfigError');
    assert.match(err.message, pattern);
  }
  assert.match(compileError({ address: 7233 }).message, /got number/);
});

errors('rejects a bad duration, naming the option and the expected form', () => {
  const err = compileError({ connectTimeout: '10 parsecs' });
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(
    err.message,
    /^`connectTimeout` must be a duration such as "500ms", "10s", "1 minute", "2 hrs" or a number of milliseconds; got "10 parsecs"\.$/,
  );
  assert.is(compileConnectionOptions({ connectTimeout: '10 seconds' }).connectTimeoutMs, 10_000);
  assert.match(compileError({ callTimeout: -1 }).message, /`callTimeout` must be a non-negative, finite number of milliseconds/);
  assert.match(compileError({ connectTimeout: 0 }).message, /`connectTimeout` must be longer than zero/);
  assert.match(compileError({ callTimeout: {} }).message, /`callTimeout` must be a duration.*got object/);
  assert.match(compileError({ longPollTimeout: 0 }).message, /`longPollTimeout` must be longer than zero/);
});

errors('keepAlive and reconnect: unknown fields, bad durations and an inverted backoff are refused with the option named', () => {
  const unknown = compileError({ keepAlive: { time: '10s' } as never });
  assert.is(unknown.code, 'ERR_INVALID_OPTION');
  assert.match(unknown.message, /^`keepAlive\.time` is not an option\. Known: `interval`, `timeout`\.$/);
  assert.match(compileError({ keepAlive: 30_000 as never }).message, /^`keepAlive` must be an object `\{ interval, timeout \}` of durations/);
  assert.match(compileError({ reconnect: { maxInterval: 'soon' } }).message, /`reconnect\.maxInterval` must be a duration/);
  const inverted = compileError({ reconnect: { initialInterval: '10s', maxInterval: '1s' } });
  assert.is(inverted.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(inverted.message, /`reconnect\.maxInterval` \(1000 ms\) is shorter than `reconnect\.initialInterval` \(10000 ms\)/);
  assert.match(compileError({ channelArgs: {} } as never).message, /`keepAlive` and `reconnect`/);
});

errors('parseDuration accepts numbers, bare numeric strings and ms/s/m/h/d', () => {
  assert.is(parseDuration(1500, 'x'), 1500);
  assert.is(parseDuration('1500', 'x'), 1500);
  assert.is(parseDuration('500ms', 'x'), 500);
  assert.is(parseDuration('10s', 'x'), 10_000);
  assert.is(parseDuration('1m', 'x'), 60_000);
  assert.is(parseDuration('2h', 'x'), 7_200_000);
  assert.is(parseDuration('1d', 'x'), 86_400_000);
  assert.is(parseDuration('0.5ms', 'x'), 1);
  assert.is(thrown(() => parseDuration(Infinity, 'x')).code, 'ERR_INVALID_OPTION');
});

errors('rejects unknown options, with a hint for official SDK options Bastion does not take', () => {
  assert.match(compileError({ adress: 'x' }).message, /^`adress` is not a connection option\. Known options: `address`/);
  assert.match(compileError({ connectTimeoutMs: 5 }).message, /Use `connectTimeout`/);
  assert.match(compileError({ tls: { serverCA: 'x' } }).message, /`tls\.serverCA` is not an option\. Did you mean `tls\.serverRootCACertificate`\?/);
  assert.match(compileError({ tls: 'yes' }).message, /`tls` must be `false` \(plaintext\), `true`/);
  assert.match(compileError({ retry: { attempts: 3 } }).message, /`retry\.attempts` is not an option/);
});

errors('rejects bad retry settings; maxIntervalMs below initialIntervalMs conflicts', () => {
  assert.match(compileError({ retry: { maxAttempts: 0 } }).message, /`retry\.maxAttempts` must be a whole number of at least 1/);
  assert.match(compileError({ retry: { initialIntervalMs: -5 } }).message, /`retry\.initialIntervalMs` must be a non-negative number/);
  const err = compileError({ retry: { initialIntervalMs: 1000, maxIntervalMs: 10 } });
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, /`retry\.maxIntervalMs` \(10\) is shorter than `retry\.initialIntervalMs` \(1000\)/);
});

errors('rejects bad metadata; authorization in metadata conflicts with apiKey', () => {
  assert.match(compileError({ metadata: { 'bad name': 'x' } }).message, /`metadata\.bad name` is not a valid gRPC header name/);
  assert.match(compileError({ metadata: { 'trace-bin': 'x' } }).message, /binary header/);
  assert.match(compileError({ metadata: { 'client-name': 'x' } }).message, /`metadata\.client-name` is set by Bastion or gRPC/);
  assert.match(compileError({ metadata: { 'x-a': 'line\nbreak' } }).message, /`metadata\.x-a` must be a string of printable ASCII/);
  const err = compileError({ apiKey: 'k', metadata: { Authorization: 'Bearer other' } });
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, /`metadata\.authorization` and `apiKey`/);
});

errors('rejects a bad apiKey without printing it', () => {
  const err = compileError({ apiKey: 'sk-secret\n' });
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, /`apiKey` must be a non-empty string of printable ASCII/);
  assert.not.match(err.message, /sk-secret/);
  assert.match(compileError({ apiKey: 42 }).message, /`apiKey` must be a string or a function/);
});

errors(
  'Connection.connect rejects bad options before connecting',
  timed(5_000, async () => {
    const err = await Connection.connect({ address: 'http://x:1' }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.is(err?.code, 'ERR_INVALID_OPTION');
  }),
);

errors.run();

const policy = suite('connection: retry policy and redaction');

policy('backoff doubles from initialIntervalMs, caps at maxIntervalMs, jitter within ±20 %', () => {
  const o = { maxAttempts: 10, initialIntervalMs: 100, maxIntervalMs: 1000 };
  assert.is(
    backoffMs(1, o, () => 0.5),
    100,
  );
  assert.is(
    backoffMs(2, o, () => 0.5),
    200,
  );
  assert.is(
    backoffMs(4, o, () => 0.5),
    800,
  );
  assert.is(
    backoffMs(9, o, () => 0.5),
    1000,
  );
  assert.is(
    backoffMs(1, o, () => 0),
    80,
  );
  assert.is(
    backoffMs(1, o, () => 1),
    120,
  );
});

policy('long polls: the three task-queue polls, and history with waitNewEvent', () => {
  assert.ok(isLongPoll('PollWorkflowTaskQueue', {}));
  assert.ok(isLongPoll('PollActivityTaskQueue', {}));
  assert.ok(isLongPoll('PollNexusTaskQueue', {}));
  assert.ok(isLongPoll('GetWorkflowExecutionHistory', { waitNewEvent: true }));
  assert.not.ok(isLongPoll('GetWorkflowExecutionHistory', { waitNewEvent: false }));
  assert.not.ok(isLongPoll('StartWorkflowExecution', {}));
});

policy('redact() removes PEM blocks, truncated PEM and long base64 runs', () => {
  // A truncated, fake key block, assembled so no key-shaped text sits in the repository.
  const fence = (s: string) => `-----${s} PRIVATE KEY-----`;
  const pem = `${fence('BEGIN')}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n${fence('END')}`;
  assert.is(redact(`key: ${pem} end`), 'key: [redacted PRIVATE KEY] end');
  assert.is(redact(`cut: -----BEGIN RSA${fence('').slice(5)}\nMIIEowIBAAKCAQEA`), 'cut: [redacted RSA PRIVATE KEY]');
  assert.is(redact('body MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7 here'), 'body [redacted] here');
  assert.is(redact('/etc/temporal/client-cert.pem'), '/etc/temporal/client-cert.pem');
});

policy('compiled options never show the client key in util.inspect or JSON', async () => {
  // A syntactically valid pair is needed; tls-inputs.test.ts covers real files.
  const { makeTestPki } = await import('../helpers/certs');
  const pki = await makeTestPki();
  const o = compileConnectionOptions({ tls: { clientCertPair: { crt: pki.client.cert, key: pki.client.key } } });
  assert.ok(o.tls!.clientCertPair!.key.length > 0);
  const body = pki.client.key.split('\n')[1]!;
  const inspected = util.inspect(o, { depth: 10, maxArrayLength: Infinity });
  const json = JSON.stringify(o);
  assert.ok(inspected.includes('subject'));
  // "PRIVATE" as Buffer inspect shows it, and as JSON shows a Buffer's bytes.
  assert.not.ok(inspected.includes('50 52 49 56 41 54 45'));
  assert.not.ok(json.includes('80,82,73,86,65,84,69'));
  for (const text of [inspected, json]) assert.not.ok(text.includes(body));
});

policy.run();
