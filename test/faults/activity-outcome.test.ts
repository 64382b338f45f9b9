/**
 * An activity's outcome whose report times out (a connection that stopped delivering, the
 * connection's own retries spent) is sent again, so the work is not redone after the
 * activity's timeout.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { temporal } from '../../src/common/proto';
import type { Connection } from '../../src/connection';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { timed, withTimeout } from '../helpers/wait';
import { grpcStatusError, withWorkflowService } from '../helpers/service-override';

const ET = temporal.api.enums.v1.EventType;
const test = suite('faults: an activity outcome whose report timed out');

/** A connection whose first `respondActivityTaskCompleted` fails with DEADLINE_EXCEEDED without reaching the server. */
function timingOutConnection(real: Connection) {
  const svc = real.workflowService;
  const stats = { timedOut: 0, sent: 0 };
  const connection = withWorkflowService(real, {
    respondActivityTaskCompleted: async (request: never, options: never) => {
      if (stats.timedOut === 0) {
        stats.timedOut++;
        throw grpcStatusError(status.DEADLINE_EXCEEDED, 'Deadline exceeded');
      }
      stats.sent++;
      return svc.respondActivityTaskCompleted(request, options);
    },
  });
  return { connection, stats };
}

const env = useEnv(test, () => startBastionEnv());

test(
  'the outcome is sent again and accepted: every activity ran once (attempt 1), no activity timeout',
  timed(60_000, async () => {
    const { connection, stats } = timingOutConnection(env().connection);
    const taskQueue = 'activity-outcome-deadline';
    const worker = await env().worker(taskQueue, { connection: connection as Connection });
    const handle = await env().client.workflow.start('threeSteps', { taskQueue, workflowId: 'activity-outcome-1', args: ['a'] });
    // Without a second send, the first activity waits out its 10 s startToCloseTimeout and runs again.
    assert.is(await worker.runUntil(withTimeout(30_000, handle.result(), 'the result')), 'Hello, a-1! Hello, a-2! Hello, a-3!');
    assert.is(stats.timedOut, 1);
    assert.is(stats.sent, 3);
    const { events } = await handle.fetchHistory();
    const started = events.filter((e) => Number(e.eventType) === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    assert.equal(
      started.map((e) => Number(e.activityTaskStartedEventAttributes!.attempt)),
      [1, 1, 1],
    );
    assert.is(events.filter((e) => Number(e.eventType) === ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT).length, 0);
  }),
);

test.run();
