/**
 * The relay refuses connections (its port closed, every connection reset), then accepts
 * again: the worker is back promptly, by itself. Times are reported, not asserted; the
 * official worker's run is in official-reference.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTrial, LONG, runTrial } from '../helpers/fault-scenarios';
import { timed } from '../helpers/wait';

const test = suite('faults: refused connections');

test(
  'Bastion: every workflow completes by itself after connections were refused',
  timed(LONG ? 900_000 : 150_000, async () => {
    const r = await runTrial('bastion', 'refuse');
    console.log(`[fault-trial] ${describeTrial(r)}`);
    assert.is(r.workflowTaskFailed, 0, 'no WorkflowTaskFailed in any history');
    assert.ok(r.firstCompletionMs !== undefined, 'workflows started during the fault completed after it');
    assert.ok(r.activityExecutions <= r.expectedActivities + r.attemptsAfterTimeouts);
  }),
);

test.run();
