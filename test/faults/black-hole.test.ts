/**
 * A relay whose connections die silently (accepts, never answers, never forwards the
 * sockets it held again) between the worker and the server, then healthy again: every
 * workflow completes by itself, the worker says once that it is stuck and once that it
 * recovered. `npm run faults` runs the trial's sizes; the official worker's run is in
 * official-reference.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTrial, LONG, runTrial, type TrialResult } from '../helpers/fault-scenarios';
import { timed } from '../helpers/wait';

const test = suite('faults: silently dead connections (black hole)');

function checkHistories(r: TrialResult): void {
  console.log(`[fault-trial] ${describeTrial(r)}`);
  assert.is(r.workflowTaskFailed, 0, 'no WorkflowTaskFailed in any history');
  assert.ok(
    r.activityExecutions <= r.expectedActivities + r.attemptsAfterTimeouts,
    `extra activity executions (${r.activityExecutions - r.expectedActivities}) are explained by recorded timeouts (${r.attemptsAfterTimeouts})`,
  );
}

test(
  'Bastion: every workflow completes by itself after the black hole; one stall warning naming the address and last error, one recovery line',
  timed(LONG ? 900_000 : 200_000, async () => {
    const r = await runTrial('bastion', 'blackHole', { worker: { connectionStallThreshold: LONG ? '30s' : '4s' } });
    checkHistories(r);
    const warnings = r.logs.filter((l) => l.level === 'warn' && /connectionStallThreshold/.test(l.message));
    assert.is(warnings.length, 1, 'one stall warning');
    assert.match(String(warnings[0]!.meta!.address), /^127\.0\.0\.1:\d+$/);
    assert.ok(warnings[0]!.meta!.lastError, 'the warning carries the last error');
    assert.is(r.logs.filter((l) => /calls to the server succeed again/.test(l.message)).length, 1, 'one recovery line');
    assert.ok(
      r.logs.some((l) => /no HTTP\/2 connection within `connectTimeout`/.test(l.message)),
      'a connection stuck in its handshake was abandoned',
    );
  }),
);

test.run();
