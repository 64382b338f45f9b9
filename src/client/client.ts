/**
 * Bastion's Client: start, signal, query, cancel, terminate and await workflows, with
 * the official SDK's names and option shapes.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { invalidOption } from '../common/errors';
import { parseDuration, type Duration } from '../common/duration';
import type { Connection } from '../connection';
import { defaultPayloadConverter, failureToError, TerminatedFailure, TimeoutFailure, CancelledFailure, type PayloadConverter } from '../converter';
import {
  chain, type ClientInterceptors, type Headers, type WorkflowCancelInput, type WorkflowClientInterceptor, type WorkflowDescribeInput, type WorkflowQueryInput,
  type WorkflowSignalInput, type WorkflowSignalWithStartInput, type WorkflowStartInput, type WorkflowTerminateInput,
} from './interceptors';
import { QueryFailedError, QueryNotRegisteredError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } from './errors';

const E = { CLOSE_EVENT: 2, COMPLETED: 2, FAILED: 3, TIMED_OUT: 4, CANCELED: 21, TERMINATED: 27, CONTINUED_AS_NEW: 28 };
const STATUS_NAMES = ['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT'];

export interface ClientOptions {
  connection: Connection;
  /** @default 'default' */
  namespace?: string;
  dataConverter?: { payloadConverter?: PayloadConverter };
  /** @default `${process.pid}@${os.hostname()}` */
  identity?: string;
  interceptors?: ClientInterceptors;
}

export interface RetryPolicy {
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maximumInterval?: Duration;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

export interface WorkflowStartOptions<A extends unknown[] = unknown[]> {
  taskQueue: string;
  workflowId: string;
  args?: A;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  retry?: RetryPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
  /** temporal.api.enums.v1.WorkflowIdReusePolicy value */
  workflowIdReusePolicy?: number;
  /** temporal.api.enums.v1.WorkflowIdConflictPolicy value */
  workflowIdConflictPolicy?: number;
  startDelay?: Duration;
}

export interface WorkflowExecutionDescription {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
  status: { code: number; name: string };
  historyLength: number;
  startTime: Date;
  closeTime?: Date;
  parentExecution?: { workflowId: string; runId: string };
  raw: Record<string, any>;
}

type WorkflowRef = string | ((...args: any[]) => Promise<any>);
type SignalRef = string | { name: string };
type QueryRef = string | { name: string };

function nameOf(ref: WorkflowRef | SignalRef | QueryRef, what: string): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'function' && ref.name) return ref.name;
  if (ref && typeof ref === 'object' && typeof ref.name === 'string') return ref.name;
  throw invalidOption(what, 'must be a name, a function, or a definition with a `name`.');
}

const dur = (ms: number | undefined) => (ms === undefined ? undefined : { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const optMs = (v: Duration | undefined, name: string) => (v === undefined ? undefined : parseDuration(v, name));
const ts = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)) : undefined);

export class Client {
  readonly connection: Connection;
  readonly namespace: string;
  readonly workflow: WorkflowClient;

  constructor(options: ClientOptions) {
    if (!options?.connection) throw invalidOption('connection', 'is required: pass `await Connection.connect({ address })`.');
    this.connection = options.connection;
    this.namespace = options.namespace ?? 'default';
    this.workflow = new WorkflowClient(
      this.connection, this.namespace, options.dataConverter?.payloadConverter ?? defaultPayloadConverter,
      options.identity ?? `${process.pid}@${os.hostname()}`, options.interceptors?.workflow ?? [],
    );
  }

  get workflowService(): Connection['workflowService'] {
    return this.connection.workflowService;
  }
}

export class WorkflowClient {
  constructor(
    readonly connection: Connection,
    readonly namespace: string,
    readonly payloadConverter: PayloadConverter,
    readonly identity: string,
    readonly interceptors: WorkflowClientInterceptor[] = [],
  ) {}

  private payloads(values: unknown[]) {
    return { payloads: values.map((v) => this.payloadConverter.toPayload(v)) };
  }

  private startRequest(workflow: WorkflowRef, o: WorkflowStartOptions, headers: Headers = {}) {
    if (!o || typeof o.taskQueue !== 'string' || !o.taskQueue) throw invalidOption('taskQueue', 'is required.');
    if (typeof o.workflowId !== 'string' || !o.workflowId) throw invalidOption('workflowId', 'is required.');
    const pc = this.payloadConverter;
    return {
      namespace: this.namespace,
      workflowId: o.workflowId,
      workflowType: { name: nameOf(workflow, 'workflow') },
      taskQueue: { name: o.taskQueue, kind: 1 },
      input: this.payloads(o.args ?? []),
      workflowExecutionTimeout: dur(optMs(o.workflowExecutionTimeout, 'workflowExecutionTimeout')),
      workflowRunTimeout: dur(optMs(o.workflowRunTimeout, 'workflowRunTimeout')),
      workflowTaskTimeout: dur(optMs(o.workflowTaskTimeout, 'workflowTaskTimeout')),
      identity: this.identity,
      requestId: randomUUID(),
      workflowIdReusePolicy: o.workflowIdReusePolicy,
      workflowIdConflictPolicy: o.workflowIdConflictPolicy,
      retryPolicy: o.retry ? {
        initialInterval: dur(optMs(o.retry.initialInterval, 'retry.initialInterval')),
        backoffCoefficient: o.retry.backoffCoefficient,
        maximumInterval: dur(optMs(o.retry.maximumInterval, 'retry.maximumInterval')),
        maximumAttempts: o.retry.maximumAttempts,
        nonRetryableErrorTypes: o.retry.nonRetryableErrorTypes,
      } : undefined,
      memo: o.memo ? { fields: Object.fromEntries(Object.entries(o.memo).map(([k, v]) => [k, pc.toPayload(v)])) } : undefined,
      searchAttributes: o.searchAttributes ? { indexedFields: Object.fromEntries(Object.entries(o.searchAttributes).map(([k, v]) => [k, pc.toPayload(v)])) } : undefined,
      header: { fields: headers },
      workflowStartDelay: dur(optMs(o.startDelay, 'startDelay')),
    };
  }

  /** Starts a workflow; resolves with its handle. @throws WorkflowExecutionAlreadyStartedError */
  async start(workflow: WorkflowRef, options: WorkflowStartOptions): Promise<WorkflowHandle> {
    const workflowType = nameOf(workflow, 'workflow');
    const run = chain(this.interceptors, 'start', async (input: WorkflowStartInput): Promise<string> => {
      const req = this.startRequest(input.workflowType, input.options as WorkflowStartOptions, input.headers);
      try {
        const res = await this.connection.workflowService.startWorkflowExecution(req as never);
        return res.runId ?? '';
      } catch (err) {
        if ((err as { code?: number }).code === 6) {
          throw new WorkflowExecutionAlreadyStartedError(`Workflow execution already started: ${(err as { details?: string }).details ?? ''}`, input.options.workflowId, input.workflowType);
        }
        throw err;
      }
    });
    const runId = await run({ workflowType, headers: {}, options });
    return new WorkflowHandle(this, options.workflowId, undefined, runId || undefined);
  }

  /** Starts a workflow and waits for its result. */
  async execute<R = unknown>(workflow: WorkflowRef, options: WorkflowStartOptions): Promise<R> {
    const handle = await this.start(workflow, options);
    return handle.result() as Promise<R>;
  }

  /** Signals a workflow, starting it first if it is not running. */
  async signalWithStart(workflow: WorkflowRef, options: WorkflowStartOptions & { signal: SignalRef; signalArgs?: unknown[] }): Promise<WorkflowHandle> {
    const run = chain(this.interceptors, 'signalWithStart', async (input: WorkflowSignalWithStartInput): Promise<string> => {
      const req = { ...this.startRequest(input.workflowType, input.options as WorkflowStartOptions, input.headers), signalName: input.signalName, signalInput: this.payloads(input.signalArgs) };
      const res = await this.connection.workflowService.signalWithStartWorkflowExecution(req as never);
      return res.runId ?? '';
    });
    const runId = await run({ workflowType: nameOf(workflow, 'workflow'), signalName: nameOf(options.signal, 'signal'), signalArgs: options.signalArgs ?? [], headers: {}, options });
    return new WorkflowHandle(this, options.workflowId, undefined, runId || undefined);
  }

  /** A handle to an existing workflow (the current run, or `runId`). */
  getHandle(workflowId: string, runId?: string, options: { firstExecutionRunId?: string } = {}): WorkflowHandle {
    return new WorkflowHandle(this, workflowId, runId, options.firstExecutionRunId);
  }

  /** Lists workflows matching a list filter (`WorkflowType = 'x' AND ExecutionStatus = 'Running'`). */
  async *list(options: { query?: string; pageSize?: number } = {}): AsyncIterable<WorkflowExecutionDescription> {
    let token: Uint8Array | undefined;
    do {
      const res = await this.connection.workflowService.listWorkflowExecutions({ namespace: this.namespace, query: options.query ?? '', pageSize: options.pageSize ?? 100, nextPageToken: token });
      for (const info of res.executions ?? []) yield describeInfo(info as Record<string, any>);
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
  }

  /** Counts workflows matching a list filter. */
  async count(query?: string): Promise<{ count: number }> {
    const res = await this.connection.workflowService.countWorkflowExecutions({ namespace: this.namespace, query: query ?? '' });
    return { count: Number(res.count ?? 0) };
  }
}

function describeInfo(info: Record<string, any>, raw: Record<string, any> = info): WorkflowExecutionDescription {
  const status = Number(info.status ?? 0);
  return {
    workflowId: info.execution?.workflowId,
    runId: info.execution?.runId,
    type: info.type?.name,
    taskQueue: info.taskQueue,
    status: { code: status, name: STATUS_NAMES[status] ?? 'UNKNOWN' },
    historyLength: Number(info.historyLength ?? 0),
    startTime: ts(info.startTime)!,
    closeTime: ts(info.closeTime),
    parentExecution: info.parentExecution?.workflowId ? { workflowId: info.parentExecution.workflowId, runId: info.parentExecution.runId } : undefined,
    raw,
  };
}

export class WorkflowHandle {
  constructor(
    private readonly client: WorkflowClient,
    readonly workflowId: string,
    /** The run this handle is bound to (undefined: the current run). */
    readonly runId: string | undefined,
    /** The run started by `start`, whose chain `result()` follows. */
    readonly firstExecutionRunId: string | undefined,
  ) {}

  private get svc() {
    return this.client.connection.workflowService;
  }

  private notFound(err: unknown): never {
    if ((err as { code?: number }).code === 5) {
      throw new WorkflowNotFoundError(`Workflow ${this.workflowId}${this.runId ? ` (run ${this.runId})` : ''} was not found: ${(err as { details?: string }).details ?? ''}`, this.workflowId, this.runId);
    }
    throw err;
  }

  /**
   * Waits for the workflow to close and returns its result; follows continue-as-new
   * (and retries) to the last run. @throws WorkflowFailedError with the failure as `cause`
   */
  async result(): Promise<unknown> {
    const pc = this.client.payloadConverter;
    let runId = this.runId ?? this.firstExecutionRunId;
    for (;;) {
      let event: Record<string, any> | undefined;
      let token: Uint8Array | undefined;
      while (!event) {
        let res;
        try {
          res = await this.svc.getWorkflowExecutionHistory({
            namespace: this.client.namespace, execution: { workflowId: this.workflowId, runId }, waitNewEvent: true,
            historyEventFilterType: E.CLOSE_EVENT, skipArchival: true, nextPageToken: token,
          });
        } catch (err) {
          this.notFound(err);
        }
        event = (res.history?.events ?? [])[0] as Record<string, any> | undefined;
        token = res.nextPageToken?.length ? res.nextPageToken : undefined;
      }
      const type = Number(event.eventType);
      const a = event[Object.keys(event).find((k) => k.endsWith('EventAttributes') && event![k])!] ?? {};
      if (a.newExecutionRunId && (type === E.CONTINUED_AS_NEW || type === E.FAILED || type === E.TIMED_OUT)) {
        runId = a.newExecutionRunId;
        continue;
      }
      switch (type) {
        case E.COMPLETED: {
          const p = a.result?.payloads?.[0];
          return p ? pc.fromPayload(p) : undefined;
        }
        case E.FAILED:
          throw new WorkflowFailedError('Workflow execution failed', failureToError(a.failure, pc), Number(a.retryState ?? 0));
        case E.CANCELED:
          throw new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('Workflow cancelled', (a.details?.payloads ?? []).map((p: object) => pc.fromPayload(p))), 0);
        case E.TERMINATED:
          throw new WorkflowFailedError('Workflow execution terminated', new TerminatedFailure(a.reason || 'Workflow execution terminated'), 0);
        case E.TIMED_OUT:
          throw new WorkflowFailedError('Workflow execution timed out', new TimeoutFailure('Workflow execution timed out', undefined, 1), Number(a.retryState ?? 0));
        default:
          throw new Error(`unexpected close event type ${type}`);
      }
    }
  }

  async signal(def: SignalRef, ...args: unknown[]): Promise<void> {
    const run = chain(this.client.interceptors, 'signal', async (input: WorkflowSignalInput): Promise<void> => {
      await this.svc.signalWorkflowExecution({
        namespace: this.client.namespace, workflowExecution: input.workflowExecution,
        signalName: input.signalName, input: { payloads: input.args.map((v) => this.client.payloadConverter.toPayload(v)) } as never,
        identity: this.client.identity, requestId: randomUUID(), header: { fields: input.headers as never },
      }).catch((err) => this.notFound(err));
    });
    await run({ signalName: nameOf(def, 'signal'), args, workflowExecution: { workflowId: this.workflowId, runId: this.runId }, headers: {} });
  }

  async query<R = unknown>(def: QueryRef, ...args: unknown[]): Promise<R> {
    const run = chain(this.client.interceptors, 'query', (input: WorkflowQueryInput) => this.rawQuery(input.queryType, input.args, input.headers));
    return (await run({ queryType: nameOf(def, 'query'), args, workflowExecution: { workflowId: this.workflowId, runId: this.runId }, headers: {} })) as R;
  }

  private async rawQuery(queryType: string, args: unknown[], headers: Headers): Promise<unknown> {
    const pc = this.client.payloadConverter;
    let res;
    try {
      res = await this.svc.queryWorkflow({
        namespace: this.client.namespace, execution: { workflowId: this.workflowId, runId: this.runId },
        query: { queryType, queryArgs: { payloads: args.map((v) => pc.toPayload(v)) } as never, header: { fields: headers as never } },
      });
    } catch (err) {
      const e = err as { code?: number; details?: string };
      if (e.code === 3) {
        if (/did not register a handler|not registered|Unknown query/i.test(e.details ?? '')) throw new QueryNotRegisteredError(e.details ?? '', queryType);
        throw new QueryFailedError(e.details ?? 'query failed');
      }
      this.notFound(err);
    }
    if (res.queryRejected) throw new QueryFailedError(`Query rejected: workflow status ${STATUS_NAMES[Number(res.queryRejected.status)] ?? res.queryRejected.status}`);
    const p = res.queryResult?.payloads?.[0];
    return p ? pc.fromPayload(p) : undefined;
  }

  async cancel(): Promise<void> {
    const run = chain(this.client.interceptors, 'cancel', async (input: WorkflowCancelInput): Promise<void> => {
      await this.svc.requestCancelWorkflowExecution({
        namespace: this.client.namespace, workflowExecution: input.workflowExecution, identity: this.client.identity, requestId: randomUUID(),
      }).catch((err) => this.notFound(err));
    });
    await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId } });
  }

  async terminate(reason?: string): Promise<void> {
    const run = chain(this.client.interceptors, 'terminate', async (input: WorkflowTerminateInput): Promise<void> => {
      await this.svc.terminateWorkflowExecution({
        namespace: this.client.namespace, workflowExecution: input.workflowExecution, reason: input.reason, identity: this.client.identity,
      }).catch((err) => this.notFound(err));
    });
    await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId }, reason });
  }

  async describe(): Promise<WorkflowExecutionDescription> {
    const run = chain(this.client.interceptors, 'describe', async (input: WorkflowDescribeInput): Promise<unknown> => {
      try {
        const res = await this.svc.describeWorkflowExecution({ namespace: this.client.namespace, execution: input.workflowExecution });
        return describeInfo(res.workflowExecutionInfo as Record<string, any>, res as unknown as Record<string, any>);
      } catch (err) {
        this.notFound(err);
      }
    });
    return (await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId } })) as WorkflowExecutionDescription;
  }

  /** The run's whole history (all pages). */
  async fetchHistory(): Promise<{ events: Array<Record<string, any>> }> {
    const events: Array<Record<string, any>> = [];
    let token: Uint8Array | undefined;
    do {
      let res;
      try {
        res = await this.svc.getWorkflowExecutionHistory({ namespace: this.client.namespace, execution: { workflowId: this.workflowId, runId: this.runId }, nextPageToken: token });
      } catch (err) {
        this.notFound(err);
      }
      events.push(...((res.history?.events ?? []) as Array<Record<string, any>>));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
    return { events };
  }
}
