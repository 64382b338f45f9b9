/**
 * Durations: Bastion accepts exactly what the official SDK accepts (its `msToNumber`, over
 * the same `ms` package, is the judge), and a workflow written with the official
 * hello-world's `'1 minute'` runs on Bastion's worker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { msToNumber } from '@temporalio/common/lib/time';
import { parseDuration, parsePositiveDuration } from '../../src/common/duration';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { timed } from '../helpers/wait';

const test = suite('durations');

const ACCEPTED = [
  '1 minute',
  '2 hrs',
  '1.5h',
  '10 sec',
  '10s',
  '500ms',
  '100',
  '1d',
  '.5s',
  '1 week',
  '3 days',
  '1y',
  '2 Minutes',
  '1 HOUR',
  '1.5 seconds',
  '10 msecs',
  '1 millisecond',
  '0',
  '0s',
  '250',
  1000,
  0,
  1.5,
];
const REFUSED = ['5 lightyears', 'ten seconds', '', '1 minute ago', 'ms', '1h30m', '--1s', 'NaN', 'Infinity', '1e3'];

test('every string the official SDK accepts gives the same milliseconds', () => {
  for (const v of ACCEPTED) {
    const official = msToNumber(v as never);
    assert.is(parseDuration(v, 'x'), Math.ceil(official), `${JSON.stringify(v)}`);
  }
});

test('what neither accepts is refused, naming the option and the value', () => {
  for (const v of REFUSED) {
    assert.throws(() => msToNumber(v as never), undefined, `the official SDK refuses ${JSON.stringify(v)}`);
    try {
      parseDuration(v, 'startToCloseTimeout');
      assert.unreachable(`${JSON.stringify(v)} accepted`);
    } catch (err: any) {
      assert.is(err.code, 'ERR_INVALID_OPTION');
      assert.match(err.message, /^`startToCloseTimeout` must be a duration such as/);
      assert.ok(err.message.includes(JSON.stringify(v)), err.message);
    }
  }
});

test('negative durations, non-finite numbers and a long garbage string are refused; the value is cut short in the message', () => {
  for (const v of ['-1h', -5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => parseDuration(v, 'x'), /`x` must be/);
  const long = 'x'.repeat(10_000);
  try {
    parseDuration(long, 'x');
    assert.unreachable();
  } catch (err: any) {
    assert.ok(err.message.length < 200, 'the message does not echo the whole input');
  }
  assert.throws(() => parsePositiveDuration('0s', 'x'), /longer than zero/);
});

test('protobuf Duration objects, as the official types allow them', () => {
  assert.is(parseDuration({ seconds: 3, nanos: 500_000_000 }, 'x'), 3500);
  assert.is(parseDuration({ seconds: '2' }, 'x'), 2000);
  assert.is(parseDuration({ seconds: { toNumber: () => 1 } }, 'x'), 1000);
  assert.throws(() => parseDuration({ seconds: -1 }, 'x'), /protobuf Duration/);
  assert.throws(() => parseDuration({ seconds: 1, nanos: 2e9 }, 'x'), /protobuf Duration/);
});

const env = useEnv(test, () => startBastionEnv());

test(
  'a workflow written with "1 minute", "2 hrs", "1.5 sec" and "5 msecs" runs on Bastion\'s worker',
  timed(60_000, async () => {
    const worker = await env().worker('durations');
    const result = await worker.runUntil(
      env().client.workflow.execute('humanDurations', { taskQueue: 'durations', workflowId: 'durations-1', args: ['you'], workflowRunTimeout: '1 hour' }),
    );
    assert.is(result, 'Hello, you!');
    const history = await env().client.workflow.getHandle('durations-1').fetchHistory();
    const scheduled = history.events.find((e: any) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    assert.is(Number(scheduled.startToCloseTimeout!.seconds), 60);
    assert.is(Number(scheduled.scheduleToCloseTimeout!.seconds), 7200);
    assert.is(Number(scheduled.retryPolicy!.initialInterval!.seconds), 1);
    assert.is(Number(scheduled.retryPolicy!.initialInterval!.nanos), 500_000_000);
  }),
);

test.run();
