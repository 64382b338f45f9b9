/** The worker's stall watch: one warning when no call succeeded within the threshold, one line on recovery, and the status fields. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection, ConnectionHealth } from '../../src/connection';
import { ConnectionStallWatch } from '../../src/worker/connection-stall';

function fakeConnection(health: ConnectionHealth): Connection {
  return { state: 'open', address: '10.0.0.1:7233', health: () => health } as unknown as Connection;
}

const test = suite('worker: connection stall watch');

test('warns once past the threshold with the address and the last error, logs recovery once, and reports the ages', () => {
  const now = Date.now();
  const health: ConnectionHealth = {
    lastSuccessfulCallAt: new Date(now - 5_000),
    lastError: { code: 'UNAVAILABLE', message: 'connect ECONNREFUSED', at: new Date(now - 1_000) },
    channelState: 'TRANSIENT_FAILURE',
    abandonedHandshakes: 0,
  };
  const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  const watch = new ConnectionStallWatch(
    fakeConnection(health),
    1_000,
    { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    { taskQueue: 'q' },
  );
  watch.check();
  watch.check();
  assert.is(lines.length, 1);
  assert.is(lines[0]!.level, 'warn');
  assert.match(lines[0]!.message, /`connectionStallThreshold`/);
  assert.is(lines[0]!.meta!.address, '10.0.0.1:7233');
  assert.is(lines[0]!.meta!.lastError, 'UNAVAILABLE: connect ECONNREFUSED');
  assert.is(lines[0]!.meta!.taskQueue, 'q');
  const stalled = watch.status();
  assert.ok(stalled.connectionStalled);
  assert.ok(stalled.lastSuccessfulCallAgeMs! >= 5_000);
  assert.is(stalled.lastCallError!.code, 'UNAVAILABLE');
  health.lastSuccessfulCallAt = new Date();
  watch.check();
  watch.check();
  assert.is(lines.length, 2);
  assert.is(lines[1]!.level, 'info');
  assert.match(lines[1]!.message, /succeed again/);
  assert.not.ok(watch.status().connectionStalled);
});

test('a healthy connection never warns', () => {
  const health: ConnectionHealth = { lastSuccessfulCallAt: new Date(), lastError: undefined, channelState: 'READY', abandonedHandshakes: 0 };
  const lines: string[] = [];
  const watch = new ConnectionStallWatch(
    fakeConnection(health),
    60_000,
    { debug: () => undefined, info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) },
    {},
  );
  watch.check();
  assert.equal(lines, []);
  assert.is(watch.status().lastCallError, undefined);
});

test.run();
