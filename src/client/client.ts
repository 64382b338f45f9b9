/**
 * Bastion's Client: start, signal, query, cancel, terminate and await workflows, with
 * the official SDK's names and option shapes.
 */
import { compileMetricsOption, type MetricsOptions } from '../observability/metrics-options';
import { meteredWorkflowService } from '../observability/metered-service';
import type { WorkflowService } from '../connection/workflow-service';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { invalidOption } from '../common/errors';
import { status as grpcStatus } from '@grpc/grpc-js';
import { temporal, type TemporalTypes } from '../common/proto';
import { parseDuration, type Duration } from '../common/duration';
import type { Connection } from '../connection';
import { backoffMs } from '../connection/retry-policy';
import {
  defaultDataConverter,
  TerminatedFailure,
  TimeoutFailure,
  CancelledFailure,
  type DataConverter,
  type DataConverterOptions,
  type Payload,
  type PayloadConverter,
  type ProtoFailure,
} from '../converter';
import { codecTransform, transformFailure, transformPayloadMap, type CodecContext, type PayloadsTransform } from '../converter/codec-chain';
import { loadDataConverter } from '../converter/load-data-converter';
import {
  chain,
  type ClientInterceptors,
  type Headers,
  type WorkflowCancelInput,
  type WorkflowClientInterceptor,
  type WorkflowDescribeInput,
  type WorkflowQueryInput,
  type WorkflowSignalInput,
  type WorkflowSignalWithStartInput,
  type WorkflowStartInput,
  type WorkflowTerminateInput,
} from './interceptors';
import type { QueryDefinition, SignalDefinition, UpdateDefinition, WithWorkflowArgs, Workflow, WorkflowResultType } from '../common/definitions';
import {
  encodeStage,
  sendUpdate,
  updateHandle,
  updateRequest,
  type WorkflowUpdateHandle,
  type WorkflowUpdateOptions,
  type WorkflowUpdateStage,
} from './update-handle';
import { conflictPolicyValue, startUpdateWithStart, type UpdateWithStartOptions, type WorkflowIdConflictPolicyName } from './with-start';
import { ScheduleClient } from './schedule-client';
import { QueryFailedError, QueryNotRegisteredError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } from './errors';

const { EventType, HistoryEventFilterType, WorkflowExecutionStatus: S } = temporal.api.enums.v1;
const E = {
  CLOSE_EVENT: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  COMPLETED: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  FAILED: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  TIMED_OUT: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  CANCELED: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  TERMINATED: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  CONTINUED_AS_NEW: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
};
/** Status names as the official client spells them (`CANCELLED`), by wire value. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  [S.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED]: 'UNSPECIFIED',
  [S.WORKFLOW_EXECUTION_STATUS_RUNNING]: 'RUNNING',
  [S.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'COMPLETED',
  [S.WORKFLOW_EXECUTION_STATUS_FAILED]: 'FAILED',
  [S.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'CANCELLED',
  [S.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'TERMINATED',
  [S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'CONTINUED_AS_NEW',
  [S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'TIMED_OUT',
  [S.WORKFLOW_EXECUTION_STATUS_PAUSED]: 'PAUSED',
};

export interface ClientOptions {
  connection: Connection;
  /** @default 'default' */
  namespace?: string;
  /**
   * Payload converter, failure converter and payload codecs (`{ payloadCodecs: [codec] }`):
   * the client encodes workflow input, memo, signal and query arguments, and decodes
   * results, query answers, failures and memo. Search attributes and headers stay in clear.
   * A custom payload converter is given as `payloadConverterPath` (a module exporting
   * `payloadConverter`, `require`d here; the official Client's shape, and the same module
   * the workers use) or, Bastion only, as the `payloadConverter` object itself.
   * @default the default converters, no codecs
   * @throws {ConfigError} `ERR_INVALID_OPTION` from `new Client` when a codec lacks
   *   `encode`/`decode` or `payloadConverterPath` cannot be loaded; `ERR_CONFLICTING_OPTIONS`
   *   for `payloadConverterPath` with `payloadConverter` or `protobufRoot`
   */
  dataConverter?: DataConverterOptions;
  /** @default `${process.pid}@${os.hostname()}` */
  identity?: string;
  interceptors?: ClientInterceptors;
  /**
   * Where this client records `temporal_request`, `temporal_request_failure` and
   * `temporal_request_latency` for its own calls (one point per call, labelled `operation`
   * and `namespace`): `{ registry }`, `{ meterProvider }` or `{ recorder }`. Calls are also
   * counted per attempt by the connection's metrics, if it has any.
   * @default none (the connection's metrics only)
   */
  metrics?: MetricsOptions | false;
}

export interface RetryPolicy {
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maximumInterval?: Duration;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

/** The options of `start`, `execute` and `signalWithStart` other than `args`. */
export interface WorkflowOptions {
  taskQueue: string;
  workflowId: string;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  retry?: RetryPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown[]>;
  /** temporal.api.enums.v1.WorkflowIdReusePolicy value */
  workflowIdReusePolicy?: number;
  /** temporal.api.enums.v1.WorkflowIdConflictPolicy value, or its name as the official client takes it (`'USE_EXISTING'`) */
  workflowIdConflictPolicy?: number | WorkflowIdConflictPolicyName;
  startDelay?: Duration;
}

/**
 * Options to start a workflow of type `W`: `args` are checked against the workflow
 * function's parameters (required when it has any), as in the official client.
 */
export type WorkflowStartOptions<W extends Workflow = Workflow> = WithWorkflowArgs<W, WorkflowOptions>;

/** Options of `signalWithStart`: the workflow's `args`, the signal and its checked `signalArgs`. */
export type WorkflowSignalWithStartOptions<W extends Workflow = Workflow, SA extends unknown[] = unknown[]> = WorkflowStartOptions<W> & {
  signal: SignalDefinition<SA> | string;
} & (SA extends [unknown, ...unknown[]] ? { signalArgs: SA | Readonly<SA> } : { signalArgs?: SA | Readonly<SA> });

/** The server's record of a workflow run, as `describe()` and `list()` return it. */
export type RawWorkflowExecutionInfo = TemporalTypes.api.workflow.v1.IWorkflowExecutionInfo;
/** The server's whole answer to `describe()` (pending activities, children, config). */
export type DescribeWorkflowExecutionResponse = TemporalTypes.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
/** A history as `fetchHistory()` returns it: every event of the run, all pages. */
export type History = TemporalTypes.api.history.v1.IHistory & { events: TemporalTypes.api.history.v1.IHistoryEvent[] };

/** A workflow run as `list()` yields it. */
export interface WorkflowExecutionInfo {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
  status: { code: number; name: string };
  historyLength: number;
  startTime: Date;
  closeTime?: Date;
  parentExecution?: { workflowId: string; runId: string };
  /** The memo, decoded (through the payload codecs and converter). */
  memo?: Record<string, unknown>;
  /** The server's record as is (memo still encoded; search attributes, which codecs never touch, as payloads). */
  raw: RawWorkflowExecutionInfo;
}

/** A workflow run as `describe()` returns it; `raw` is the server's whole answer. */
export interface WorkflowExecutionDescription extends Omit<WorkflowExecutionInfo, 'raw'> {
  /** The server's answer as is (pending activities, children, config; memo still encoded). */
  raw: DescribeWorkflowExecutionResponse;
}

type WorkflowRef = string | Workflow;
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
const ts = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)) : undefined;

/**
 * The client: `client.workflow` starts, signals, queries, cancels, terminates, lists and
 * awaits workflows, with the official `@temporalio/client`'s names and option shapes.
 *
 * @example
 * const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
 * const result = await client.workflow.execute(greet, { taskQueue: 'q', workflowId: 'w1', args: ['you'] });
 * @throws {ConfigError} `ERR_INVALID_OPTION` from the constructor when `connection` is missing or `dataConverter` is invalid
 */
export class Client {
  readonly connection: Connection;
  readonly namespace: string;
  readonly workflow: WorkflowClient;
  /** Schedules: create, getHandle, list (the official `client.schedule`). */
  readonly schedule: ScheduleClient;

  constructor(options: ClientOptions) {
    if (!options?.connection) throw invalidOption('connection', 'is required: pass `await Connection.connect({ address })`.');
    this.connection = options.connection;
    this.namespace = options.namespace ?? 'default';
    const dataConverter = loadDataConverter(options.dataConverter);
    this.workflow = new WorkflowClient(
      this.connection,
      this.namespace,
      dataConverter.payloadConverter,
      options.identity ?? `${process.pid}@${os.hostname()}`,
      options.interceptors?.workflow ?? [],
      dataConverter,
      options.metrics ? meteredWorkflowService(this.connection.workflowService, compileMetricsOption(options.metrics, 'metrics')) : undefined,
    );
    this.schedule = new ScheduleClient(this.workflow);
  }

  get workflowService(): Connection['workflowService'] {
    return this.connection.workflowService;
  }
}

/**
 * Workflow operations of a {@link Client} (`client.workflow`): `start`, `execute`,
 * `signalWithStart`, `getHandle`, `list`, `count`. Payloads go through the client's data
 * converter and codecs.
 */
export class WorkflowClient {
  /**
   * @internal Wraps every wait for a result (`handle.result()`, `execute()`): the
   * time-skipping TestWorkflowEnvironment unlocks time skipping around it, as the official
   * TimeSkippingWorkflowClient does.
   */
  resultScope?: <T>(wait: () => Promise<T>) => Promise<T>;
  /** @internal The connection's WorkflowService, counted when the client has `metrics`. */
  readonly service: WorkflowService;
  /** @internal Codec directions. */
  readonly encode: PayloadsTransform;
  /** @internal */
  readonly decode: PayloadsTransform;

  constructor(
    readonly connection: Connection,
    readonly namespace: string,
    readonly payloadConverter: PayloadConverter,
    readonly identity: string,
    readonly interceptors: WorkflowClientInterceptor[] = [],
    readonly dataConverter: DataConverter = { ...defaultDataConverter, payloadConverter },
    service?: WorkflowService,
  ) {
    this.service = service ?? connection.workflowService;
    this.encode = codecTransform(dataConverter.payloadCodecs ?? [], 'encode');
    this.decode = codecTransform(dataConverter.payloadCodecs ?? [], 'decode');
  }

  /** @internal The codec context of a workflow's payloads. */
  context(workflowId: string): CodecContext {
    return { type: 'workflow', namespace: this.namespace, workflowId };
  }

  /** @internal Values → payloads → codecs. */
  async payloads(values: unknown[], workflowId: string): Promise<{ payloads: Payload[] }> {
    return {
      payloads: (await this.encode(
        values.map((v) => this.payloadConverter.toPayload(v)),
        this.context(workflowId),
      ))!,
    };
  }

  /** @internal Codecs → payloads → the value of the first (`undefined` when there is none). */
  async value(payloads: Payload[] | null | undefined, workflowId: string): Promise<unknown> {
    const decoded = await this.decode(payloads ?? [], this.context(workflowId));
    const p = decoded?.[0];
    return p ? this.payloadConverter.fromPayload(p) : undefined;
  }

  /** @internal Codecs → failure converter. */
  async error(failure: ProtoFailure, workflowId: string): Promise<Error> {
    const decoded = this.dataConverter.payloadCodecs?.length ? await transformFailure(this.decode, failure, this.context(workflowId)) : failure;
    return this.dataConverter.failureConverter.failureToError(decoded, this.payloadConverter);
  }

  /** @internal A memo's fields, decoded. */
  async memo(fields: Record<string, Payload> | null | undefined, workflowId: string): Promise<Record<string, unknown> | undefined> {
    if (!fields) return undefined;
    const decoded = (await transformPayloadMap(this.decode, fields, this.context(workflowId)))!;
    return Object.fromEntries(Object.entries(decoded).map(([k, p]) => [k, this.payloadConverter.fromPayload(p)]));
  }

  /** @internal The StartWorkflowExecution request of `start` (also update-with-start's first operation). */
  async startRequest(workflow: WorkflowRef, o: WorkflowOptions & { args?: readonly unknown[] }, headers: Headers = {}) {
    if (!o || typeof o.taskQueue !== 'string' || !o.taskQueue) throw invalidOption('taskQueue', 'is required.');
    if (typeof o.workflowId !== 'string' || !o.workflowId) throw invalidOption('workflowId', 'is required.');
    const pc = this.payloadConverter;
    const ctx = this.context(o.workflowId);
    return {
      namespace: this.namespace,
      workflowId: o.workflowId,
      workflowType: { name: nameOf(workflow, 'workflow') },
      taskQueue: { name: o.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: await this.payloads([...(o.args ?? [])], o.workflowId),
      workflowExecutionTimeout: dur(optMs(o.workflowExecutionTimeout, 'workflowExecutionTimeout')),
      workflowRunTimeout: dur(optMs(o.workflowRunTimeout, 'workflowRunTimeout')),
      workflowTaskTimeout: dur(optMs(o.workflowTaskTimeout, 'workflowTaskTimeout')),
      identity: this.identity,
      requestId: randomUUID(),
      workflowIdReusePolicy: o.workflowIdReusePolicy,
      workflowIdConflictPolicy: conflictPolicyValue(o.workflowIdConflictPolicy),
      retryPolicy: o.retry
        ? {
            initialInterval: dur(optMs(o.retry.initialInterval, 'retry.initialInterval')),
            backoffCoefficient: o.retry.backoffCoefficient,
            maximumInterval: dur(optMs(o.retry.maximumInterval, 'retry.maximumInterval')),
            maximumAttempts: o.retry.maximumAttempts,
            nonRetryableErrorTypes: o.retry.nonRetryableErrorTypes,
          }
        : undefined,
      memo: o.memo
        ? { fields: await transformPayloadMap(this.encode, Object.fromEntries(Object.entries(o.memo).map(([k, v]) => [k, pc.toPayload(v)])), ctx) }
        : undefined,
      // Search attributes are indexed by the server: never through the codecs.
      searchAttributes: o.searchAttributes
        ? { indexedFields: Object.fromEntries(Object.entries(o.searchAttributes).map(([k, v]) => [k, pc.toPayload(v)])) }
        : undefined,
      header: { fields: headers },
      workflowStartDelay: dur(optMs(o.startDelay, 'startDelay')),
    };
  }

  /**
   * Starts a workflow; resolves with its handle. Pass the workflow function (or give its
   * type, `start<typeof greet>('greet', …)`) and `args` are checked and `result()` typed.
   * @throws WorkflowExecutionAlreadyStartedError
   */
  async start<W extends Workflow = Workflow>(workflow: string | W, options: WorkflowStartOptions<W>): Promise<WorkflowHandle<W>> {
    const workflowType = nameOf(workflow, 'workflow');
    const run = chain(this.interceptors, 'start', async (input: WorkflowStartInput): Promise<string> => {
      const req = await this.startRequest(input.workflowType, input.options as WorkflowOptions, input.headers);
      try {
        const res = await this.service.startWorkflowExecution(req as never);
        return res.runId ?? '';
      } catch (err) {
        if ((err as { code?: number }).code === grpcStatus.ALREADY_EXISTS) {
          throw new WorkflowExecutionAlreadyStartedError(
            `Workflow execution already started: ${(err as { details?: string }).details ?? ''}`,
            input.options.workflowId,
            input.workflowType,
          );
        }
        throw err;
      }
    });
    const runId = await run({ workflowType, headers: {}, options });
    return new WorkflowHandle<W>(this, options.workflowId, undefined, runId || undefined);
  }

  /** Starts a workflow and waits for its result (typed from the workflow function). */
  async execute<W extends Workflow = Workflow>(workflow: string | W, options: WorkflowStartOptions<W>): Promise<WorkflowResultType<W>> {
    const handle = await this.start(workflow, options);
    return handle.result();
  }

  /**
   * Starts the workflow (or uses the running one, with conflict policy USE_EXISTING) and
   * sends an update in one call; returns the update's result.
   * @throws WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError (policy FAIL)
   */
  async executeUpdateWithStart<Ret, Args extends unknown[], W extends Workflow = Workflow>(
    def: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<W> & { args?: Args },
  ): Promise<Ret> {
    const h = await startUpdateWithStart<Ret, W>(
      this,
      def,
      { ...options, waitForStage: 'COMPLETED' },
      (id, runId) => new WorkflowHandle<W>(this, id, undefined, runId),
    );
    return h.result();
  }

  /** Like {@link executeUpdateWithStart}, but returns the update handle once the update reached `waitForStage` (ACCEPTED). */
  async startUpdateWithStart<Ret, Args extends unknown[], W extends Workflow = Workflow>(
    def: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<W> & { args?: Args; waitForStage: 'ACCEPTED' },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return startUpdateWithStart<Ret, W>(this, def, options, (id, runId) => new WorkflowHandle<W>(this, id, undefined, runId));
  }

  /** Signals a workflow, starting it first if it is not running. */
  async signalWithStart<W extends Workflow = Workflow, SA extends unknown[] = []>(
    workflow: string | W,
    options: WorkflowSignalWithStartOptions<W, SA>,
  ): Promise<WorkflowHandle<W>> {
    const run = chain(this.interceptors, 'signalWithStart', async (input: WorkflowSignalWithStartInput): Promise<string> => {
      const req = {
        ...(await this.startRequest(input.workflowType, input.options as WorkflowOptions, input.headers)),
        signalName: input.signalName,
        signalInput: await this.payloads(input.signalArgs, input.options.workflowId),
      };
      const res = await this.service.signalWithStartWorkflowExecution(req as never);
      return res.runId ?? '';
    });
    const runId = await run({
      workflowType: nameOf(workflow, 'workflow'),
      signalName: nameOf(options.signal, 'signal'),
      signalArgs: [...(options.signalArgs ?? [])],
      headers: {},
      options,
    });
    return new WorkflowHandle<W>(this, options.workflowId, undefined, runId || undefined);
  }

  /** A handle to an existing workflow (the current run, or `runId`); `getHandle<typeof greet>(id)` types its result. */
  getHandle<W extends Workflow = Workflow>(workflowId: string, runId?: string, options: { firstExecutionRunId?: string } = {}): WorkflowHandle<W> {
    return new WorkflowHandle<W>(this, workflowId, runId, options.firstExecutionRunId);
  }

  /** Lists workflows matching a list filter (`WorkflowType = 'x' AND ExecutionStatus = 'Running'`). */
  async *list(options: { query?: string; pageSize?: number } = {}): AsyncIterable<WorkflowExecutionInfo> {
    let token: Uint8Array | undefined;
    do {
      const res = await this.service.listWorkflowExecutions({
        namespace: this.namespace,
        query: options.query ?? '',
        pageSize: options.pageSize ?? 100,
        nextPageToken: token,
      });
      for (const info of res.executions ?? []) yield { ...(await describeInfo(this, info)), raw: info };
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
  }

  /** Counts workflows matching a list filter. */
  async count(query?: string): Promise<{ count: number }> {
    const res = await this.service.countWorkflowExecutions({ namespace: this.namespace, query: query ?? '' });
    return { count: Number(res.count ?? 0) };
  }
}

async function describeInfo(client: WorkflowClient, info: RawWorkflowExecutionInfo): Promise<Omit<WorkflowExecutionInfo, 'raw'>> {
  const status = Number(info.status ?? 0);
  const workflowId = info.execution?.workflowId ?? '';
  return {
    workflowId,
    runId: info.execution?.runId ?? '',
    type: info.type?.name ?? '',
    taskQueue: info.taskQueue ?? '',
    status: { code: status, name: STATUS_NAMES[status] ?? 'UNKNOWN' },
    historyLength: Number(info.historyLength ?? 0),
    startTime: ts(info.startTime)!,
    closeTime: ts(info.closeTime),
    parentExecution: info.parentExecution?.workflowId ? { workflowId: info.parentExecution.workflowId, runId: info.parentExecution.runId ?? '' } : undefined,
    memo: await client.memo(info.memo?.fields ?? undefined, workflowId),
  };
}

/** A handle to one workflow execution; `W` (the workflow function's type) types `result()`. */
export class WorkflowHandle<W extends Workflow = Workflow> {
  constructor(
    private readonly client: WorkflowClient,
    readonly workflowId: string,
    /** The run this handle is bound to (undefined: the current run). */
    readonly runId: string | undefined,
    /** The run started by `start`, whose chain `result()` follows. */
    readonly firstExecutionRunId: string | undefined,
  ) {}

  private get svc() {
    return this.client.service;
  }

  private notFound(err: unknown): never {
    if ((err as { code?: number }).code === grpcStatus.NOT_FOUND) {
      throw new WorkflowNotFoundError(
        `Workflow ${this.workflowId}${this.runId ? ` (run ${this.runId})` : ''} was not found: ${(err as { details?: string }).details ?? ''}`,
        this.workflowId,
        this.runId,
      );
    }
    throw err;
  }

  /**
   * Waits for the workflow to close and returns its result; follows continue-as-new
   * (and retries) to the last run. @throws WorkflowFailedError with the failure as `cause`
   */
  async result(): Promise<WorkflowResultType<W>> {
    const scope = this.client.resultScope;
    return scope ? scope(() => this.waitForResult()) : this.waitForResult();
  }

  private async waitForResult(): Promise<WorkflowResultType<W>> {
    const id = this.workflowId;
    let runId = this.runId ?? this.firstExecutionRunId;
    let unavailable = 0;
    for (;;) {
      let event: TemporalTypes.api.history.v1.IHistoryEvent | undefined;
      let token: Uint8Array | undefined;
      while (!event) {
        let res;
        try {
          res = await this.svc.getWorkflowExecutionHistory({
            namespace: this.client.namespace,
            execution: { workflowId: this.workflowId, runId },
            waitNewEvent: true,
            historyEventFilterType: E.CLOSE_EVENT,
            skipArchival: true,
            nextPageToken: token,
          });
        } catch (err) {
          const code = (err as { code?: number }).code;
          // The long poll's deadline (`longPollTimeout`) expired: routine, wait again.
          if (code === grpcStatus.DEADLINE_EXCEEDED) continue;
          // Long polls are not retried by the connection: the server restarting or the
          // network failing for a moment is retried here, by the connection's policy.
          const retry = this.client.connection.options.retry;
          if (code === grpcStatus.UNAVAILABLE && ++unavailable < retry.maxAttempts) {
            await new Promise((r) => setTimeout(r, backoffMs(unavailable, retry)));
            continue;
          }
          this.notFound(err);
        }
        unavailable = 0;
        event = (res.history?.events ?? [])[0] ?? undefined;
        token = res.nextPageToken?.length ? res.nextPageToken : undefined;
      }
      const type = Number(event.eventType);
      // Continue-as-new, and a failure or timeout that the retry policy retries, name the next run.
      const next =
        event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        event.workflowExecutionFailedEventAttributes?.newExecutionRunId ??
        event.workflowExecutionTimedOutEventAttributes?.newExecutionRunId;
      if (next && (type === E.CONTINUED_AS_NEW || type === E.FAILED || type === E.TIMED_OUT)) {
        runId = next;
        continue;
      }
      switch (type) {
        case E.COMPLETED:
          return (await this.client.value(event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? undefined, id)) as WorkflowResultType<W>;
        case E.FAILED: {
          const a = event.workflowExecutionFailedEventAttributes;
          throw new WorkflowFailedError(
            'Workflow execution failed',
            await this.client.error((a?.failure ?? {}) as ProtoFailure, id),
            Number(a?.retryState ?? 0),
          );
        }
        case E.CANCELED: {
          const payloads = (event.workflowExecutionCanceledEventAttributes?.details?.payloads ?? []) as Payload[];
          const details = (await this.client.decode(payloads, this.client.context(id)))!;
          throw new WorkflowFailedError(
            'Workflow execution cancelled',
            new CancelledFailure(
              'Workflow cancelled',
              details.map((p) => this.client.payloadConverter.fromPayload(p)),
            ),
            0,
          );
        }
        case E.TERMINATED:
          throw new WorkflowFailedError(
            'Workflow execution terminated',
            new TerminatedFailure(event.workflowExecutionTerminatedEventAttributes?.reason || 'Workflow execution terminated'),
            0,
          );
        case E.TIMED_OUT:
          throw new WorkflowFailedError(
            'Workflow execution timed out',
            new TimeoutFailure('Workflow execution timed out', undefined, 1),
            Number(event.workflowExecutionTimedOutEventAttributes?.retryState ?? 0),
          );
        default:
          throw new Error(`unexpected close event type ${type}`);
      }
    }
  }

  /** Sends a signal; with a definition, `args` are checked against it. */
  async signal<Args extends unknown[] = []>(def: SignalDefinition<Args> | string, ...args: Args): Promise<void> {
    const run = chain(this.client.interceptors, 'signal', async (input: WorkflowSignalInput): Promise<void> => {
      await this.svc
        .signalWorkflowExecution({
          namespace: this.client.namespace,
          workflowExecution: input.workflowExecution,
          signalName: input.signalName,
          input: (await this.client.payloads(input.args, this.workflowId)) as never,
          identity: this.client.identity,
          requestId: randomUUID(),
          header: { fields: input.headers as never },
        })
        .catch((err) => this.notFound(err));
    });
    await run({ signalName: nameOf(def, 'signal'), args, workflowExecution: { workflowId: this.workflowId, runId: this.runId }, headers: {} });
  }

  /**
   * Sends an update and waits for its result.
   * @throws WorkflowUpdateFailedError with the failure as `cause`; WorkflowUpdateRPCTimeoutOrCancelledError
   */
  async executeUpdate<Ret, Args extends unknown[] = []>(
    def: UpdateDefinition<Ret, Args> | string,
    options?: WorkflowUpdateOptions & { args?: Args },
  ): Promise<Ret> {
    const h = await this.sendUpdate<Ret>(def, options, 'COMPLETED');
    return h.result();
  }

  /** Sends an update and returns its handle once it reached `waitForStage` (ACCEPTED: the workflow accepted it). */
  async startUpdate<Ret, Args extends unknown[] = []>(
    def: UpdateDefinition<Ret, Args> | string,
    options: WorkflowUpdateOptions & { args?: Args; waitForStage: 'ACCEPTED' },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return this.sendUpdate<Ret>(def, options, options?.waitForStage ?? 'ACCEPTED');
  }

  /** A handle to an update sent before (by id); `result()` waits for its outcome. */
  getUpdateHandle<Ret = unknown>(updateId: string, options?: { workflowRunId?: string }): WorkflowUpdateHandle<Ret> {
    return updateHandle<Ret>(this.client, updateId, { workflowId: this.workflowId, runId: options?.workflowRunId ?? this.runId });
  }

  private async sendUpdate<Ret>(
    def: UpdateDefinition<Ret, any[]> | string,
    options: (WorkflowUpdateOptions & { args?: unknown[] }) | undefined,
    stage: WorkflowUpdateStage,
  ): Promise<WorkflowUpdateHandle<Ret>> {
    const exec = { workflowId: this.workflowId, runId: this.runId };
    const req = await updateRequest(this.client, exec, {
      name: nameOf(def, 'update'),
      args: [...(options?.args ?? [])],
      updateId: options?.updateId,
      stage: encodeStage(stage),
      firstExecutionRunId: this.runId ? undefined : this.firstExecutionRunId,
    });
    const sent = await sendUpdate(this.client, req, exec);
    return updateHandle<Ret>(this.client, req.request.meta.updateId, { workflowId: this.workflowId, runId: sent.runId }, sent.outcome);
  }

  /** Queries the workflow; with a definition, `args` are checked and the answer typed. */
  async query<R = unknown, Args extends unknown[] = []>(def: QueryDefinition<R, Args> | string, ...args: Args): Promise<R> {
    const run = chain(this.client.interceptors, 'query', (input: WorkflowQueryInput) => this.rawQuery(input.queryType, input.args, input.headers));
    return (await run({ queryType: nameOf(def, 'query'), args, workflowExecution: { workflowId: this.workflowId, runId: this.runId }, headers: {} })) as R;
  }

  private async rawQuery(queryType: string, args: unknown[], headers: Headers): Promise<unknown> {
    const queryArgs = await this.client.payloads(args, this.workflowId);
    let res;
    try {
      res = await this.svc.queryWorkflow({
        namespace: this.client.namespace,
        execution: { workflowId: this.workflowId, runId: this.runId },
        query: { queryType, queryArgs: queryArgs as never, header: { fields: headers as never } },
      });
    } catch (err) {
      const e = err as { code?: number; details?: string };
      if (e.code === grpcStatus.INVALID_ARGUMENT) {
        if (/did not register a handler|not registered|Unknown query/i.test(e.details ?? '')) throw new QueryNotRegisteredError(e.details ?? '', queryType);
        throw new QueryFailedError(e.details ?? 'query failed');
      }
      // A run whose workflow task keeps failing cannot answer: the server says why.
      if (e.code === grpcStatus.FAILED_PRECONDITION) throw new QueryFailedError(e.details ?? 'the workflow cannot answer queries now');
      this.notFound(err);
    }
    if (res.queryRejected)
      throw new QueryFailedError(`Query rejected: workflow status ${STATUS_NAMES[Number(res.queryRejected.status)] ?? res.queryRejected.status}`);
    return this.client.value(res.queryResult?.payloads, this.workflowId);
  }

  async cancel(): Promise<void> {
    const run = chain(this.client.interceptors, 'cancel', async (input: WorkflowCancelInput): Promise<void> => {
      await this.svc
        .requestCancelWorkflowExecution({
          namespace: this.client.namespace,
          workflowExecution: input.workflowExecution,
          identity: this.client.identity,
          requestId: randomUUID(),
        })
        .catch((err) => this.notFound(err));
    });
    await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId } });
  }

  async terminate(reason?: string): Promise<void> {
    const run = chain(this.client.interceptors, 'terminate', async (input: WorkflowTerminateInput): Promise<void> => {
      await this.svc
        .terminateWorkflowExecution({
          namespace: this.client.namespace,
          workflowExecution: input.workflowExecution,
          reason: input.reason,
          identity: this.client.identity,
        })
        .catch((err) => this.notFound(err));
    });
    await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId }, reason });
  }

  async describe(): Promise<WorkflowExecutionDescription> {
    const run = chain(this.client.interceptors, 'describe', async (input: WorkflowDescribeInput): Promise<unknown> => {
      try {
        const res = await this.svc.describeWorkflowExecution({ namespace: this.client.namespace, execution: input.workflowExecution });
        const description: WorkflowExecutionDescription = { ...(await describeInfo(this.client, res.workflowExecutionInfo ?? {})), raw: res };
        return description;
      } catch (err) {
        this.notFound(err);
      }
    });
    return (await run({ workflowExecution: { workflowId: this.workflowId, runId: this.runId } })) as WorkflowExecutionDescription;
  }

  /** The run's whole history (all pages). */
  async fetchHistory(): Promise<History> {
    const events: TemporalTypes.api.history.v1.IHistoryEvent[] = [];
    let token: Uint8Array | undefined;
    do {
      let res;
      try {
        res = await this.svc.getWorkflowExecutionHistory({
          namespace: this.client.namespace,
          execution: { workflowId: this.workflowId, runId: this.runId },
          nextPageToken: token,
        });
      } catch (err) {
        this.notFound(err);
      }
      events.push(...(res.history?.events ?? []));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
    return { events };
  }
}
