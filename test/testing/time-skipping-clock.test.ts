/** TimeSkippingClock on its own: locks nest, jumps only when unlocked and idle, in due order. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TimeSkippingClock } from '../../src/testing';
import { timed } from '../helpers/wait';

const HOUR = 3600_000;
const test = suite('TimeSkippingClock');

test(
  'starts locked; an unlock past zero throws; locks nest',
  timed(5_000, async () => {
    const clock = new TimeSkippingClock();
    assert.is(clock.lockCount, 1);
    clock.unlock();
    assert.throws(() => clock.unlock(), /called more often than `LockTimeSkipping`/);
    clock.lock();
    clock.lock();
    clock.unlock();
    assert.is(clock.lockCount, 1);
    clock.close();
  }),
);

test(
  'jumps to timers in due order once unlocked, and not while busy',
  timed(5_000, async () => {
    const clock = new TimeSkippingClock({ startMs: 0 });
    let busy = true;
    clock.busy = () => busy;
    const fired: string[] = [];
    const t0 = clock.now();
    clock.schedule(t0 + 2 * HOUR, () => fired.push('two'));
    clock.schedule(t0 + HOUR, () => fired.push('one'));
    clock.unlock();
    // Busy: the check runs (setImmediate) and leaves the clock alone.
    await new Promise((r) => setImmediate(r));
    assert.equal(fired, []);
    busy = false;
    await clock.sleepUntil(t0 + 2 * HOUR);
    assert.equal(fired, ['one', 'two']);
    assert.ok(clock.now() >= t0 + 2 * HOUR && clock.now() < t0 + 3 * HOUR);
    clock.close();
  }),
);

test(
  'unlockWhileSleeping skips and locks again; a cancelled timer never fires',
  timed(5_000, async () => {
    const clock = new TimeSkippingClock();
    const t0 = clock.now();
    let fired = false;
    const cancel = clock.schedule(t0 + HOUR, () => (fired = true));
    cancel();
    await clock.unlockWhileSleeping(t0 + 24 * HOUR);
    assert.is(clock.lockCount, 1);
    assert.is(fired, false);
    assert.ok(clock.now() - t0 >= 24 * HOUR);
    clock.close();
  }),
);

test.run();
