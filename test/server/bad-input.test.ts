/**
 * Bad input gets the gRPC status Temporal uses and a message naming the field; the
 * server never crashes and keeps serving.
 */
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { google, temporal } from '@temporalio/proto';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';

const { test, svc, server } = rawServerSuite('dev server bad input', { blobSizeLimitBytes: 64 * 1024, namespaces: ['other'] });

async function callError(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

const start = (over: Record<string, unknown> = {}) => ({
  namespace: 'default',
  workflowId: `w-${Math.random()}`,
  workflowType: { name: 'wf' },
  taskQueue: { name: 'bad-input' },
  requestId: `r-${Math.random()}`,
  ...over,
});

test(
  'missing namespace is INVALID_ARGUMENT naming `namespace`',
  timed(5000, async () => {
    const e = await callError(svc().startWorkflowExecution(start({ namespace: '' })));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`namespace`/);
  }),
);

test(
  'unknown namespace is NOT_FOUND naming it',
  timed(5000, async () => {
    const e = await callError(svc().describeNamespace({ namespace: 'nope' }));
    assert.is(e.code, grpc.status.NOT_FOUND);
    assert.match(e.details, /Namespace nope is not found/);
    const e2 = await callError(svc().startWorkflowExecution(start({ namespace: 'nope' })));
    assert.is(e2.code, grpc.status.NOT_FOUND);
  }),
);

test(
  'namespaces from --namespace exist; RegisterNamespace refuses a duplicate',
  timed(5000, async () => {
    const d = await svc().describeNamespace({ namespace: 'other' });
    assert.is(d.namespaceInfo?.name, 'other');
    const list = await svc().listNamespaces({});
    assert.equal(
      list.namespaces!.map((n) => n.namespaceInfo?.name),
      ['default', 'other'],
    );
    await svc().registerNamespace({ namespace: 'fresh', workflowExecutionRetentionPeriod: { seconds: 3600 as never } });
    const e = await callError(svc().registerNamespace({ namespace: 'fresh' }));
    assert.is(e.code, grpc.status.ALREADY_EXISTS);
  }),
);

test(
  'empty workflow id or type is INVALID_ARGUMENT naming the field',
  timed(5000, async () => {
    const a = await callError(svc().startWorkflowExecution(start({ workflowId: '' })));
    assert.is(a.code, grpc.status.INVALID_ARGUMENT);
    assert.match(a.details, /`workflowId`/);
    const b = await callError(svc().startWorkflowExecution(start({ workflowType: { name: '' } })));
    assert.is(b.code, grpc.status.INVALID_ARGUMENT);
    assert.match(b.details, /`workflowType.name`/);
    const c = await callError(svc().startWorkflowExecution(start({ taskQueue: { name: '' } })));
    assert.match(c.details, /`taskQueue.name`/);
    const d = await callError(svc().startWorkflowExecution(start({ workflowId: 'x'.repeat(1001) })));
    assert.match(d.details, /limit is 1000/);
  }),
);

test(
  'a second start with the same request id returns the same run (dedupe)',
  timed(5000, async () => {
    const req = start();
    const a = await svc().startWorkflowExecution(req);
    const b = await svc().startWorkflowExecution(req);
    assert.is(b.runId, a.runId);
    const e = await callError(svc().startWorkflowExecution({ ...req, requestId: 'different' }));
    assert.is(e.code, grpc.status.ALREADY_EXISTS);
    assert.match(e.details, new RegExp(a.runId!));
    const used = await svc().startWorkflowExecution({
      ...req,
      requestId: 'third',
      workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
    });
    assert.is(used.runId, a.runId);
    assert.is(used.started, false);
    const replaced = await svc().startWorkflowExecution({
      ...req,
      requestId: 'fourth',
      workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
    });
    assert.is.not(replaced.runId, a.runId);
    const old = await svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: req.workflowId, runId: a.runId } });
    assert.is(old.workflowExecutionInfo?.status, temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }),
);

test(
  'id reuse policy REJECT_DUPLICATE refuses a closed id',
  timed(5000, async () => {
    const req = start();
    await svc().startWorkflowExecution(req);
    await svc().terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: req.workflowId } });
    const e = await callError(
      svc().startWorkflowExecution({
        ...req,
        requestId: 'again',
        workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
      }),
    );
    assert.is(e.code, grpc.status.ALREADY_EXISTS);
    assert.match(e.details, /REJECT_DUPLICATE/);
    const ok = await svc().startWorkflowExecution({ ...req, requestId: 'again2' });
    assert.ok(ok.runId);
  }),
);

test(
  'oversized payloads are INVALID_ARGUMENT naming the field and the limit',
  timed(5000, async () => {
    const big = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(65 * 1024) };
    const e = await callError(svc().startWorkflowExecution(start({ input: { payloads: [big] } })));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`input` is \d+ bytes; the blob size limit is 65536 bytes/);
    const req = start();
    await svc().startWorkflowExecution(req);
    const s = await callError(
      svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: req.workflowId }, signalName: 's', input: { payloads: [big] } }),
    );
    assert.match(s.details, /`input`/);
  }),
);

test(
  'unknown or stale task tokens are refused',
  timed(5000, async () => {
    const garbage = await callError(svc().respondActivityTaskCompleted({ namespace: 'default', taskToken: Buffer.from('not a token') }));
    assert.is(garbage.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbage.details, /`taskToken`/);
    const wrongKind = await callError(svc().respondWorkflowTaskCompleted({ namespace: 'default', taskToken: Buffer.from(JSON.stringify({ k: 'a', r: 'x' })) }));
    assert.is(wrongKind.code, grpc.status.INVALID_ARGUMENT);
    // A real token, used twice: the second use is stale.
    const req = start();
    await svc().startWorkflowExecution(req);
    const poll = await svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'bad-input' }, identity: 'test' });
    assert.ok(poll.taskToken && poll.taskToken.length > 0);
    await svc().respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: poll.taskToken,
      identity: 'test',
      commands: [{ commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const stale = await callError(svc().respondWorkflowTaskCompleted({ namespace: 'default', taskToken: poll.taskToken, identity: 'test' }));
    assert.is(stale.code, grpc.status.NOT_FOUND);
    assert.match(stale.details, /Workflow task not found/);
  }),
);

test(
  'a bad command fails the workflow task with a message naming it',
  timed(5000, async () => {
    const req = start({ taskQueue: { name: 'bad-command' } });
    await svc().startWorkflowExecution(req);
    const poll = await svc().pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'bad-command' }, identity: 'test' });
    const e = await callError(
      svc().respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken: poll.taskToken,
        identity: 'test',
        commands: [
          {
            commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
            scheduleActivityTaskCommandAttributes: { activityId: 'a', activityType: { name: 'x' } },
          },
        ],
      }),
    );
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /commands\[0\].*startToCloseTimeout/);
    const hist = await svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: req.workflowId } });
    const types = hist.history!.events!.map((ev) => ev.eventType);
    assert.ok(types.includes(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'task failed in history');
    assert.ok(!types.includes(temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 'no half-applied commands');
    assert.is(types[types.length - 1], temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'a new attempt is scheduled');
  }),
);

test(
  'signalling, cancelling or describing an unknown workflow is NOT_FOUND',
  timed(5000, async () => {
    const s = await callError(svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'missing' }, signalName: 'x' }));
    assert.is(s.code, grpc.status.NOT_FOUND);
    const c = await callError(svc().requestCancelWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'missing' } }));
    assert.is(c.code, grpc.status.NOT_FOUND);
    const d = await callError(svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'missing' } }));
    assert.is(d.code, grpc.status.NOT_FOUND);
    assert.match(d.details, /missing/);
  }),
);

test(
  'a malformed list query is INVALID_ARGUMENT saying where',
  timed(5000, async () => {
    const e = await callError(svc().listWorkflowExecutions({ namespace: 'default', query: "WorkflowType = 'x' AND (" }));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`query`/);
    const s = await callError(svc().countWorkflowExecutions({ namespace: 'default', query: "ExecutionStatus = 'Sleeping'" }));
    assert.match(s.details, /unknown ExecutionStatus "Sleeping"/);
  }),
);

test(
  'unimplemented methods answer UNIMPLEMENTED with the method name',
  timed(5000, async () => {
    const e = await callError(svc().resetWorkflowExecution({ namespace: 'default' }));
    assert.is(e.code, grpc.status.UNIMPLEMENTED);
    assert.match(e.details, /ResetWorkflowExecution/);
  }),
);

test(
  'update bad input answers as Temporal: INVALID_ARGUMENT naming the field, PERMISSION_DENIED for stage ADMITTED, NOT_FOUND for an unknown or empty id',
  timed(10_000, async () => {
    const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
    const { runId } = await svc().startWorkflowExecution(start({ workflowId: 'update-target' }));
    const workflowExecution = { workflowId: 'update-target' };
    const update = (request: object, lifecycleStage: number = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED) =>
      callError(svc().updateWorkflowExecution({ namespace: 'default', workflowExecution, waitPolicy: { lifecycleStage }, request }));
    const cases: Array<[string, Promise<{ code: number; details: string }>, number, RegExp]> = [
      ['no meta', update({ input: { name: 'add' } }), grpc.status.INVALID_ARGUMENT, /`request\.meta` is required/],
      [
        'a long id',
        update({ meta: { updateId: 'u'.repeat(1001) }, input: { name: 'add' } }),
        grpc.status.INVALID_ARGUMENT,
        /`request\.meta\.updateId` is 1001 characters long; the limit is 1000/,
      ],
      ['no input', update({ meta: { updateId: 'u1' } }), grpc.status.INVALID_ARGUMENT, /`request\.input` is required/],
      ['an empty name', update({ meta: { updateId: 'u1' }, input: { name: '' } }), grpc.status.INVALID_ARGUMENT, /`request\.input\.name` is required/],
      [
        'stage ADMITTED',
        update({ meta: { updateId: 'u1' }, input: { name: 'add' } }, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED),
        grpc.status.PERMISSION_DENIED,
        /`waitPolicy\.lifecycleStage` ADMITTED is not supported.*Wait for ACCEPTED or COMPLETED/,
      ],
      [
        'a poll without updateRef',
        callError(svc().pollWorkflowExecutionUpdate({ namespace: 'default' })),
        grpc.status.INVALID_ARGUMENT,
        /`updateRef` is required/,
      ],
      [
        'a poll of an unknown id',
        callError(svc().pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution, updateId: 'nope' } })),
        grpc.status.NOT_FOUND,
        /^update "nope" not found$/,
      ],
      [
        'a poll of an empty id',
        callError(svc().pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { ...workflowExecution, runId }, updateId: '' } })),
        grpc.status.NOT_FOUND,
        /^update "" not found$/,
      ],
    ];
    for (const [what, call, code, message] of cases) {
      const e = await call;
      assert.is(e.code, code, `${what}: ${e.details}`);
      assert.match(e.details, message, what);
    }
    const none = await callError(svc().pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution, updateId: 'u1' } }));
    assert.is(none.code, grpc.status.NOT_FOUND, 'no refused update was admitted');
  }),
);

test(
  'update-with-start with a bad update fails that operation and aborts the start, in a MultiOperationExecutionFailure',
  timed(10_000, async () => {
    const startOp = start({ workflowId: 'uws-bad', workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL });
    let err: grpc.ServiceError | undefined;
    try {
      await svc().executeMultiOperation({
        namespace: 'default',
        operations: [
          { startWorkflow: startOp },
          { updateWorkflow: { workflowExecution: { workflowId: 'uws-bad' }, request: { meta: { updateId: 'u1' }, input: { name: '' } } } },
        ],
      });
    } catch (e) {
      err = e as grpc.ServiceError;
    }
    assert.is(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /`request\.input\.name` is required/);
    const raw = err!.metadata?.get('grpc-status-details-bin')[0] as Buffer;
    const status = google.rpc.Status.decode(raw);
    assert.is(status.details[0]!.type_url, 'type.googleapis.com/temporal.api.errordetails.v1.MultiOperationExecutionFailure');
    const failure = temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(status.details[0]!.value!);
    assert.equal(
      failure.statuses.map((s) => [s.code, s.message]),
      [
        [grpc.status.ABORTED, 'Operation was aborted.'],
        [grpc.status.INVALID_ARGUMENT, err!.details],
      ],
    );
    const e = await callError(svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'uws-bad' } }));
    assert.is(e.code, grpc.status.NOT_FOUND, 'the start was aborted');
  }),
);

test(
  'a request that is not valid protobuf is INVALID_ARGUMENT, and the server keeps serving',
  timed(5000, async () => {
    const client = new grpc.Client(server().address, grpc.credentials.createInsecure());
    const e = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        (err) => resolve(err!),
      );
    });
    client.close();
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /could not be decoded/);
    const info = await svc().getSystemInfo({});
    assert.ok(info.capabilities?.sdkMetadata);
  }),
);

test(
  'GetSystemInfo advertises the capabilities SDKs depend on',
  timed(5000, async () => {
    const info = await svc().getSystemInfo({});
    const c = info.capabilities!;
    for (const k of [
      'sdkMetadata',
      'activityFailureIncludeHeartbeat',
      'signalAndQueryHeader',
      'internalErrorDifferentiation',
      'encodedFailureAttributes',
      'upsertMemo',
    ] as const) {
      assert.ok(c[k], `capability ${k}`);
    }
  }),
);

test.run();
