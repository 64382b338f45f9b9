/** Sandboxes in worker threads: calls round-trip, and a dead thread is replaced. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ThreadSandboxes } from '../../src/worker/sandbox/thread-sandboxes';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { timed, waitFor } from '../helpers/wait';

test(
  'calls run in the thread, and a thread that dies is replaced for new sandboxes',
  timed(30_000, async () => {
    const { code } = await bastionBundle();
    const errors: string[] = [];
    const threads = new ThreadSandboxes(code, 1, { ...quietLogger, error: (m: string) => errors.push(m) });
    try {
      const first = threads.create();
      const c = (await first.call('concludeActivation', undefined, 1000)) as { commands: unknown[] };
      assert.equal(c.commands, []);
      await (threads as any).threads[0].thread.terminate();
      await waitFor(() => errors.some((m) => /sandbox thread died/.test(m)), 5000, 'death noticed');
      const err = await first.call('concludeActivation', undefined, 1000).catch((e: Error) => e);
      assert.match(String((err as Error).message), /exited|does not exist/);
      const second = threads.create();
      const c2 = (await second.call('concludeActivation', undefined, 1000)) as { commands: unknown[] };
      assert.equal(c2.commands, []);
    } finally {
      await threads.close();
    }
  }),
);

test.run();
