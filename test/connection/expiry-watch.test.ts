/** Expiry warnings: once per threshold, the nearest threshold when several have passed, a timer for the next, an error once expired. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ExpiryWatch } from '../../src/connection/expiry-watch';
import { timed, waitFor } from '../helpers/wait';

const test = suite('connection: certificate expiry warnings');
const DAY = 86_400_000;

function recorder() {
  const lines: Array<{ level: 'warn' | 'error'; message: string; meta?: Record<string, unknown> }> = [];
  return {
    lines,
    logger: {
      warn: (message: string, meta?: Record<string, unknown>) => void lines.push({ level: 'warn', message, meta }),
      error: (message: string, meta?: Record<string, unknown>) => void lines.push({ level: 'error', message, meta }),
    },
  };
}

function info(msFromNow: number) {
  return {
    subject: 'CN=worker-1',
    issuer: 'CN=CA',
    fingerprint256: 'AA:BB',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + msFromNow),
  };
}

test('far from expiry: no warning', () => {
  const { lines, logger } = recorder();
  const watch = new ExpiryWatch([30, 7, 1], logger);
  watch.track(info(60 * DAY));
  watch.stop();
  assert.equal(lines, []);
});

test('several thresholds passed: one warning, for the nearest, naming subject and date', () => {
  const { lines, logger } = recorder();
  const watch = new ExpiryWatch([30, 7, 1], logger);
  watch.track(info(3 * DAY));
  watch.stop();
  assert.is(lines.length, 1);
  assert.is(lines[0]!.meta?.thresholdDays, 7);
  assert.match(lines[0]!.message, /CN=worker-1\) expires in 2 day\(s\)|expires in 3 day\(s\)/);
  assert.match(lines[0]!.message, /\d{4}-\d\d-\d\dT/);
});

test('an expired certificate is an error, logged once', () => {
  const { lines, logger } = recorder();
  const watch = new ExpiryWatch([30, 7, 1], logger);
  watch.track(info(-1000));
  watch.stop();
  assert.is(lines.length, 1);
  assert.is(lines[0]!.level, 'error');
  assert.match(lines[0]!.message, /expired on/);
});

test(
  'a threshold crossed later warns when it is reached, then the expiry is an error',
  timed(10_000, async () => {
    const { lines, logger } = recorder();
    // Thresholds of 1.2 s and 0.6 s before a notAfter 1.6 s away.
    const watch = new ExpiryWatch([1200 / DAY, 600 / DAY], logger);
    watch.track(info(1600));
    assert.equal(lines, [], 'nothing yet');
    await waitFor(() => lines.length >= 1, 3000, 'the first threshold');
    await waitFor(() => lines.length >= 2, 3000, 'the second threshold');
    await waitFor(() => lines.length >= 3, 3000, 'the expiry');
    watch.stop();
    assert.equal(
      lines.map((l) => l.level),
      ['warn', 'warn', 'error'],
    );
    assert.equal(
      lines.slice(0, 2).map((l) => l.meta?.thresholdDays),
      [1200 / DAY, 600 / DAY],
    );
  }),
);

test(
  'track() replaces the watched certificate; stop() silences it',
  timed(5000, async () => {
    const { lines, logger } = recorder();
    const watch = new ExpiryWatch([300 / DAY], logger);
    watch.track(info(500));
    watch.track(info(60 * DAY));
    // A control watch on the same certificate, armed after the replaced one with the same
    // delay: timers of equal delay fire in order, so once the control has warned, the
    // replaced certificate's warning would have come first had track() not cancelled it.
    const control = recorder();
    const controlWatch = new ExpiryWatch([300 / DAY], control.logger);
    const warned = new Promise<void>((resolve) => {
      const warn = control.logger.warn;
      control.logger.warn = (message, meta) => {
        warn(message, meta);
        resolve();
      };
    });
    controlWatch.track(info(500));
    await warned;
    controlWatch.stop();
    watch.stop();
    assert.equal(lines, []);
  }),
);

test.run();
