/**
 * The exact requests Bastion's Client sends for start, signal, signalWithStart, query,
 * cancel, terminate, describe, list and count, checked on a fake WorkflowService.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { temporal } from '../../src/common/proto';
import type { PayloadCodec } from '../../src/client';
import { timed } from '../helpers/wait';
import { durationMs, metadataText, payload, startFakeService, valueOf, valuesOf, type FakeService } from './fake-workflow-service';

const { WorkflowIdReusePolicy, WorkflowIdConflictPolicy, TaskQueueKind, WorkflowExecutionStatus } = temporal.api.enums.v1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A codec that reverses the bytes and marks the encoding, so encoded payloads are recognisable. */
const reversingCodec: PayloadCodec = {
  async encode(payloads) {
    return payloads.map((p) => ({ metadata: { encoding: new TextEncoder().encode('binary/reversed') }, data: Uint8Array.from(encodeInner(p)).reverse() }));
  },
  async decode(payloads) {
    return payloads.map((p) => decodeInner(Uint8Array.from(p.data!).reverse()));
  },
};
function encodeInner(p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      m: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      d: Buffer.from(p.data ?? []).toString('base64'),
    }),
  );
}
function decodeInner(bytes: Uint8Array) {
  const o = JSON.parse(new TextDecoder().decode(bytes));
  return {
    metadata: Object.fromEntries(Object.entries(o.m as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(o.d, 'base64'),
  };
}

let fake: FakeService;
const withFake = <T extends ReturnType<typeof suite>>(s: T): T => {
  s.before(async () => {
    fake = await startFakeService();
  });
  s.after(async () => {
    await fake.close();
  });
  return s;
};

// ---- start ----------------------------------------------------------------------

const start = withFake(suite('client: start request'));

start(
  'sends namespace, id, type, task queue, input, identity and a fresh UUID request id',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'run-1' }) });
    const client = fake.client();
    const handle = await client.workflow.start('greet', { taskQueue: 'tq', workflowId: 'wf-1', args: ['you', 2] });
    await client.workflow.start('greet', { taskQueue: 'tq', workflowId: 'wf-1', args: [] });
    const [first, second] = fake.calls('StartWorkflowExecution').map((c) => c.request as Record<string, any>);
    assert.is(first!.namespace, 'unit-ns');
    assert.is(first!.workflowId, 'wf-1');
    assert.is(first!.workflowType.name, 'greet');
    assert.is(first!.taskQueue.name, 'tq');
    assert.is(first!.taskQueue.kind, TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
    assert.equal(valuesOf(first!.input), ['you', 2]);
    assert.is(first!.identity, 'unit-identity');
    assert.match(first!.requestId, UUID);
    assert.match(second!.requestId, UUID);
    assert.is.not(first!.requestId, second!.requestId, 'each start has its own request id');
    assert.is(handle.workflowId, 'wf-1');
    assert.is(handle.firstExecutionRunId, 'run-1', 'the handle follows the started run');
    assert.is(handle.runId, undefined, 'the handle is not pinned to a run');
  }),
);

start(
  'names the workflow type from a function',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    async function orderWorkflow(_id: string): Promise<void> {}
    await fake.client().workflow.start(orderWorkflow, { taskQueue: 'tq', workflowId: 'wf', args: ['o-1'] });
    assert.is((fake.calls('StartWorkflowExecution')[0]!.request as any).workflowType.name, 'orderWorkflow');
  }),
);

start(
  'encodes timeouts and start delay as protobuf Durations, from strings and milliseconds',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    await fake.client().workflow.start('w', {
      taskQueue: 'tq',
      workflowId: 'wf',
      workflowExecutionTimeout: '1 day',
      workflowRunTimeout: 90_500,
      workflowTaskTimeout: '10s',
      startDelay: '1.5s',
    });
    const r = fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>;
    assert.is(durationMs(r.workflowExecutionTimeout), 86_400_000);
    assert.is(Number(r.workflowRunTimeout.seconds), 90);
    assert.is(r.workflowRunTimeout.nanos, 500_000_000);
    assert.is(durationMs(r.workflowTaskTimeout), 10_000);
    assert.is(durationMs(r.workflowStartDelay), 1_500);
  }),
);

start(
  'leaves unset timeouts, retry policy, memo and search attributes out of the request',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    await fake.client().workflow.start('w', { taskQueue: 'tq', workflowId: 'wf' });
    const r = fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>;
    for (const field of [
      'workflowExecutionTimeout',
      'workflowRunTimeout',
      'workflowTaskTimeout',
      'workflowStartDelay',
      'retryPolicy',
      'memo',
      'searchAttributes',
    ]) {
      assert.not.ok(Object.prototype.hasOwnProperty.call(r, field) && r[field], `${field} is not sent`);
    }
    assert.is(r.workflowIdReusePolicy, 0, 'no reuse policy: the server default');
  }),
);

start(
  'sends the workflow id reuse and conflict policies',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    await fake.client().workflow.start('w', {
      taskQueue: 'tq',
      workflowId: 'wf',
      workflowIdReusePolicy: WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
    });
    const r = fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>;
    assert.is(r.workflowIdReusePolicy, WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
    assert.is(r.workflowIdConflictPolicy, WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
  }),
);

start(
  'sends the retry policy with Durations and its non-retryable types',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    await fake.client().workflow.start('w', {
      taskQueue: 'tq',
      workflowId: 'wf',
      retry: { initialInterval: '250ms', backoffCoefficient: 3, maximumInterval: '2m', maximumAttempts: 7, nonRetryableErrorTypes: ['Fatal', 'Bad'] },
    });
    const rp = (fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>).retryPolicy;
    assert.is(durationMs(rp.initialInterval), 250);
    assert.is(rp.backoffCoefficient, 3);
    assert.is(durationMs(rp.maximumInterval), 120_000);
    assert.is(rp.maximumAttempts, 7);
    assert.equal([...rp.nonRetryableErrorTypes], ['Fatal', 'Bad']);
  }),
);

start(
  'encodes memo through the codecs but leaves search attributes in clear',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    const client = fake.client({ dataConverter: { payloadCodecs: [reversingCodec] } });
    await client.workflow.start('w', {
      taskQueue: 'tq',
      workflowId: 'wf',
      args: ['secret-arg'],
      memo: { owner: 'ann' },
      searchAttributes: { CustomKeywordField: ['k1'] },
    });
    const r = fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>;
    const memo = r.memo.fields.owner;
    assert.is(metadataText(memo, 'encoding'), 'binary/reversed', 'memo went through the codec');
    assert.equal(await reversingCodec.decode([memo]).then((ps) => valueOf(ps[0])), 'ann');
    assert.is(metadataText(r.input.payloads[0], 'encoding'), 'binary/reversed', 'input went through the codec');
    const sa = r.searchAttributes.indexedFields.CustomKeywordField;
    assert.is(metadataText(sa, 'encoding'), 'json/plain', 'search attributes skip the codec');
    assert.equal(valueOf(sa), ['k1']);
  }),
);

start(
  'sends headers a client interceptor adds, and the options it rewrites',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    const client = fake.client({
      interceptors: {
        workflow: [
          {
            start: (input, next) =>
              next({ ...input, headers: { ...input.headers, tenant: payload('acme') }, options: { ...input.options, taskQueue: 'rerouted' } }),
          },
        ],
      },
    });
    await client.workflow.start('w', { taskQueue: 'tq', workflowId: 'wf' });
    const r = fake.calls('StartWorkflowExecution')[0]!.request as Record<string, any>;
    assert.equal(valueOf(r.header.fields.tenant), 'acme');
    assert.is(r.taskQueue.name, 'rerouted');
  }),
);

start(
  'rejects a missing task queue or workflow id before calling the server',
  timed(5_000, async () => {
    fake.answer({ StartWorkflowExecution: () => ({ runId: 'r' }) });
    const client = fake.client();
    const noQueue = await client.workflow.start('w', { workflowId: 'wf' } as never).catch((e) => e);
    assert.is(noQueue.code, 'ERR_INVALID_OPTION');
    assert.match(noQueue.message, /`taskQueue`/);
    const noId = await client.workflow.start('w', { taskQueue: 'tq' } as never).catch((e) => e);
    assert.is(noId.code, 'ERR_INVALID_OPTION');
    assert.match(noId.message, /`workflowId`/);
    assert.is(fake.calls('StartWorkflowExecution').length, 0);
  }),
);

// ---- signal, signalWithStart, query ---------------------------------------------------

const messages = withFake(suite('client: signal, signalWithStart and query requests'));

messages(
  'signal sends name, encoded args, identity, a request id and the bound run',
  timed(5_000, async () => {
    fake.answer({ SignalWorkflowExecution: () => ({}) });
    const client = fake.client();
    await client.workflow.getHandle('wf', 'run-7').signal('approve', { by: 'bo' }, 3);
    await client.workflow.getHandle('wf').signal({ name: 'ping' } as never);
    const [pinned, current] = fake.calls('SignalWorkflowExecution').map((c) => c.request as Record<string, any>);
    assert.is(pinned!.namespace, 'unit-ns');
    assert.is(pinned!.workflowExecution.workflowId, 'wf');
    assert.is(pinned!.workflowExecution.runId, 'run-7');
    assert.is(pinned!.signalName, 'approve');
    assert.equal(valuesOf(pinned!.input), [{ by: 'bo' }, 3]);
    assert.is(pinned!.identity, 'unit-identity');
    assert.match(pinned!.requestId, UUID);
    assert.is(current!.signalName, 'ping');
    assert.is(current!.workflowExecution.runId, '', 'an unpinned handle signals the current run');
  }),
);

messages(
  'signalWithStart sends the start fields plus the signal name and its args',
  timed(5_000, async () => {
    fake.answer({ SignalWithStartWorkflowExecution: () => ({ runId: 'run-s' }) });
    const handle = await fake.client().workflow.signalWithStart('cart', {
      taskQueue: 'tq',
      workflowId: 'cart-1',
      args: ['init'],
      signal: 'add',
      signalArgs: ['apple', 2],
      workflowRunTimeout: '1m',
    });
    const r = fake.calls('SignalWithStartWorkflowExecution')[0]!.request as Record<string, any>;
    assert.is(r.workflowId, 'cart-1');
    assert.is(r.workflowType.name, 'cart');
    assert.equal(valuesOf(r.input), ['init']);
    assert.is(r.signalName, 'add');
    assert.equal(valuesOf(r.signalInput), ['apple', 2]);
    assert.is(durationMs(r.workflowRunTimeout), 60_000);
    assert.match(r.requestId, UUID);
    assert.is(handle.firstExecutionRunId, 'run-s');
  }),
);

messages(
  'query sends type and args and decodes the answer',
  timed(5_000, async () => {
    fake.answer({ QueryWorkflow: () => ({ queryResult: { payloads: [payload({ count: 4 })] } }) });
    const answer = await fake.client().workflow.getHandle('wf', 'run-q').query('count', 'apples');
    assert.equal(answer, { count: 4 });
    const r = fake.calls('QueryWorkflow')[0]!.request as Record<string, any>;
    assert.is(r.namespace, 'unit-ns');
    assert.is(r.execution.workflowId, 'wf');
    assert.is(r.execution.runId, 'run-q');
    assert.is(r.query.queryType, 'count');
    assert.equal(valuesOf(r.query.queryArgs), ['apples']);
  }),
);

messages(
  'a query with no result payload answers undefined',
  timed(5_000, async () => {
    fake.answer({ QueryWorkflow: () => ({}) });
    assert.is(await fake.client().workflow.getHandle('wf').query('nothing'), undefined);
  }),
);

messages(
  'query answers are decoded through the codecs',
  timed(5_000, async () => {
    const encoded = await reversingCodec.encode([payload('hidden')]);
    fake.answer({ QueryWorkflow: () => ({ queryResult: { payloads: encoded } }) });
    const client = fake.client({ dataConverter: { payloadCodecs: [reversingCodec] } });
    assert.is(await client.workflow.getHandle('wf').query('q'), 'hidden');
  }),
);

// ---- cancel, terminate, describe, list, count ---------------------------------------------

const control = withFake(suite('client: cancel, terminate, describe, list and count requests'));

control(
  'cancel sends the execution, identity and a request id',
  timed(5_000, async () => {
    fake.answer({ RequestCancelWorkflowExecution: () => ({}) });
    await fake.client().workflow.getHandle('wf', 'run-c').cancel();
    const r = fake.calls('RequestCancelWorkflowExecution')[0]!.request as Record<string, any>;
    assert.is(r.namespace, 'unit-ns');
    assert.is(r.workflowExecution.workflowId, 'wf');
    assert.is(r.workflowExecution.runId, 'run-c');
    assert.is(r.identity, 'unit-identity');
    assert.match(r.requestId, UUID);
  }),
);

control(
  'terminate sends the reason and identity',
  timed(5_000, async () => {
    fake.answer({ TerminateWorkflowExecution: () => ({}) });
    await fake.client().workflow.getHandle('wf', 'run-t').terminate('operator said so');
    await fake.client().workflow.getHandle('wf').terminate();
    const [withReason, without] = fake.calls('TerminateWorkflowExecution').map((c) => c.request as Record<string, any>);
    assert.is(withReason!.reason, 'operator said so');
    assert.is(withReason!.workflowExecution.runId, 'run-t');
    assert.is(withReason!.identity, 'unit-identity');
    assert.is(without!.reason, '');
  }),
);

control(
  'terminate passes the reason through a client interceptor',
  timed(5_000, async () => {
    fake.answer({ TerminateWorkflowExecution: () => ({}) });
    const client = fake.client({ interceptors: { workflow: [{ terminate: (input, next) => next({ ...input, reason: `[audited] ${input.reason}` }) }] } });
    await client.workflow.getHandle('wf').terminate('cleanup');
    assert.is((fake.calls('TerminateWorkflowExecution')[0]!.request as any).reason, '[audited] cleanup');
  }),
);

control(
  'describe maps status names, times, parent and decoded memo',
  timed(5_000, async () => {
    const encodedMemo = (await reversingCodec.encode([payload({ tier: 'gold' })]))[0];
    fake.answer({
      DescribeWorkflowExecution: () => ({
        workflowExecutionInfo: {
          execution: { workflowId: 'wf', runId: 'run-d' },
          type: { name: 'order' },
          taskQueue: 'tq',
          status: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
          historyLength: 12,
          startTime: { seconds: 1_700_000_000, nanos: 250_000_000 },
          closeTime: { seconds: 1_700_000_060 },
          parentExecution: { workflowId: 'parent', runId: 'run-p' },
          memo: { fields: { meta: encodedMemo } },
        },
      }),
    });
    const d = await fake
      .client({ dataConverter: { payloadCodecs: [reversingCodec] } })
      .workflow.getHandle('wf', 'run-d')
      .describe();
    const r = fake.calls('DescribeWorkflowExecution')[0]!.request as Record<string, any>;
    assert.is(r.execution.runId, 'run-d');
    assert.is(d.workflowId, 'wf');
    assert.is(d.runId, 'run-d');
    assert.is(d.type, 'order');
    assert.is(d.taskQueue, 'tq');
    assert.equal(d.status, { code: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, name: 'CANCELLED' });
    assert.is(d.historyLength, 12);
    assert.is(d.startTime.getTime(), 1_700_000_000_250);
    assert.is(d.closeTime!.getTime(), 1_700_000_060_000);
    assert.equal(d.parentExecution, { workflowId: 'parent', runId: 'run-p' });
    assert.equal(d.memo, { meta: { tier: 'gold' } });
  }),
);

control(
  'describe of a running workflow has no close time, parent or memo',
  timed(5_000, async () => {
    fake.answer({
      DescribeWorkflowExecution: () => ({
        workflowExecutionInfo: {
          execution: { workflowId: 'wf', runId: 'r' },
          type: { name: 't' },
          status: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
          startTime: { seconds: 5 },
        },
      }),
    });
    const d = await fake.client().workflow.getHandle('wf').describe();
    assert.equal(d.status, { code: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, name: 'RUNNING' });
    assert.is(d.closeTime, undefined);
    assert.is(d.parentExecution, undefined);
    assert.is(d.memo, undefined);
  }),
);

control(
  'list follows next page tokens until the last page, with the query and page size',
  timed(5_000, async () => {
    const info = (id: string) => ({ execution: { workflowId: id, runId: `run-${id}` }, type: { name: 't' }, status: 2, startTime: { seconds: 1 } });
    const pages: Record<string, object> = {
      '': { executions: [info('a'), info('b')], nextPageToken: Buffer.from('p2') },
      p2: { executions: [info('c')], nextPageToken: Buffer.from('p3') },
      p3: { executions: [info('d')] },
    };
    fake.answer({ ListWorkflowExecutions: (req) => pages[Buffer.from((req as any).nextPageToken ?? []).toString()]! });
    const seen: string[] = [];
    for await (const w of fake.client().workflow.list({ query: "WorkflowType = 't'", pageSize: 2 })) seen.push(`${w.workflowId}:${w.status.name}`);
    assert.equal(seen, ['a:COMPLETED', 'b:COMPLETED', 'c:COMPLETED', 'd:COMPLETED']);
    const reqs = fake.calls('ListWorkflowExecutions').map((c) => c.request as Record<string, any>);
    assert.equal(
      reqs.map((r) => Buffer.from(r.nextPageToken ?? []).toString()),
      ['', 'p2', 'p3'],
    );
    for (const r of reqs) {
      assert.is(r.query, "WorkflowType = 't'");
      assert.is(r.pageSize, 2);
      assert.is(r.namespace, 'unit-ns');
    }
  }),
);

control(
  'list stops reading pages when the caller breaks out',
  timed(5_000, async () => {
    const info = { execution: { workflowId: 'x', runId: 'r' }, type: { name: 't' }, startTime: { seconds: 1 } };
    fake.answer({ ListWorkflowExecutions: () => ({ executions: [info, info], nextPageToken: Buffer.from('more') }) });
    for await (const _ of fake.client().workflow.list()) break;
    assert.is(fake.calls('ListWorkflowExecutions').length, 1);
    assert.is((fake.calls('ListWorkflowExecutions')[0]!.request as any).pageSize, 100, 'the default page size');
  }),
);

control(
  'count sends the query and reads an int64 count',
  timed(5_000, async () => {
    fake.answer({ CountWorkflowExecutions: () => ({ count: 42 }) });
    assert.equal(await fake.client().workflow.count('ExecutionStatus = "Running"'), { count: 42 });
    assert.is((fake.calls('CountWorkflowExecutions')[0]!.request as any).query, 'ExecutionStatus = "Running"');
  }),
);

start.run();
messages.run();
control.run();
