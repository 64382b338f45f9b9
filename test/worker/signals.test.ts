/** Shutdown signals: the first starts a graceful shutdown, a second is handed back to Node (the process ends by that signal). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { spawnNode } from '../helpers/processes';
import { timed, waitFor } from '../helpers/wait';

const test = suite('worker shutdown signals');
const env = useEnv(test, () => startBastionEnv());
const script = path.resolve(__dirname, '../fixtures/bastion-worker-process.js');

for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] as const) {
  test(
    `${signal} shuts the worker down gracefully`,
    timed(30_000, async () => {
      const w = spawnNode([script], { ADDRESS: env().server.address, TASK_QUEUE: `sig-${signal}` });
      await w.waitFor(/INITIALIZED -> RUNNING/, 20_000);
      w.kill(signal);
      const { code } = await w.exited;
      assert.is(code, 0, w.output());
      assert.match(w.output(), /received SIG\w+, shutting down/);
      assert.match(w.output(), /STOPPING -> DRAINING[\s\S]*DRAINING -> DRAINED[\s\S]*DRAINED -> STOPPED[\s\S]*run resolved/);
    }),
  );
}

test(
  'a second signal ends the process by that signal (no process.exit in the library), even while an activity holds up the shutdown',
  timed(30_000, async () => {
    const w = spawnNode([script], { ADDRESS: env().server.address, TASK_QUEUE: 'sig-twice', GRACE: '30s' });
    await w.waitFor(/INITIALIZED -> RUNNING/, 20_000);
    const h = await env().client.workflow.start('slowActivity', { taskQueue: 'sig-twice', workflowId: 'sig-twice-1', args: ['ignoreCancellation'] });
    void h;
    // The workflow task needs a workflow worker; drive the activity by scheduling it from a Bastion worker in this process.
    const wfWorker = await env().worker('sig-twice', { activities: {} as never });
    const running = wfWorker.run();
    await waitFor(
      async () => (await env().client.workflow.getHandle('sig-twice-1').describe()).raw.pendingActivities?.some((a: any) => a.state === 2),
      10_000,
      'activity running in the child',
    );
    w.kill('SIGTERM');
    await w.waitFor(/STOPPING -> DRAINING/, 10_000);
    w.kill('SIGTERM');
    // GRACE is 30 s and the activity ignores cancellation: only the re-raised signal ends the process now.
    const { code, signal } = await w.exited;
    assert.is(signal, 'SIGTERM', w.output());
    assert.is(code, null);
    assert.match(w.output(), /received SIGTERM again while shutting down; leaving it to the process/);
    assert.not.match(w.output(), /run resolved/);
    void wfWorker.shutdown();
    await running;
    await env().client.workflow.getHandle('sig-twice-1').terminate();
  }),
);

test.run();
