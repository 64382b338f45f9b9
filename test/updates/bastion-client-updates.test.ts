/**
 * Bastion's client sending updates to workflows run by the official worker: every
 * client API (executeUpdate, startUpdate, getUpdateHandle, update-with-start under both
 * conflict policies), its typed errors, and update payloads encrypted in history when
 * both sides use the encryption codec.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Connection } from '../../src/connection';
import {
  Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  ApplicationFailure,
} from '../../src/client';
import { startOfficialUpdateEnv, type OfficialUpdateEnv } from '../helpers/update-env';
import { rejection } from '../helpers/errors';
import { encryptionCodec, leakedMarkers, newCodecKey } from '../helpers/test-codec';
import { timed } from '../helpers/wait';
import { add, addSlowly, fail, finish, counter, finishSignal } from '../fixtures/update-workflows';

const QUEUE = 'updates-bastion-client';
const test = suite('updates from the Bastion client to the official worker');
let updates: OfficialUpdateEnv;
let connection: Connection;
let client: Client;

test.before(async () => {
  updates = await startOfficialUpdateEnv(QUEUE);
  connection = await Connection.connect({ address: updates.env.server.address });
  client = new Client({ connection });
});

test.after(async () => {
  await connection.close();
  await updates.close();
});

test(
  'executeUpdate, startUpdate with waitForStage and getUpdateHandle give the results',
  timed(20_000, async () => {
    const h = await client.workflow.start(counter, { taskQueue: QUEUE, workflowId: `bc-${randomUUID()}`, args: [1] });
    assert.is(await h.executeUpdate(add, { args: [2] }), 3);
    const u = await h.startUpdate(addSlowly, { args: [4], waitForStage: WorkflowUpdateStage.ACCEPTED, updateId: 'bc-slow' });
    assert.is(u.updateId, 'bc-slow');
    assert.is(await h.getUpdateHandle<number>('bc-slow').result(), 7);
    assert.is(await u.result(), 7);
    assert.is(await h.executeUpdate(finish), 7);
    assert.is(await h.result(), 7);
  }),
);

test(
  'typed errors: validator rejection, handler failure, update on a closed workflow',
  timed(20_000, async () => {
    const h = await client.workflow.start(counter, { taskQueue: QUEUE, workflowId: `bc-${randomUUID()}`, args: [0] });
    const rejected = await rejection(h.executeUpdate(add, { args: [-3] }), WorkflowUpdateFailedError);
    assert.is(rejected.code, 'ERR_CLIENT_UPDATE_FAILED');
    assert.match((rejected.cause as Error).message, /negative amounts are refused: -3/);
    const failed = await rejection(h.executeUpdate(fail, { args: ['not today'] }), WorkflowUpdateFailedError);
    assert.instance(failed.cause, ApplicationFailure);
    assert.is((failed.cause as ApplicationFailure).type, 'UpdateRefused');
    await h.executeUpdate(finish);
    await h.result();
    const closed = await rejection(h.executeUpdate(add, { args: [1] }), WorkflowNotFoundError);
    assert.match(closed.message, /workflow execution already completed/);
  }),
);

test(
  'update-with-start: USE_EXISTING reuses the running workflow, FAIL refuses it',
  timed(20_000, async () => {
    const workflowId = `bc-uws-${randomUUID()}`;
    const op = (policy: 'USE_EXISTING' | 'FAIL') =>
      new WithStartWorkflowOperation(counter, { workflowId, taskQueue: QUEUE, args: [10], workflowIdConflictPolicy: policy });
    const first = op('USE_EXISTING');
    assert.is(await client.workflow.executeUpdateWithStart(add, { args: [1], startWorkflowOperation: first }), 11);
    const firstHandle = await first.workflowHandle();
    assert.is(firstHandle.workflowId, workflowId);
    const again = op('USE_EXISTING');
    const u = await client.workflow.startUpdateWithStart(add, { args: [2], startWorkflowOperation: again, waitForStage: 'ACCEPTED' });
    assert.is(await u.result(), 13);
    const refused = op('FAIL');
    await rejection(client.workflow.executeUpdateWithStart(add, { args: [3], startWorkflowOperation: refused }), WorkflowExecutionAlreadyStartedError);
    await rejection(refused.workflowHandle(), WorkflowExecutionAlreadyStartedError);
    await firstHandle.executeUpdate(finish);
    assert.is(await firstHandle.result(), 13);
  }),
);

test(
  'with the encryption codec on both sides, update arguments and results are encrypted in history',
  timed(30_000, async () => {
    const key = newCodecKey();
    const codec = await encryptionCodec(key);
    const queue = `${QUEUE}-codec`;
    const codecWorker = await updates.worker(queue, { dataConverter: { payloadCodecs: [codec] } });
    const codecClient = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    await codecWorker.runUntil(async () => {
      const h = await codecClient.workflow.start(counter, { taskQueue: queue, workflowId: `bc-codec-${randomUUID()}`, args: [424242] });
      assert.is(await h.executeUpdate(add, { args: [171717] }), 595959);
      const err = await rejection(h.executeUpdate(fail, { args: ['SECRET-REASON-31337'] }), WorkflowUpdateFailedError);
      assert.is((err.cause as Error).message, 'SECRET-REASON-31337');
      await h.signal(finishSignal);
      assert.is(await h.result(), 595959);
      const raw = await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
      const bytes = temporal.api.history.v1.History.encode(raw.history!).finish();
      assert.equal(leakedMarkers(bytes, ['171717', '595959', '424242']), []);
      const ET = temporal.api.enums.v1.EventType;
      assert.ok(raw.history!.events!.some((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED));
    });
  }),
);

test.run();
