/** Task queues: delivery order, stale tasks, cancelled polls. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matching, type TaskRef } from '../../src/server/matching';
import { withTimeout } from '../helpers/wait';

const poll = (identity: string) => ({ identity, queue: 'q', namespace: 'ns', raw: {} });
const task = (n: number, type: TaskRef['type'] = 'wft'): TaskRef => ({ runId: `r${n}`, type, scheduledEventId: n, attempt: 1 });
const noCancel = () => undefined;

test('a stale task does not take a waiting poller away', async () => {
  const m = new Matching((_k, t) => (t.runId === 'stale' ? null : { got: t.runId }));
  const waiting = m.poll('workflow', poll('p1'), 5000, noCancel);
  m.addTask('ns', 'workflow', 'q', { ...task(1), runId: 'stale' });
  m.addTask('ns', 'workflow', 'q', task(2));
  assert.equal(await withTimeout(1000, waiting, 'poll'), { got: 'r2' });
  m.close();
});

test('tasks go to pollers first come, first served, each to one poller', async () => {
  const m = new Matching((_k, t, p) => ({ task: t.runId, poller: p.identity }));
  const a = m.poll('workflow', poll('a'), 5000, noCancel);
  const b = m.poll('workflow', poll('b'), 5000, noCancel);
  m.addTask('ns', 'workflow', 'q', task(1));
  m.addTask('ns', 'workflow', 'q', task(2));
  m.addTask('ns', 'workflow', 'q', task(3));
  assert.equal(await a, { task: 'r1', poller: 'a' });
  assert.equal(await b, { task: 'r2', poller: 'b' });
  assert.is(m.backlogSize('ns', 'workflow', 'q'), 1);
  assert.equal(await m.poll('workflow', poll('c'), 5000, noCancel), { task: 'r3', poller: 'c' });
  m.close();
});

test('a cancelled poll stops waiting and gets no task', async () => {
  const m = new Matching((_k, t) => ({ task: t.runId }));
  let cancel: () => void = () => undefined;
  const p = m.poll('activity', { ...poll('x'), queue: 'q' }, 5000, (cb) => {
    cancel = cb;
  });
  cancel();
  assert.is(await p, null);
  m.addTask('ns', 'activity', 'q', task(1, 'activity'));
  assert.is(m.backlogSize('ns', 'activity', 'q'), 1, 'the task waits for a live poller');
  m.close();
});

test('a poll with nothing to do answers null after its hold time; close answers every waiter', async () => {
  const m = new Matching(() => ({}));
  assert.is(await withTimeout(1000, m.poll('workflow', poll('p'), 20, noCancel), 'held poll'), null);
  const waiting = m.poll('workflow', poll('p'), 60_000, noCancel);
  m.close();
  assert.is(await withTimeout(1000, waiting, 'closed poll'), null);
  assert.equal(
    m.pollers('ns', 'workflow', 'q').map((x) => x.identity),
    ['p'],
  );
});

test.run();
