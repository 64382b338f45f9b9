/**
 * The one logger: one line format for the whole process (text or JSON lines), levels set by
 * `Runtime.install({ logger: new DefaultLogger('WARN') })` or `BASTION_LOG_LEVEL`, and every
 * component (worker, connection, dev server) writing through it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { DefaultLogger, type LogEntry } from '../../src/common/logger';
import { spawnNode } from '../helpers/processes';
import { thrown } from '../helpers/errors';
import { timed } from '../helpers/wait';

const test = suite('one logger');

function collect(level: ConstructorParameters<typeof DefaultLogger>[0], format?: 'text' | 'json'): { logger: DefaultLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new DefaultLogger(level, { format, write: (l) => void lines.push(l) }), lines };
}

test('text lines: ISO time, upper-case level, message, meta as JSON; below the level nothing', () => {
  const { logger, lines } = collect('WARN');
  logger.info('not shown');
  logger.warn('disk almost full', { freeBytes: 12 });
  logger.error('no meta');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN disk almost full \{"freeBytes":12\}\n$/);
  assert.match(lines[1]!, /^\S+ ERROR no meta\n$/);
});

test('JSON lines: one object per line with time, level, message and the meta fields', () => {
  const { logger, lines } = collect('debug', 'json');
  logger.debug('polled', { taskQueue: 'q', big: 10n });
  const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(
    { level: parsed.level, message: parsed.message, taskQueue: parsed.taskQueue, big: parsed.big },
    { level: 'DEBUG', message: 'polled', taskQueue: 'q', big: '10' },
  );
  assert.match(String(parsed.time), /Z$/);
});

test('meta that cannot be JSON (cycles, errors) never throws and never prints a stack', () => {
  const { logger, lines } = collect('INFO');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  logger.info('odd meta', { cyclic, error: Object.assign(new Error('boom'), { code: 'E_X' }) });
  assert.match(lines[0]!, /"self":"\[Circular\]"/);
  assert.match(lines[0]!, /"error":\{"name":"Error","message":"boom","code":"E_X"\}/);
  assert.not.match(lines[0]!, /at .*\.js/);
});

test('the official shape: new DefaultLogger(level, fn) hands entries with timestampNanos to fn', () => {
  const entries: LogEntry[] = [];
  const logger = new DefaultLogger('INFO', (e) => void entries.push(e));
  logger.debug('dropped');
  logger.info('kept', { n: 1 });
  assert.is(entries.length, 1);
  assert.is(entries[0]!.level, 'INFO');
  assert.equal(entries[0]!.meta, { n: 1 });
  assert.is(typeof entries[0]!.timestampNanos, 'bigint');
});

test('a bad level names the option and the levels', () => {
  const err = thrown(() => new DefaultLogger('LOUD' as never));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, /`DefaultLogger level` must be one of TRACE, DEBUG, INFO, WARN, ERROR or OFF/);
});

const script = path.resolve(__dirname, '../fixtures/logger-process.js');

test(
  'one process, one format: worker, connection and dev server lines all come out as the same text lines',
  timed(60_000, async () => {
    const p = spawnNode([script], { BASTION_LOG_LEVEL: 'info', MODE: 'default' });
    const { code } = await p.exited;
    assert.is(code, 0, p.output());
    const lines = p
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('DONE'));
    assert.ok(lines.length >= 3, p.output());
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z (TRACE|DEBUG|INFO|WARN|ERROR) \S/, `one format: ${line}`);
    assert.ok(
      lines.some((l) => /INFO worker state INITIALIZED -> RUNNING/.test(l)),
      'the worker logs through it',
    );
    assert.ok(
      lines.some((l) => / WARN .*refused a TLS handshake|INFO dev server/.test(l)) || lines.some((l) => /dev server/.test(l)),
      'the dev server logs through it',
    );
  }),
);

test(
  "BASTION_LOG_LEVEL=warn silences the worker's info lines; BASTION_LOG_FORMAT=json gives JSON lines",
  timed(60_000, async () => {
    const p = spawnNode([script], { BASTION_LOG_LEVEL: 'warn', BASTION_LOG_FORMAT: 'json', MODE: 'default' });
    const { code } = await p.exited;
    assert.is(code, 0, p.output());
    const lines = p
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('DONE'));
    assert.not.ok(
      lines.some((l) => /worker state/.test(l)),
      p.output(),
    );
    // Every line is JSON; only the dev server, whose level the fixture sets to info explicitly, says more than WARN.
    const parsed = lines.map((l) => JSON.parse(l) as { level: string; message: string });
    assert.ok(parsed.length > 0, p.output());
    for (const e of parsed) assert.ok(['WARN', 'ERROR'].includes(e.level) || /^dev server/.test(e.message), JSON.stringify(e));
  }),
);

test(
  "Runtime.install({ logger }) routes every component's lines to that logger",
  timed(60_000, async () => {
    const p = spawnNode([script], { MODE: 'runtime' });
    const { code } = await p.exited;
    assert.is(code, 0, p.output());
    const captured = p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('CAPTURED '));
    assert.ok(
      captured.some((l) => /worker state INITIALIZED -> RUNNING/.test(l)),
      p.output(),
    );
    assert.ok(
      captured.some((l) => /certificate/i.test(l)),
      `the connection's expiry warning went to the installed logger: ${p.output()}`,
    );
    const stray = p
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('CAPTURED ') && !l.startsWith('DONE'));
    assert.equal(stray, [], 'nothing bypassed the installed logger');
  }),
);

test.run();
