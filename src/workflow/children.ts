/** Child workflows and handles to other workflows. */
import { CancelledFailure, ChildWorkflowFailure } from '../converter';
import { activator } from './runtime/current';
import { COMMAND_TYPE } from './runtime/activator';
import { CancellationScope } from './runtime/cancellation-scope';
import { durationProto, optionalMs } from './runtime/durations';
import type { Workflow } from '../common/definitions';
import { compileRetryPolicy, type RetryPolicy } from './activities';
import { uuid4 } from './misc';
import type { SignalDefinition } from './handlers';
import { composeInterceptors, type SignalWorkflowInput, type StartChildWorkflowExecutionInput } from './interceptors';

/** Same values as temporal.api.enums.v1.ParentClosePolicy. */
export enum ParentClosePolicy {
  PARENT_CLOSE_POLICY_UNSPECIFIED = 0,
  PARENT_CLOSE_POLICY_TERMINATE = 1,
  PARENT_CLOSE_POLICY_ABANDON = 2,
  PARENT_CLOSE_POLICY_REQUEST_CANCEL = 3,
}

export enum ChildWorkflowCancellationType {
  ABANDON = 0,
  TRY_CANCEL = 1,
  WAIT_CANCELLATION_COMPLETED = 2,
  WAIT_CANCELLATION_REQUESTED = 3,
}

export interface ChildWorkflowOptions {
  workflowId?: string;
  args?: unknown[];
  taskQueue?: string;
  workflowExecutionTimeout?: number | string;
  workflowRunTimeout?: number | string;
  workflowTaskTimeout?: number | string;
  parentClosePolicy?: ParentClosePolicy;
  cancellationType?: ChildWorkflowCancellationType;
  workflowIdReusePolicy?: number;
  retry?: RetryPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
}

export interface ChildWorkflowHandle<R = unknown> {
  readonly workflowId: string;
  readonly firstExecutionRunId: string;
  result(): Promise<R>;
  signal<Args extends unknown[]>(def: SignalDefinition<Args> | string, ...args: Args): Promise<void>;
}

export interface ExternalWorkflowHandle {
  readonly workflowId: string;
  readonly runId?: string;
  signal<Args extends unknown[]>(def: SignalDefinition<Args> | string, ...args: Args): Promise<void>;
  cancel(): Promise<void>;
}

type WorkflowRef = string | Workflow;

function typeName(w: WorkflowRef): string {
  if (typeof w === 'string') return w;
  if (typeof w === 'function' && w.name) return w.name;
  throw new TypeError('A child workflow must be given as a workflow function or a workflow type name');
}

/** Starts a child workflow; resolves when the server started it. */
export async function startChild<R = unknown>(workflow: WorkflowRef, options: ChildWorkflowOptions = {}): Promise<ChildWorkflowHandle<R>> {
  const a = activator();
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) throw new CancelledFailure('Child workflow cancelled before it started');
  const workflowType = typeName(workflow);
  const workflowId = options.workflowId ?? uuid4();
  const seq = a.nextSeq('child');
  const run = composeInterceptors(a.outbound, 'startChildWorkflowExecution', async (input: StartChildWorkflowExecutionInput) => issueChild(a, scope, input));
  const [started, result] = await run({ workflowType, options: { ...options, workflowId }, headers: {}, seq });
  const runId = await started;
  return {
    workflowId,
    firstExecutionRunId: runId,
    result: () => result as Promise<R>,
    signal: (def, ...args) => signalExternal(workflowId, runId, def, args, true),
  };
}

function issueChild(a: ReturnType<typeof activator>, scope: CancellationScope, input: StartChildWorkflowExecutionInput): [Promise<string>, Promise<unknown>] {
  const { workflowType, seq } = input;
  const options = input.options as ChildWorkflowOptions & { workflowId: string };
  const workflowId = options.workflowId;
  const pc = a.payloadConverter;
  const result = a.issueSeq<unknown>('child', seq, {
    commandType: COMMAND_TYPE.START_CHILD_WORKFLOW_EXECUTION,
    startChildWorkflowExecutionCommandAttributes: {
      namespace: a.info.namespace,
      workflowId,
      workflowType: { name: workflowType },
      taskQueue: { name: options.taskQueue ?? a.info.taskQueue },
      input: a.toPayloads(options.args ?? []),
      workflowExecutionTimeout: durationProto(optionalMs(options.workflowExecutionTimeout, 'workflowExecutionTimeout')),
      workflowRunTimeout: durationProto(optionalMs(options.workflowRunTimeout, 'workflowRunTimeout')),
      workflowTaskTimeout: durationProto(optionalMs(options.workflowTaskTimeout, 'workflowTaskTimeout')),
      parentClosePolicy: options.parentClosePolicy ?? ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
      workflowIdReusePolicy: options.workflowIdReusePolicy,
      retryPolicy: compileRetryPolicy(options.retry),
      header: { fields: input.headers },
      memo: options.memo ? { fields: Object.fromEntries(Object.entries(options.memo).map(([k, v]) => [k, pc.toPayload(v)])) } : undefined,
      searchAttributes: options.searchAttributes
        ? { indexedFields: Object.fromEntries(Object.entries(options.searchAttributes).map(([k, v]) => [k, pc.toPayload(v)])) }
        : undefined,
    },
  });
  result.catch(() => undefined);
  const cancellation = options.cancellationType ?? ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED;
  let runId: string | undefined;
  const unsubscribe = scope.onCancel(() => {
    if (!a.isPending('child', seq)) return;
    if (cancellation !== ChildWorkflowCancellationType.ABANDON && runId) void requestCancel(workflowId, runId, true);
    if (cancellation !== ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED || !runId) {
      a.settle(
        'child',
        seq,
        new ChildWorkflowFailure(a.info.namespace, { workflowId, runId: runId ?? '' }, workflowType, 0, new CancelledFailure('Child workflow cancelled')),
      );
    }
  });
  result.then(unsubscribe, unsubscribe);
  const started = a.waitChildStart(seq).then((id) => (runId = id));
  return [started, result];
}

/** Starts a child workflow and waits for its result. */
export async function executeChild<R = unknown>(workflow: WorkflowRef, options: ChildWorkflowOptions = {}): Promise<R> {
  const handle = await startChild<R>(workflow, options);
  return handle.result();
}

function signalExternal(
  workflowId: string,
  runId: string | undefined,
  def: SignalDefinition<any> | string,
  args: unknown[],
  childWorkflowOnly: boolean,
): Promise<void> {
  const a = activator();
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) return Promise.reject(new CancelledFailure('Signal cancelled before it was sent'));
  const signalName = typeof def === 'string' ? def : def.name;
  const seq = a.nextSeq('signalExternal');
  const run = composeInterceptors(a.outbound, 'signalWorkflow', (input: SignalWorkflowInput) =>
    a.issueSeq<void>('signalExternal', input.seq, {
      commandType: COMMAND_TYPE.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
      signalExternalWorkflowExecutionCommandAttributes: {
        namespace: a.info.namespace,
        execution: { workflowId: input.target.workflowId, runId: input.target.runId },
        signalName: input.signalName,
        input: a.toPayloads(input.args),
        control: String(input.seq),
        childWorkflowOnly: input.target.childWorkflowOnly,
        header: { fields: input.headers },
      },
    }),
  );
  return run({ signalName, args, target: { workflowId, runId, childWorkflowOnly }, headers: {}, seq });
}

function requestCancel(workflowId: string, runId: string | undefined, childWorkflowOnly: boolean): Promise<void> {
  const a = activator();
  const { promise } = a.issue<void>('cancelExternal', (seq) => ({
    commandType: COMMAND_TYPE.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    requestCancelExternalWorkflowExecutionCommandAttributes: { namespace: a.info.namespace, workflowId, runId, control: String(seq), childWorkflowOnly },
  }));
  promise.catch(() => undefined);
  return promise;
}

/** A handle to signal or cancel any workflow by id. */
export function getExternalWorkflowHandle(workflowId: string, runId?: string): ExternalWorkflowHandle {
  activator();
  return {
    workflowId,
    runId,
    signal: (def, ...args) => signalExternal(workflowId, runId, def, args, false),
    cancel: () => requestCancel(workflowId, runId, false),
  };
}
