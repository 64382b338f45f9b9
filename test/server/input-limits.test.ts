/**
 * Oversized names and ids are refused at once with INVALID_ARGUMENT naming the field and
 * the limit, and no status ever echoes more than a short escaped prefix of the input: a
 * 64 KiB namespace used to be echoed into the status trailer, which stalled the call and
 * every later call on the same grpc-js channel. Judged with the official client (grpc-js).
 */
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { temporal, google } from '@temporalio/proto';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';
import { MAX_ECHO_CHARS, echo } from '../../src/server/service-error';

const { test, svc, connection } = rawServerSuite('dev server input limits', { namespaces: ['orders'] });

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string; metadata?: grpc.Metadata }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string; metadata?: grpc.Metadata };
  }
  throw new Error('expected the call to fail');
}

/** Every call of this suite carries a deadline, so a stalled call fails as DEADLINE_EXCEEDED instead of hanging. */
const within = <T>(fn: () => Promise<T>) => connection().withDeadline(Date.now() + 8000, fn);

const start = (over: Record<string, unknown> = {}) => ({
  namespace: 'default',
  workflowId: `w-${Math.random()}`,
  workflowType: { name: 'wf' },
  taskQueue: { name: 'limits' },
  requestId: `r-${Math.random()}`,
  identity: 'tester',
  ...over,
});

test(
  'a 64 KiB namespace is INVALID_ARGUMENT at once, and the next call on the same channel works',
  timed(20_000, async () => {
    const huge = 'n'.repeat(64 * 1024);
    const e = await failure(within(() => svc().describeNamespace({ namespace: huge })));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT, e.details);
    assert.match(e.details, /`namespace` is 65536 characters long; the limit is 255/);
    const e2 = await failure(within(() => svc().startWorkflowExecution(start({ namespace: huge }))));
    assert.is(e2.code, grpc.status.INVALID_ARGUMENT);
    const ok = await within(() => svc().describeNamespace({ namespace: 'orders' }));
    assert.is(ok.namespaceInfo?.name, 'orders', 'the channel still serves');
  }),
);

test(
  'a 1 MiB workflow id is INVALID_ARGUMENT naming the field and the limit; the channel keeps working',
  timed(20_000, async () => {
    const huge = 'w'.repeat(1024 * 1024);
    const e = await failure(within(() => svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: huge } })));
    assert.is(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /`execution.workflowId` is 1048576 characters long; the limit is 1000/);
    const e2 = await failure(within(() => svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'w', runId: huge } })));
    assert.match(e2.details, /`execution.runId`/);
    await within(() => svc().getSystemInfo({}));
  }),
);

test(
  'each name, id and token field has its limit, checked before any lookup',
  timed(20_000, async () => {
    const long = 'x'.repeat(1001);
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['workflowId', () => svc().startWorkflowExecution(start({ workflowId: long }))],
      ['workflowType.name', () => svc().startWorkflowExecution(start({ workflowType: { name: long } }))],
      ['taskQueue.name', () => svc().startWorkflowExecution(start({ taskQueue: { name: long } }))],
      ['identity', () => svc().startWorkflowExecution(start({ identity: long }))],
      ['requestId', () => svc().startWorkflowExecution(start({ requestId: long }))],
      ['signalName', () => svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'w' }, signalName: long })],
      [
        'workflowExecution.runId',
        () => svc().signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'w', runId: long }, signalName: 's' }),
      ],
      ['query.queryType', () => svc().queryWorkflow({ namespace: 'default', execution: { workflowId: 'w' }, query: { queryType: long } })],
      ['activityId', () => svc().respondActivityTaskCompletedById({ namespace: 'default', workflowId: 'w', activityId: long })],
      ['taskQueue.name', () => svc().pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: long } })],
      ['taskToken', () => svc().respondActivityTaskCompleted({ namespace: 'default', taskToken: Buffer.alloc(9000, 1) })],
      [
        'nextPageToken',
        () => svc().getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'w' }, nextPageToken: Buffer.alloc(9000, 1) }),
      ],
    ];
    for (const [field, call] of cases) {
      const e = await failure(within(call));
      assert.is(e.code, grpc.status.INVALID_ARGUMENT, `${field}: ${e.details}`);
      assert.ok(e.details.includes(`\`${field}\``), `${field}: ${e.details}`);
    }
    const under = await failure(within(() => svc().startWorkflowExecution(start({ namespace: 'nope', workflowId: 'x'.repeat(1000) }))));
    assert.is(under.code, grpc.status.NOT_FOUND, 'at the limit the value is accepted and looked up');
  }),
);

test(
  'unknown names are echoed only as a short escaped prefix, in the message and in the status detail',
  timed(20_000, async () => {
    // (the official client also sends the namespace as a header, so no control characters here)
    const name = `"evil"\\${'z'.repeat(200)}`;
    const e = await failure(within(() => svc().describeNamespace({ namespace: name })));
    assert.is(e.code, grpc.status.NOT_FOUND);
    assert.ok(e.details.includes(echo(name)), e.details);
    assert.ok(e.details.includes('\\"evil\\"\\\\') && e.details.endsWith('… is not found.'), e.details);
    assert.not.ok(e.details.includes('z'.repeat(MAX_ECHO_CHARS)), 'no more than the prefix');
    const raw = e.metadata?.get('grpc-status-details-bin')[0] as Buffer | undefined;
    assert.ok(raw, 'a rich status is sent');
    const status = google.rpc.Status.decode(raw);
    const detail = temporal.api.errordetails.v1.NamespaceNotFoundFailure.decode(status.details[0]!.value!);
    assert.is(detail.namespace, echo(name));

    const wf = await failure(within(() => svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'q'.repeat(999) } })));
    assert.is(wf.code, grpc.status.NOT_FOUND);
    assert.ok(wf.details.length < 200, `short message: ${wf.details.length} characters`);
    assert.ok(wf.details.includes(`${'q'.repeat(MAX_ECHO_CHARS)}…`), wf.details);
  }),
);

test.run();
