/**
 * The fault trials of test/faults run by the official @temporalio/worker, as reference for
 * Bastion's times (in a process of its own: the official worker's promise hooks and
 * Bastion's sandboxes should not share a process). The black-hole trial runs only with
 * `npm run faults` (the official worker needs its keepalive, 45 s, to notice a dead path).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTrial, LONG, runTrial } from '../helpers/fault-scenarios';
import { timed } from '../helpers/wait';

const test = suite('faults: the official worker as reference');

test(
  'refused connections, then healthy: back by itself',
  timed(LONG ? 900_000 : 150_000, async () => {
    const r = await runTrial('official', 'refuse');
    console.log(`[fault-trial] ${describeTrial(r)}`);
    assert.ok(r.firstCompletionMs !== undefined);
  }),
);

test(
  'server kill -9 and restart: no WorkflowTaskFailed',
  timed(LONG ? 900_000 : 150_000, async () => {
    const r = await runTrial('official', 'kill', { faultMs: LONG ? 10_000 : 2_000 });
    console.log(`[fault-trial] ${describeTrial(r)}`);
    assert.is(r.workflowTaskFailed, 0);
  }),
);

if (LONG || process.env.BASTION_FAULTS_OFFICIAL === '1') {
  test(
    'silently dead connections (black hole), then healthy',
    timed(900_000, async () => {
      const r = await runTrial('official', 'blackHole');
      console.log(`[fault-trial] ${describeTrial(r)}`);
      assert.is(r.workflowTaskFailed, 0);
    }),
  );
}

test.run();
