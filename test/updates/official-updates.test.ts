/**
 * Workflow updates on the dev server, judged by the official client and the official
 * worker: the wait stages (and the answer when the caller's deadline nears first),
 * validator rejection leaving no event, handler failures, dedupe by update id (and an
 * id the server chooses), update-with-start under both conflict policies, and the
 * status codes Temporal gives for bad input (more in test/server/bad-input.test.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OfficialEnv } from '../helpers/official-env';
import { startOfficialUpdateEnv, type OfficialUpdateEnv } from '../helpers/update-env';
import { rejection, type CaughtError } from '../helpers/errors';
import { timed } from '../helpers/wait';
import { add, addSlowly, fail, finish, whoAmI, counter, noHandlers, finishSignal } from '../fixtures/update-workflows';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const ET = temporal.api.enums.v1.EventType;
const QUEUE = 'updates-official';

const test = suite('updates with the official client and worker');
let updates: OfficialUpdateEnv;
let env: OfficialEnv;

test.before(async () => {
  updates = await startOfficialUpdateEnv(QUEUE);
  env = updates.env;
});

test.after(async () => {
  await updates.close();
});

const startCounter = (id = `counter-${randomUUID()}`, taskQueue = QUEUE) => env.client.workflow.start(counter, { taskQueue, workflowId: id, args: [10] });

async function eventTypes(workflowId: string): Promise<number[]> {
  const h = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (h.events ?? []).map((e) => Number(e.eventType));
}

test(
  'executeUpdate returns the result and writes Accepted and Completed events',
  timed(20_000, async () => {
    const h = await startCounter();
    assert.is(await h.executeUpdate(add, { args: [5] }), 15);
    assert.is(await h.executeUpdate(add, { args: [1] }), 16);
    assert.is(await h.executeUpdate(whoAmI, { updateId: 'me-1' }), 'whoAmI:me-1');
    assert.is(await h.executeUpdate(finish), 16);
    assert.is(await h.result(), 16);
    const types = await eventTypes(h.workflowId);
    assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length, 4);
    assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED).length, 4);
  }),
);

test(
  'startUpdate waits for ACCEPTED; the handle and getUpdateHandle give the result of a handler that sleeps',
  timed(20_000, async () => {
    const h = await startCounter();
    const u = await h.startUpdate(addSlowly, { args: [7], waitForStage: WorkflowUpdateStage.ACCEPTED, updateId: 'slow-1' });
    assert.is(u.updateId, 'slow-1');
    assert.is(await h.getUpdateHandle<number>('slow-1').result(), 17);
    assert.is(await u.result(), 17);
    await h.executeUpdate(finish);
    assert.is(await h.result(), 17);
  }),
);

test(
  'with no worker polling, the call is answered with stage ADMITTED as its deadline nears; the update completes once a worker polls',
  timed(20_000, async () => {
    const queue = `${QUEUE}-late`;
    const h = await startCounter(undefined, queue);
    // The server answers 2 s before the deadline with the stage reached.
    const res = await env.connection.withDeadline(Date.now() + 2500, () =>
      env.connection.workflowService.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: h.workflowId },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
        request: { meta: { updateId: 'late-1' }, input: { name: 'add', args: { payloads: [defaultPayloadConverter.toPayload(2)] } } },
      }),
    );
    assert.is(res.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    assert.not.ok(res.outcome, 'no outcome yet');
    const late = await updates.worker(queue);
    await late.runUntil(async () => {
      assert.is(await h.getUpdateHandle<number>('late-1').result(), 12);
      await h.executeUpdate(finish);
      await h.result();
    });
  }),
);

test(
  'a validator rejection fails the update and leaves no update event',
  timed(20_000, async () => {
    const h = await startCounter();
    const err = await rejection(h.executeUpdate(add, { args: [-1] }), WorkflowUpdateFailedError);
    assert.match(err.cause!.message, /negative amounts are refused: -1/);
    await h.executeUpdate(finish);
    await h.result();
    const types = await eventTypes(h.workflowId);
    assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length, 1);
  }),
);

test(
  'a handler that throws an ApplicationFailure completes the update with that failure',
  timed(20_000, async () => {
    const h = await startCounter();
    const err = await rejection(h.executeUpdate(fail, { args: ['no thanks'] }), WorkflowUpdateFailedError);
    assert.instance(err.cause, ApplicationFailure);
    assert.is((err.cause as ApplicationFailure).type, 'UpdateRefused');
    assert.is(err.cause!.message, 'no thanks');
    await h.executeUpdate(finish);
    await h.result();
  }),
);

test(
  'the same update id twice runs the handler once',
  timed(20_000, async () => {
    const h = await startCounter();
    assert.is(await h.executeUpdate(add, { args: [1], updateId: 'once' }), 11);
    assert.is(await h.executeUpdate(add, { args: [1], updateId: 'once' }), 11);
    assert.is(await h.executeUpdate(finish), 11);
    const types = await eventTypes(h.workflowId);
    assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length, 2);
  }),
);

test(
  'update-with-start: USE_EXISTING updates the running workflow, FAIL refuses it',
  timed(30_000, async () => {
    const workflowId = `uws-${randomUUID()}`;
    const op = () => new WithStartWorkflowOperation(counter, { workflowId, taskQueue: QUEUE, args: [100], workflowIdConflictPolicy: 'USE_EXISTING' });
    const first = op();
    assert.is(await env.client.workflow.executeUpdateWithStart(add, { args: [1], startWorkflowOperation: first }), 101);
    const second = op();
    assert.is(await env.client.workflow.executeUpdateWithStart(add, { args: [2], startWorkflowOperation: second }), 103);
    assert.is((await first.workflowHandle()).workflowId, (await second.workflowHandle()).workflowId);
    const refused = new WithStartWorkflowOperation(counter, { workflowId, taskQueue: QUEUE, args: [0], workflowIdConflictPolicy: 'FAIL' });
    await rejection(env.client.workflow.executeUpdateWithStart(add, { args: [3], startWorkflowOperation: refused }), WorkflowExecutionAlreadyStartedError);
    const started = await env.client.workflow.startUpdateWithStart(add, {
      args: [4],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      startWorkflowOperation: new WithStartWorkflowOperation(counter, {
        workflowId: `${workflowId}-b`,
        taskQueue: QUEUE,
        args: [0],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
    assert.is(await started.result(), 4);
    const h = env.client.workflow.getHandle(workflowId);
    await h.executeUpdate(finish);
    assert.is(await h.result(), 103);
    await env.client.workflow.getHandle(`${workflowId}-b`).signal(finishSignal);
  }),
);

test(
  'an empty update id is replaced by one the server chooses, which the handler sees and the answer names',
  timed(20_000, async () => {
    const h = await startCounter();
    const res = await env.connection.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: h.workflowId },
      waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      request: { meta: { updateId: '' }, input: { name: 'whoAmI' } },
    });
    const id = res.updateRef!.updateId!;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.is(defaultPayloadConverter.fromPayload(res.outcome!.success!.payloads![0]!), `whoAmI:${id}`);
    assert.is(await h.getUpdateHandle<string>(id).result(), `whoAmI:${id}`);
    await h.executeUpdate(finish);
    await h.result();
  }),
);

test(
  'bad input: unknown update id, update on a closed workflow, an update with no handler',
  timed(20_000, async () => {
    const h = await startCounter();
    const svc = env.client.workflowService;
    const unknown = await rejection<CaughtError>(
      svc.pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'nope' } }),
    );
    assert.is(unknown.code, grpc.status.NOT_FOUND);
    assert.match(unknown.details!, /update "nope" not found/);
    await h.executeUpdate(finish);
    await h.result();
    const closed = await rejection<CaughtError>(
      svc.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: h.workflowId },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
        request: { meta: { updateId: 'late' }, input: { name: 'add' } },
      }),
    );
    assert.is(closed.code, grpc.status.NOT_FOUND);
    assert.match(closed.details!, /workflow execution already completed/);
    const bare = await env.client.workflow.start(noHandlers, { taskQueue: QUEUE, workflowId: `bare-${randomUUID()}` });
    const err = await rejection(bare.executeUpdate(add, { args: [1] }), WorkflowUpdateFailedError);
    assert.match(err.cause!.message, /No registered handler for update: add/);
    await bare.signal(finishSignal);
    assert.is(await bare.result(), 'done');
  }),
);

test(
  'GetSystemInfo and DescribeNamespace report update support',
  timed(5000, async () => {
    const ns = await env.client.workflowService.describeNamespace({ namespace: 'default' });
    assert.is(ns.namespaceInfo?.capabilities?.syncUpdate, true);
    assert.is(ns.namespaceInfo?.capabilities?.asyncUpdate, true);
  }),
);

test.run();
