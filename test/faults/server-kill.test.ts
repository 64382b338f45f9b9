/**
 * kill -9 of the dev server (with --db-filename) under load, restart on the same file:
 * every workflow completes, no history has a WorkflowTaskFailed (a retried completion that
 * the server had already applied must not fail the run's next task), and extra activity
 * executions are explained by timeouts recorded in the histories. The official worker's
 * run is in official-reference.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTrial, LONG, runTrial } from '../helpers/fault-scenarios';
import { timed } from '../helpers/wait';

const test = suite('faults: server kill -9 and restart');

const faultMs = LONG ? 10_000 : 2_000;

test(
  'Bastion: no WorkflowTaskFailed in any history; extra activity executions explained by recorded timeouts',
  timed(LONG ? 900_000 : 150_000, async () => {
    const r = await runTrial('bastion', 'kill', { faultMs });
    console.log(`[fault-trial] ${describeTrial(r)}`);
    assert.is(r.workflowTaskFailed, 0, 'no WorkflowTaskFailed in any history');
    assert.ok(
      r.activityExecutions <= r.expectedActivities + r.attemptsAfterTimeouts,
      `extra activity executions (${r.activityExecutions - r.expectedActivities}) explained by recorded timeouts (${r.attemptsAfterTimeouts})`,
    );
  }),
);

test.run();
