/**
 * Limits held at the door, driven with a raw grpc-js client: nesting depth, payload
 * blobs (inputs, memo, header, search attributes, marker details, results, heartbeat
 * details, query answers), id lengths and list queries. What the server accepts it can
 * serve back; what breaks a limit gets the answer Temporal gives.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { DevServer } from '../../src/testing';
import { deepFailure, historyOf, payloadsOf, rawService, startActivity, startAndComplete, type RawService } from '../helpers/raw-grpc';
import { timed } from '../helpers/wait';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_ID_LENGTH, MAX_NESTING_DEPTH } from '../../src/server/request-limits';
import { MAX_QUERY_BYTES, MAX_QUERY_DEPTH } from '../../src/server/visibility';

const E = temporal.api.enums.v1;
const ET = E.EventType;
const MiB = 1024 * 1024;
const test = suite('dev server limits');
let server: DevServer;
let svc: RawService;

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off' });
  svc = rawService(server.address);
});
test.after(async () => {
  svc.close();
  await server.close();
});

const start = (workflowId: string, over: Record<string, unknown> = {}) => ({
  namespace: 'default',
  workflowId,
  workflowType: { name: 'wf' },
  taskQueue: { name: 'limits' },
  requestId: workflowId,
  ...over,
});
const eventsOfType = (events: Array<Record<string, any>>, type: number) => events.filter((e) => e.eventType === type);

test(
  'a failure whose cause chain nests past the limit is refused at the door, naming the field and the limit',
  timed(10_000, async () => {
    const e = await svc.callError('StartWorkflowExecution', start('deep-start', { continuedFailure: deepFailure(99) }));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`continuedFailure\.cause×\d+` nests messages \d+ deep; the limit is 64/);
    const ok = await svc.call('StartWorkflowExecution', start('deep-start-ok', { continuedFailure: deepFailure(60) }));
    assert.ok(ok.runId, 'a chain within the limit is accepted');
  }),
);

test(
  'an activity failure nested too deep fails the activity with a server failure; history and polls still serve the run',
  timed(15_000, async () => {
    const { taskToken } = await startActivity(svc, 'deep-activity', 'limits-deep', 3);
    await svc.call('RespondActivityTaskFailed', { namespace: 'default', taskToken, failure: deepFailure(99), identity: 'raw-worker' });
    const events = await historyOf(svc, 'deep-activity');
    const [failed] = eventsOfType(events, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED);
    assert.ok(failed, 'the activity failed at once (a server failure is not retried)');
    const failure = failed!.activityTaskFailedEventAttributes.failure;
    assert.is(failure.message, 'Failure exceeds size limit.');
    assert.ok(failure.serverFailureInfo?.nonRetryable);
    assert.match(failure.cause.message, /the limit is 64/);
    const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'limits-deep' }, identity: 'raw-worker' });
    assert.ok(task.history.events.length >= 7, 'the workflow task with the failure is served');
  }),
);

test(
  'a failure chain within the limit round-trips through history and polls intact',
  timed(15_000, async () => {
    const { taskToken } = await startActivity(svc, 'deep-ok', 'limits-deep-ok', 1);
    await svc.call('RespondActivityTaskFailed', { namespace: 'default', taskToken, failure: deepFailure(60), identity: 'raw-worker' });
    const events = await historyOf(svc, 'deep-ok');
    let f = eventsOfType(events, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED)[0]!.activityTaskFailedEventAttributes.failure;
    let depth = 0;
    while (f) {
      depth++;
      f = f.cause;
    }
    assert.is(depth, 60);
    const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'limits-deep-ok' }, identity: 'raw-worker' });
    assert.ok(task.taskToken?.length);
  }),
);

test(
  'a FailWorkflowExecution command whose failure nests too deep terminates the workflow with BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES',
  timed(15_000, async () => {
    const { error } = await startAndComplete(svc, 'deep-command', 'limits-deep-command', [
      {
        commandType: E.CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        failWorkflowExecutionCommandAttributes: { failure: deepFailure(80) },
      },
    ]);
    assert.is(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error!.details, /`commands\[0\]\.failWorkflowExecutionCommandAttributes\.failure\.cause×\d+` nests messages 65 deep; the limit is 64/);
    const events = await historyOf(svc, 'deep-command');
    assert.is(
      eventsOfType(events, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0]?.workflowTaskFailedEventAttributes.cause,
      E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
    );
    assert.is(events.at(-1)!.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    assert.is(eventsOfType(events, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED).length, 0);
  }),
);

test(
  'pathological list queries are INVALID_ARGUMENT naming the limit, never INTERNAL',
  timed(10_000, async () => {
    const parens = `${'('.repeat(10_000)}WorkflowId = 'x'${')'.repeat(10_000)}`;
    const ands = Array.from({ length: 50_000 }, () => "WorkflowId = 'x'").join(' AND ');
    for (const method of ['ListWorkflowExecutions', 'CountWorkflowExecutions']) {
      const a = await svc.callError(method, { namespace: 'default', query: parens });
      assert.is(a.code, grpc.status.INVALID_ARGUMENT, `${method} parentheses`);
      assert.match(a.details, /the limit is 8192 bytes/);
      const b = await svc.callError(method, { namespace: 'default', query: ands });
      assert.is(b.code, grpc.status.INVALID_ARGUMENT, `${method} ANDs`);
      assert.match(b.details, /the limit is 8192 bytes/);
      const c = await svc.callError(method, { namespace: 'default', query: `${'('.repeat(33)}WorkflowId = 'x'${')'.repeat(33)}` });
      assert.match(c.details, /nests parentheses more than 32 deep/);
      await svc.call(method, { namespace: 'default', query: `${'('.repeat(32)}WorkflowId = 'x'${')'.repeat(32)}` });
      const many = Array.from({ length: 300 }, () => "WorkflowId = 'x'").join(' AND ');
      await svc.call(method, { namespace: 'default', query: many });
    }
  }),
);

test(
  'memo, header and search attributes over the blob size limit are refused on start, naming the field',
  timed(15_000, async () => {
    const big = payloadsOf(3 * MiB) as { payloads: object[] };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['memo', { memo: { fields: { m: big.payloads[0] } } }],
      ['header', { header: { fields: { h: big.payloads[0] } } }],
      ['searchAttributes', { searchAttributes: { indexedFields: { s: big.payloads[0] } } }],
      ['input', { input: big }],
    ];
    for (const [field, over] of cases) {
      const e = await svc.callError('StartWorkflowExecution', start(`big-${field}`, over));
      assert.is(e.code, grpc.status.INVALID_ARGUMENT, field);
      assert.match(e.details, new RegExp(`\`${field}\` is \\d+ bytes; the blob size limit is 2097152 bytes`));
    }
  }),
);

test(
  'ids over 1,000 characters are refused wherever a request carries them',
  timed(10_000, async () => {
    const long = 'i'.repeat(3 * MiB);
    const a = await svc.callError('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'limits' }, identity: long });
    assert.is(a.code, grpc.status.INVALID_ARGUMENT);
    assert.match(a.details, /`identity` is 3145728 characters long; the limit is 1000/);
    const b = await svc.callError('StartWorkflowExecution', start('long-request-id', { requestId: long }));
    assert.match(b.details, /`requestId` is 3145728 characters long; the limit is 1000/);
    const c = await svc.callError('SignalWorkflowExecution', { namespace: 'default', workflowExecution: { workflowId: 'x' }, signalName: 'x'.repeat(1001) });
    assert.match(c.details, /`signalName` is 1001 characters long; the limit is 1000/);
  }),
);

test(
  'a RecordMarker command with details over the blob limit terminates the workflow with BAD_RECORD_MARKER_ATTRIBUTES',
  timed(15_000, async () => {
    const { error } = await startAndComplete(svc, 'big-marker', 'limits-marker', [
      {
        commandType: E.CommandType.COMMAND_TYPE_RECORD_MARKER,
        recordMarkerCommandAttributes: { markerName: 'm', details: { d: payloadsOf(3 * MiB) } },
      },
    ]);
    assert.is(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error!.details, /`commands\[0\]\.recordMarkerCommandAttributes\.details` is \d+ bytes; the blob size limit is 2097152 bytes/);
    const events = await historyOf(svc, 'big-marker');
    const failed = eventsOfType(events, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0];
    assert.is(failed?.workflowTaskFailedEventAttributes.cause, E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES);
    assert.is(events.at(-1)!.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    assert.is(eventsOfType(events, ET.EVENT_TYPE_MARKER_RECORDED).length, 0, 'nothing of the refused task was written');
  }),
);

test(
  'memo and search attributes commands over the blob limit terminate the workflow with their BAD_ cause',
  timed(15_000, async () => {
    const big = (payloadsOf(3 * MiB) as { payloads: object[] }).payloads[0];
    const cases: Array<[string, object, number]> = [
      [
        'big-modify',
        {
          commandType: E.CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
          modifyWorkflowPropertiesCommandAttributes: { upsertedMemo: { fields: { m: big } } },
        },
        E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
      ],
      [
        'big-upsert',
        {
          commandType: E.CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
          upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields: { s: big } } },
        },
        E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      ],
    ];
    for (const [id, command, cause] of cases) {
      const { error } = await startAndComplete(svc, id, `limits-${id}`, [command]);
      assert.is(error?.code, grpc.status.INVALID_ARGUMENT, id);
      const d = await svc.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: id } });
      assert.is(d.workflowExecutionInfo.status, E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED, id);
      const events = await historyOf(svc, id);
      assert.is(eventsOfType(events, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0]?.workflowTaskFailedEventAttributes.cause, cause, id);
    }
  }),
);

test(
  'a child workflow id of 1 MiB fails the workflow task with BAD_START_CHILD_EXECUTION_ATTRIBUTES; the workflow stays open',
  timed(15_000, async () => {
    const { error } = await startAndComplete(svc, 'long-child-id', 'limits-child', [
      {
        commandType: E.CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        startChildWorkflowExecutionCommandAttributes: {
          namespace: 'default',
          workflowId: 'c'.repeat(MiB),
          workflowType: { name: 'wf' },
          taskQueue: { name: 'limits-child' },
        },
      },
    ]);
    assert.is(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error!.details, /`commands\[0\]\.startChildWorkflowExecutionCommandAttributes\.workflowId` is 1048576 characters long; the limit is 1000/);
    const events = await historyOf(svc, 'long-child-id');
    assert.is(
      eventsOfType(events, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0]?.workflowTaskFailedEventAttributes.cause,
      E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
    );
    const d = await svc.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: 'long-child-id' } });
    assert.is(d.workflowExecutionInfo.status, E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assert.is(eventsOfType(events, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED).length, 0);
  }),
);

test(
  'an activity result over the blob limit fails the activity with a non-retryable server failure',
  timed(15_000, async () => {
    const { taskToken } = await startActivity(svc, 'big-result', 'limits-result', 3);
    await svc.call('RespondActivityTaskCompleted', { namespace: 'default', taskToken, result: payloadsOf(3 * MiB), identity: 'raw-worker' });
    const events = await historyOf(svc, 'big-result');
    const failed = eventsOfType(events, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED)[0]?.activityTaskFailedEventAttributes;
    assert.is(failed?.failure.message, 'Complete result exceeds size limit.');
    assert.is(failed?.retryState, E.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
    assert.match(failed!.failure.cause.message, /`result` is \d+ bytes; the blob size limit is 2097152 bytes/);
    assert.is(eventsOfType(events, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).length, 0);
  }),
);

test(
  'heartbeat details over the blob limit fail the activity and tell the worker to stop',
  timed(15_000, async () => {
    const { taskToken } = await startActivity(svc, 'big-heartbeat', 'limits-heartbeat', 3);
    const res = await svc.call('RecordActivityTaskHeartbeat', { namespace: 'default', taskToken, details: payloadsOf(3 * MiB), identity: 'raw-worker' });
    assert.is(res.cancelRequested, true);
    const events = await historyOf(svc, 'big-heartbeat');
    const failed = eventsOfType(events, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED)[0]?.activityTaskFailedEventAttributes;
    assert.is(failed?.failure.message, 'Heartbeat details exceed size limit.');
    const late = await svc.callError('RespondActivityTaskCompleted', { namespace: 'default', taskToken, identity: 'raw-worker' });
    assert.is(late.code, grpc.status.NOT_FOUND, 'the attempt is over');
  }),
);

test(
  'a query answer over the blob limit fails the query instead of being sent back',
  timed(15_000, async () => {
    await startAndComplete(svc, 'big-query', 'limits-query', []);
    const query = svc.callError('QueryWorkflow', { namespace: 'default', execution: { workflowId: 'big-query' }, query: { queryType: 'q' } });
    const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'limits-query' }, identity: 'raw-worker' });
    assert.is(task.query?.queryType, 'q');
    await svc.call('RespondQueryTaskCompleted', {
      namespace: 'default',
      taskToken: task.taskToken,
      completedType: E.QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
      queryResult: payloadsOf(3 * MiB),
    });
    const e = await query;
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`queryResult` is \d+ bytes; the blob size limit is 2097152 bytes/);
  }),
);

test(
  "the error texts quoted in docs/dev-server.md are the server's own",
  timed(10_000, async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/dev-server.md'), 'utf8');
    const memo = await svc.callError(
      'StartWorkflowExecution',
      start('doc-memo', { memo: { fields: { m: (payloadsOf(3 * MiB) as { payloads: object[] }).payloads[0] } } }),
    );
    assert.ok(doc.includes(memo.details.split(' Store large')[0]!), memo.details);
    const deep = await svc.callError('StartWorkflowExecution', start('doc-deep', { continuedFailure: deepFailure(99) }));
    assert.ok(doc.includes(deep.details.match(/`continuedFailure[^;]*; the limit is 64/)![0]), deep.details);
    for (const [limit, text] of [
      [MAX_NESTING_DEPTH, '64 levels'],
      [MAX_ID_LENGTH, '1,000 characters'],
      [MAX_QUERY_BYTES, '8 KiB'],
      [MAX_QUERY_DEPTH, '32 nested parentheses'],
    ] as const) {
      assert.ok(doc.includes(text), `docs/dev-server.md states ${text} (${limit})`);
    }
    assert.is(MAX_QUERY_BYTES, 8 * 1024);
    assert.is(MAX_ID_LENGTH, 1000);
  }),
);

test.run();
