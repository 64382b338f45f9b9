/**
 * Bastion's Client on a fake WorkflowService: `result()` (close events, continue-as-new
 * and retry chains, failures mapped to WorkflowFailedError causes), `fetchHistory()`
 * pagination, and how gRPC statuses become the client's typed errors.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import { temporal } from '../../src/common/proto';
import {
  ApplicationFailure,
  CancelledFailure,
  QueryFailedError,
  QueryNotRegisteredError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '../../src/client';
import { defaultPayloadConverter, errorToFailure, TimeoutType } from '../../src/converter';
import { timed } from '../helpers/wait';
import { rejection } from '../helpers/errors';
import { closeEvent, grpcError, payload, startFakeService, type FakeService } from './fake-workflow-service';

const { EventType: ET, HistoryEventFilterType, RetryState, WorkflowExecutionStatus } = temporal.api.enums.v1;

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

/** Answers history requests by run id from `byRun` (each a list of pages by next-page token). */
function historyByRun(byRun: Record<string, object>) {
  return (req: Record<string, unknown>) => {
    const runId = (req.execution as { runId: string }).runId;
    const answer = byRun[runId];
    if (!answer) throw grpcError(status.NOT_FOUND, `no run ${runId}`);
    return answer;
  };
}

const runIdsAsked = () => fake.calls('GetWorkflowExecutionHistory').map((c) => (c.request as any).execution.runId as string);

// ---- result ----------------------------------------------------------------------

const result = withFake(suite('client: result()'));

result(
  'long-polls for the close event only, and decodes the completed result',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', { result: { payloads: [payload({ ok: true })] } }),
    });
    assert.equal(await fake.client().workflow.getHandle('wf', 'run-1').result(), { ok: true });
    const r = fake.calls('GetWorkflowExecutionHistory')[0]!.request as Record<string, any>;
    assert.is(r.namespace, 'unit-ns');
    assert.equal({ workflowId: r.execution.workflowId, runId: r.execution.runId }, { workflowId: 'wf', runId: 'run-1' });
    assert.is(r.waitNewEvent, true);
    assert.is(r.historyEventFilterType, HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    assert.is(r.skipArchival, true);
  }),
);

result(
  'a completed workflow without a result payload resolves undefined',
  timed(5_000, async () => {
    fake.answer({ GetWorkflowExecutionHistory: () => closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {}) });
    assert.is(await fake.client().workflow.getHandle('wf').result(), undefined);
  }),
);

result(
  'polls again with the page token while the long poll returns no event',
  timed(5_000, async () => {
    let n = 0;
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        ++n < 3
          ? { history: { events: [] }, nextPageToken: Buffer.from(`poll-${n}`) }
          : closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', { result: { payloads: [payload(3)] } }),
    });
    assert.is(await fake.client().workflow.getHandle('wf', 'r').result(), 3);
    const tokens = fake.calls('GetWorkflowExecutionHistory').map((c) => Buffer.from((c.request as any).nextPageToken ?? []).toString());
    assert.equal(tokens, ['', 'poll-1', 'poll-2']);
  }),
);

result(
  'follows a continue-as-new chain from the started run to the last run',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: historyByRun({
        'run-1': closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'workflowExecutionContinuedAsNewEventAttributes', {
          newExecutionRunId: 'run-2',
        }),
        'run-2': closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'workflowExecutionContinuedAsNewEventAttributes', {
          newExecutionRunId: 'run-3',
        }),
        'run-3': closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {
          result: { payloads: [payload('final')] },
        }),
      }),
      StartWorkflowExecution: () => ({ runId: 'run-1' }),
    });
    const handle = await fake.client().workflow.start('w', { taskQueue: 'tq', workflowId: 'wf' });
    assert.is(await handle.result(), 'final');
    assert.equal(runIdsAsked(), ['run-1', 'run-2', 'run-3']);
  }),
);

result(
  'follows a failed run that the server retried (newExecutionRunId) to its successful retry',
  timed(5_000, async () => {
    const failure = errorToFailure(ApplicationFailure.retryable('first attempt broke', 'Flaky'), defaultPayloadConverter);
    fake.answer({
      GetWorkflowExecutionHistory: historyByRun({
        'run-1': closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'workflowExecutionFailedEventAttributes', {
          failure,
          newExecutionRunId: 'run-2',
          retryState: RetryState.RETRY_STATE_IN_PROGRESS,
        }),
        'run-2': closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {
          result: { payloads: [payload('second time')] },
        }),
      }),
    });
    assert.is(await fake.client().workflow.getHandle('wf', 'run-1').result(), 'second time');
    assert.equal(runIdsAsked(), ['run-1', 'run-2']);
  }),
);

result(
  'a failed workflow rejects with WorkflowFailedError whose cause is the ApplicationFailure and retry state',
  timed(5_000, async () => {
    const failure = errorToFailure(ApplicationFailure.nonRetryable('card declined', 'PaymentError', { last4: '0000' }), defaultPayloadConverter);
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'workflowExecutionFailedEventAttributes', {
          failure,
          retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
        }),
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').result(), WorkflowFailedError);
    assert.is(err.code, 'ERR_CLIENT_WORKFLOW_FAILED');
    assert.is(err.message, 'Workflow execution failed');
    assert.is(err.retryState, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
    const cause = err.cause as ApplicationFailure;
    assert.ok(cause instanceof ApplicationFailure);
    assert.is(cause.message, 'card declined');
    assert.is(cause.type, 'PaymentError');
    assert.is(cause.nonRetryable, true);
    assert.equal(cause.details, [{ last4: '0000' }]);
  }),
);

result(
  'a timed-out workflow rejects with a TimeoutFailure cause (after following no retry)',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'workflowExecutionTimedOutEventAttributes', { retryState: RetryState.RETRY_STATE_TIMEOUT }),
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').result(), WorkflowFailedError);
    assert.is(err.message, 'Workflow execution timed out');
    assert.is(err.retryState, RetryState.RETRY_STATE_TIMEOUT);
    assert.ok(err.cause instanceof TimeoutFailure);
    assert.is((err.cause as TimeoutFailure).timeoutType, TimeoutType.START_TO_CLOSE, 'as the official client reports a workflow timeout');
    assert.is(fake.calls('GetWorkflowExecutionHistory').length, 1);
  }),
);

result(
  'a timed-out run with a retry run is followed',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: historyByRun({
        a: closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'workflowExecutionTimedOutEventAttributes', {
          newExecutionRunId: 'b',
          retryState: RetryState.RETRY_STATE_IN_PROGRESS,
        }),
        b: closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', { result: { payloads: [payload('b-done')] } }),
      }),
    });
    assert.is(await fake.client().workflow.getHandle('wf', 'a').result(), 'b-done');
  }),
);

result(
  'a cancelled workflow rejects with a CancelledFailure cause carrying the decoded details',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'workflowExecutionCanceledEventAttributes', { details: { payloads: [payload('user asked')] } }),
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').result(), WorkflowFailedError);
    assert.is(err.message, 'Workflow execution cancelled');
    const cause = err.cause as CancelledFailure;
    assert.ok(cause instanceof CancelledFailure);
    assert.equal(cause.details, ['user asked']);
  }),
);

result(
  'a terminated workflow rejects with a TerminatedFailure whose message is the reason',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: () =>
        closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'workflowExecutionTerminatedEventAttributes', { reason: 'stuck in a loop' }),
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').result(), WorkflowFailedError);
    assert.is(err.message, 'Workflow execution terminated');
    assert.ok(err.cause instanceof TerminatedFailure);
    assert.is((err.cause as Error).message, 'stuck in a loop');
  }),
);

result(
  'a terminated workflow without a reason gets a default message',
  timed(5_000, async () => {
    fake.answer({
      GetWorkflowExecutionHistory: () => closeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'workflowExecutionTerminatedEventAttributes', {}),
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').result(), WorkflowFailedError);
    assert.is((err.cause as Error).message, 'Workflow execution terminated');
  }),
);

// ---- fetchHistory ----------------------------------------------------------------

const history = withFake(suite('client: fetchHistory()'));

history(
  'reads every page of the run, in order, without long-polling',
  timed(5_000, async () => {
    const ev = (id: number, eventType: number) => ({ eventId: id, eventType });
    const pages: Record<string, object> = {
      '': {
        history: { events: [ev(1, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), ev(2, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)] },
        nextPageToken: Buffer.from('t2'),
      },
      t2: { history: { events: [ev(3, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED)] }, nextPageToken: Buffer.from('t3') },
      t3: { history: { events: [ev(4, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), ev(5, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)] } },
    };
    fake.answer({ GetWorkflowExecutionHistory: (req) => pages[Buffer.from((req as any).nextPageToken ?? []).toString()]! });
    const { events } = await fake.client().workflow.getHandle('wf', 'run-h').fetchHistory();
    assert.equal(
      events.map((e) => Number(e.eventId)),
      [1, 2, 3, 4, 5],
    );
    assert.is(events[4]!.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    const reqs = fake.calls('GetWorkflowExecutionHistory').map((c) => c.request as Record<string, any>);
    assert.equal(
      reqs.map((r) => Buffer.from(r.nextPageToken ?? []).toString()),
      ['', 't2', 't3'],
    );
    for (const r of reqs) {
      assert.is(r.execution.runId, 'run-h');
      assert.is(r.waitNewEvent, false);
      assert.is(r.historyEventFilterType, 0, 'all events, not only the close event');
    }
  }),
);

// ---- errors --------------------------------------------------------------------------

const errors = withFake(suite('client: gRPC statuses become typed errors'));

errors(
  'ALREADY_EXISTS on start is WorkflowExecutionAlreadyStartedError with the id and type',
  timed(5_000, async () => {
    fake.answer({
      StartWorkflowExecution: () => {
        throw grpcError(status.ALREADY_EXISTS, 'Workflow execution is already running. WorkflowId: wf-dup');
      },
    });
    const err = await rejection(fake.client().workflow.start('order', { taskQueue: 'tq', workflowId: 'wf-dup' }), WorkflowExecutionAlreadyStartedError);
    assert.is(err.code, 'ERR_CLIENT_WORKFLOW_ALREADY_STARTED');
    assert.is(err.workflowId, 'wf-dup');
    assert.is(err.workflowType, 'order');
    assert.match(err.message, /already running/);
  }),
);

errors(
  'ALREADY_EXISTS on execute rejects before waiting for any result',
  timed(5_000, async () => {
    fake.answer({
      StartWorkflowExecution: () => {
        throw grpcError(status.ALREADY_EXISTS, 'dup');
      },
    });
    await rejection(fake.client().workflow.execute('order', { taskQueue: 'tq', workflowId: 'wf-dup' }), WorkflowExecutionAlreadyStartedError);
    assert.is(fake.calls('GetWorkflowExecutionHistory').length, 0);
  }),
);

const notFoundCases: Array<[string, (h: ReturnType<ReturnType<FakeService['client']>['workflow']['getHandle']>) => Promise<unknown>, string]> = [
  ['signal', (h) => h.signal('s'), 'SignalWorkflowExecution'],
  ['cancel', (h) => h.cancel(), 'RequestCancelWorkflowExecution'],
  ['terminate', (h) => h.terminate('r'), 'TerminateWorkflowExecution'],
  ['describe', (h) => h.describe(), 'DescribeWorkflowExecution'],
  ['query', (h) => h.query('q'), 'QueryWorkflow'],
  ['result', (h) => h.result(), 'GetWorkflowExecutionHistory'],
  ['fetchHistory', (h) => h.fetchHistory(), 'GetWorkflowExecutionHistory'],
];
for (const [name, call, method] of notFoundCases) {
  errors(
    `NOT_FOUND on ${name} is WorkflowNotFoundError naming the workflow and run`,
    timed(5_000, async () => {
      fake.answer({
        [method]: () => {
          throw grpcError(status.NOT_FOUND, 'workflow execution not found');
        },
      });
      const err = await rejection(call(fake.client().workflow.getHandle('wf-gone', 'run-gone')), WorkflowNotFoundError);
      assert.is(err.code, 'ERR_CLIENT_WORKFLOW_NOT_FOUND');
      assert.is(err.workflowId, 'wf-gone');
      assert.is(err.runId, 'run-gone');
      assert.match(err.message, /wf-gone \(run run-gone\) was not found: workflow execution not found/);
    }),
  );
}

errors(
  'other statuses pass through as the gRPC error, not as WorkflowNotFoundError',
  timed(5_000, async () => {
    fake.answer({
      SignalWorkflowExecution: () => {
        throw grpcError(status.PERMISSION_DENIED, 'no signal for you');
      },
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').signal('s'));
    assert.not.ok(err instanceof WorkflowNotFoundError);
    assert.is(err.code, status.PERMISSION_DENIED);
    assert.match(String(err.details ?? err.message), /no signal for you/);
  }),
);

errors(
  'a query for an unregistered handler is QueryNotRegisteredError with the query type',
  timed(5_000, async () => {
    fake.answer({
      QueryWorkflow: () => {
        throw grpcError(status.INVALID_ARGUMENT, 'Workflow did not register a handler for nope. Registered queries: [count]');
      },
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').query('nope'), QueryNotRegisteredError);
    assert.is(err.code, 'ERR_CLIENT_QUERY_NOT_REGISTERED');
    assert.is(err.queryType, 'nope');
    assert.match(err.message, /Registered queries: \[count\]/);
  }),
);

errors(
  'a query whose handler failed is QueryFailedError with the server message',
  timed(5_000, async () => {
    fake.answer({
      QueryWorkflow: () => {
        throw grpcError(status.INVALID_ARGUMENT, 'handler threw: division by zero');
      },
    });
    const err = await rejection(fake.client().workflow.getHandle('wf').query('ratio'), QueryFailedError);
    assert.is(err.code, 'ERR_CLIENT_QUERY_FAILED');
    assert.not.ok(err instanceof QueryNotRegisteredError);
    assert.match(err.message, /division by zero/);
  }),
);

errors(
  'a rejected query is QueryFailedError naming the workflow status',
  timed(5_000, async () => {
    fake.answer({ QueryWorkflow: () => ({ queryRejected: { status: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED } }) });
    const err = await rejection(fake.client().workflow.getHandle('wf').query('q'), QueryFailedError);
    assert.is(err.message, 'Query rejected: workflow status COMPLETED');
  }),
);

result.run();
history.run();
errors.run();
