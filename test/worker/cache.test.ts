/** The sticky cache: bounded, LRU, and evicted runs carry on by replaying their history. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBastionEnv } from '../helpers/bastion-env';
import { timed, waitFor } from '../helpers/wait';

test(
  'a cache of 2 holds at most 2 runs; evicted runs replay and still answer queries and signals',
  timed(60_000, async () => {
    const env = await startBastionEnv();
    const worker = await env.worker('cache', { maxCachedWorkflows: 2 });
    try {
      await worker.runUntil(async () => {
        const handles = await Promise.all(
          [0, 1, 2, 3].map((i) => env.client.workflow.start('accumulate', { taskQueue: 'cache', workflowId: `cache-${i}`, args: [i] })),
        );
        for (const h of handles) await h.signal('add', 10);
        await waitFor(async () => (await Promise.all(handles.map((h) => h.query('total')))).every((t, i) => t === i + 10), 20_000, 'every run saw its signal');
        const status = worker.getStatus();
        assert.ok(status.cachedWorkflows <= 2, `cache holds ${status.cachedWorkflows}`);
        // Four runs through a cache of two: runs were pushed out for room and came back by replay.
        assert.ok(status.stickyCache!.evictedForRoom > 0, `runs evicted for room: ${JSON.stringify(status.stickyCache)}`);
        for (const h of handles) await h.signal('add', 1);
        for (const h of handles) await h.signal('done');
        const results = await Promise.all(handles.map((h) => h.result()));
        // Only a correct replay of the evicted runs restores each one's total before the last signal.
        assert.equal(results, [11, 12, 13, 14]);
        const after = worker.getStatus().stickyCache!;
        assert.ok(after.misses > 4, `evicted runs came back as cache misses (full-history replays): ${JSON.stringify(after)}`);
        // Evicted runs replayed: more than one task of some run came with a full history.
        const starts = await Promise.all(handles.map(async (h) => (await h.fetchHistory()).events.filter((e) => e.workflowTaskStartedEventAttributes).length));
        assert.ok(starts.every((n) => n >= 3));
      });
      assert.is(worker.getStatus().cachedWorkflows, 0, 'the cache is empty after shutdown');
    } finally {
      await env.close();
    }
  }),
);

test(
  'a cache large enough for every run: later tasks hit the cache, nothing is evicted for room',
  timed(60_000, async () => {
    const env = await startBastionEnv();
    const worker = await env.worker('cache-big', { maxCachedWorkflows: 10 });
    try {
      await worker.runUntil(async () => {
        const handles = await Promise.all(
          [0, 1, 2, 3].map((i) => env.client.workflow.start('accumulate', { taskQueue: 'cache-big', workflowId: `cache-big-${i}`, args: [i] })),
        );
        for (const h of handles) await h.signal('add', 10);
        for (const h of handles) await h.signal('done');
        assert.equal(await Promise.all(handles.map((h) => h.result())), [10, 11, 12, 13]);
        const stats = worker.getStatus().stickyCache!;
        assert.is(stats.evictedForRoom, 0, JSON.stringify(stats));
        assert.ok(stats.hits >= 4, `signals were handled by cached runs: ${JSON.stringify(stats)}`);
        assert.is(stats.misses, 4, `only each run's first task missed: ${JSON.stringify(stats)}`);
      });
    } finally {
      await env.close();
    }
  }),
);

test(
  'with maxCachedWorkflows 0 every task replays from the full history (sandboxes on the main thread)',
  timed(60_000, async () => {
    const env = await startBastionEnv();
    const worker = await env.worker('no-cache', { maxCachedWorkflows: 0, workflowThreadPoolSize: 0 });
    try {
      const r = await worker.runUntil(env.client.workflow.execute('parallel', { taskQueue: 'no-cache', workflowId: 'no-cache-1', args: [3] }));
      assert.equal(r, ['Hello, p0!', 'Hello, p1!', 'Hello, p2!', 'slept-200', 'slept-50']);
    } finally {
      await env.close();
    }
  }),
);

test.run();
