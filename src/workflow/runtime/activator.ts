/**
 * The workflow state machine inside the sandbox: applies activation jobs (start,
 * timers, activity and child results, signals, queries, cancellation), runs workflow
 * code, and collects the commands it issues. One Activator per workflow run.
 */
import type {
  Activation,
  ActivationCompletion,
  Failure,
  Job,
  Payload,
  QueryResult,
  ResolutionResult,
  SeqKind,
  SinkCall,
  StartJob,
  TaggedCommand,
} from '../../common/activation-protocol';
import { CancellationScope } from './cancellation-scope';
import { ContinueAsNew, CONTINUE_AS_NEW, type WorkflowInfo } from './workflow-info';
export { ContinueAsNew, CONTINUE_AS_NEW, type WorkflowInfo };
import { seededRandom } from './random';
import { UpdateRunner } from './updates';
import {
  composeInterceptors,
  type QueryInput,
  type SignalInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '../interceptors';
import { LocalActivityDoBackoff } from '../local-activity-backoff';
import { TemporalFailure, defaultPayloadConverter, errorToFailure, failureToError, isCancellation, type PayloadConverter } from '../../converter';

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** What is awaited, for the `__stack_trace` query: "activity chargeCard (id 1)". */
  what?: string;
}

/** A line for the `__stack_trace` query about a command the workflow waits on. */
function describeCommand(kind: SeqKind, command: Record<string, any>): string {
  const seconds = (d: { seconds?: unknown; nanos?: number } | undefined) => (d ? `${Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9}s` : '?');
  const timer = command.startTimerCommandAttributes;
  if (timer) return `timer ${timer.timerId} (sleep ${seconds(timer.startToFireTimeout)})`;
  const activity = command.scheduleActivityTaskCommandAttributes;
  if (activity) return `activity ${activity.activityType?.name} (id ${activity.activityId}, task queue ${activity.taskQueue?.name})`;
  const child = command.startChildWorkflowExecutionCommandAttributes;
  if (child) return `child workflow ${child.workflowType?.name} (id ${child.workflowId})`;
  const signal = command.signalExternalWorkflowExecutionCommandAttributes;
  if (signal) return `signal ${signal.signalName} to workflow ${signal.execution?.workflowId}`;
  const local = command.localActivity;
  if (local) return `local activity ${local.activityType} (id ${local.activityId}, attempt ${local.attempt})`;
  return kind;
}

type SignalHandler = (...args: unknown[]) => unknown;
type QueryHandler = (...args: unknown[]) => unknown;

export class Activator {
  readonly payloadConverter: PayloadConverter;
  info!: WorkflowInfo;
  now = 0;
  isReplaying = false;
  random: () => number = ORIGINAL_RANDOM;
  readonly rootScope: CancellationScope;
  /** `setTimeout` timers of this run (the global functions are shared by the runs of a context). */
  readonly timers = new Map<number, CancellationScope>();
  nextTimerId = 1;
  private readonly seqs: Record<SeqKind, number> = { timer: 1, activity: 1, child: 1, signalExternal: 1, cancelExternal: 1, localActivity: 1 };
  private readonly pending: Record<SeqKind, Map<number, Pending>> = {
    timer: new Map(),
    activity: new Map(),
    child: new Map(),
    signalExternal: new Map(),
    cancelExternal: new Map(),
    localActivity: new Map(),
  };
  /** Child workflows waiting for their start to resolve. */
  readonly childStarts = new Map<number, Pending>();
  private commands: TaggedCommand[] = [];
  private queryResults: QueryResult[] = [];
  private sinkCalls: SinkCall[] = [];
  private taskFailure?: Failure;
  readonly signalHandlers = new Map<string, SignalHandler>();
  readonly queryHandlers = new Map<string, QueryHandler>();
  defaultSignalHandler?: (name: string, ...args: unknown[]) => unknown;
  private bufferedSignals: Array<Extract<Job, { type: 'signal' }>> = [];
  private readonly conditions = new Map<number, { fn: () => boolean; resolve: () => void }>();
  private conditionSeq = 0;
  readonly knownPatches = new Set<string>();
  readonly sentPatches = new Set<string>();
  private completed = false;
  private started = false;
  /** Update handlers, running updates and their answers (see updates.ts). */
  readonly updates: UpdateRunner;
  /** Signal handlers still running (for `allHandlersFinished()`). */
  signalsInProgress = 0;
  inbound: WorkflowInboundCallsInterceptor[] = [];
  outbound: WorkflowOutboundCallsInterceptor[] = [];

  constructor(
    private readonly workflows: Record<string, unknown>,
    payloadConverter?: PayloadConverter,
    private readonly interceptorModules: Array<{ interceptors?: WorkflowInterceptorsFactory }> = [],
  ) {
    this.payloadConverter = payloadConverter ?? defaultPayloadConverter;
    this.updates = new UpdateRunner({ payloadConverter: this.payloadConverter, pushTagged: (c) => this.commands.push(c), failTask: (e) => this.failTask(e) });
    this.rootScope = CancellationScope.createRoot();
  }

  private loadInterceptors(): void {
    for (const m of this.interceptorModules) {
      if (typeof m.interceptors !== 'function') continue;
      const { inbound = [], outbound = [] } = m.interceptors();
      this.inbound.push(...inbound);
      this.outbound.push(...outbound);
    }
  }

  // ---- host entry points --------------------------------------------------------

  activate(activation: Activation): void {
    this.now = activation.timestampMs;
    this.isReplaying = activation.isReplaying;
    if (this.info) {
      this.info.historyLength = activation.historyLength;
      this.info.historySize = activation.historySizeBytes;
      this.info.continueAsNewSuggested = activation.continueAsNewSuggested;
      this.info.unsafe.isReplaying = activation.isReplaying;
    }
    // Patches first so `patched()` answers correctly, then the start, signals, and the rest.
    const order = (j: Job) =>
      j.type === 'notifyHasPatch' ? 0 : j.type === 'start' ? 1 : j.type === 'signal' || j.type === 'doUpdate' ? 2 : j.type === 'query' ? 4 : 3;
    const jobs = [...activation.jobs].sort((a, b) => order(a) - order(b));
    for (const job of jobs) {
      try {
        this.applyJob(job, activation);
      } catch (err) {
        this.failTask(err);
      }
    }
  }

  tryUnblockConditions(): boolean {
    let fired = false;
    for (const [id, c] of this.conditions) {
      let ok = false;
      try {
        ok = c.fn();
      } catch (err) {
        this.failTask(err);
      }
      if (ok) {
        this.conditions.delete(id);
        c.resolve();
        fired = true;
      }
    }
    return fired;
  }

  concludeActivation(): ActivationCompletion {
    this.updates.rejectBuffered();
    const updateMessages = this.updates.takeMessages();
    // A command that closes the workflow goes last, after update answers given in the same activation.
    const closing = this.commands.filter((c) => CLOSING.has(c.command.commandType));
    const commands = closing.length ? [...this.commands.filter((c) => !CLOSING.has(c.command.commandType)), ...closing] : this.commands;
    const out: ActivationCompletion = { commands, queryResults: this.queryResults, taskFailure: this.taskFailure, updateMessages };
    if (this.sinkCalls.length > 0) out.sinkCalls = this.sinkCalls;
    this.commands = [];
    this.queryResults = [];
    this.sinkCalls = [];
    this.taskFailure = undefined;
    if (out.taskFailure) {
      out.commands = [];
      out.updateMessages = undefined;
    }
    return out;
  }

  /** Buffers a sink call for the worker to run after this activation (see `proxySinks`). */
  pushSinkCall(ifaceName: string, fnName: string, args: unknown[]): void {
    const { unsafe, ...rest } = this.info ?? ({} as WorkflowInfo);
    this.sinkCalls.push({
      ifaceName,
      fnName,
      args,
      isReplaying: this.isReplaying,
      info: { ...rest, unsafe: { isReplaying: unsafe?.isReplaying ?? this.isReplaying } },
    });
  }

  // ---- jobs --------------------------------------------------------------------

  private applyJob(job: Job, activation: Activation): void {
    switch (job.type) {
      case 'notifyHasPatch':
        this.knownPatches.add(job.patchId);
        return;
      case 'start':
        return this.start(job, activation);
      case 'signal':
        return this.signal(job);
      case 'doUpdate':
        return this.updates.doUpdate(job);
      case 'query':
        return this.query(job);
      case 'cancelWorkflow':
        this.rootScope.cancel();
        return;
      case 'fireTimer':
        return this.resolve('timer', job.seq, { completed: undefined });
      case 'resolveActivity':
        return this.resolve('activity', job.seq, job.result);
      case 'resolveChild':
        return this.resolve('child', job.seq, job.result);
      case 'resolveChildStart': {
        const p = this.childStarts.get(job.seq);
        if (!p) return;
        this.childStarts.delete(job.seq);
        if (job.runId) p.resolve(job.runId);
        else p.reject(new ChildWorkflowStartFailed(job.failedCause ?? 'unknown'));
        return;
      }
      case 'resolveSignalExternal':
        return this.resolve('signalExternal', job.seq, job.failure ? { failed: job.failure } : { completed: undefined });
      case 'resolveCancelExternal':
        return this.resolve('cancelExternal', job.seq, job.failure ? { failed: job.failure } : { completed: undefined });
      case 'resolveLocalActivity':
        if ('backoff' in job.result) return this.settle('localActivity', job.seq, LocalActivityDoBackoff.from(job.result.backoff));
        return this.resolve('localActivity', job.seq, job.result);
    }
  }

  private start(job: StartJob, activation: Activation): void {
    if (this.started) return;
    this.started = true;
    const i = job.info;
    this.random = seededRandom(job.randomnessSeed);
    const pc = this.payloadConverter;
    this.info = {
      workflowId: i.workflowId,
      runId: i.runId,
      workflowType: i.workflowType,
      namespace: i.namespace,
      taskQueue: i.taskQueue,
      firstExecutionRunId: i.firstExecutionRunId,
      continuedFromExecutionRunId: i.continuedFromExecutionRunId,
      originalExecutionRunId: i.originalExecutionRunId,
      attempt: i.attempt,
      startTime: new OriginalDate(i.startTimeMs),
      runStartTime: new OriginalDate(i.runStartTimeMs),
      executionTimeoutMs: i.executionTimeoutMs,
      runTimeoutMs: i.runTimeoutMs,
      taskTimeoutMs: i.taskTimeoutMs,
      executionExpirationTime: i.executionExpirationTimeMs ? new OriginalDate(i.executionExpirationTimeMs) : undefined,
      parent: i.parent,
      root: i.root,
      memo: i.memo ? mapValues(i.memo, (p) => pc.fromPayload(p)) : undefined,
      searchAttributes: i.searchAttributes ? mapValues(i.searchAttributes, (p) => pc.fromPayload(p)) : {},
      lastResult: i.lastResult?.[0] ? pc.fromPayload(i.lastResult[0]) : undefined,
      lastFailure: i.lastFailure ? failureToError(i.lastFailure, pc) : undefined,
      historyLength: activation.historyLength,
      historySize: activation.historySizeBytes,
      continueAsNewSuggested: activation.continueAsNewSuggested,
      cronSchedule: i.cronSchedule,
      unsafe: { isReplaying: activation.isReplaying, now: () => this.now },
    };
    const fn = this.workflows[job.workflowType];
    if (typeof fn !== 'function') {
      const known = Object.keys(this.workflows).filter((k) => typeof this.workflows[k] === 'function');
      throw new TypeError(
        `Workflow type "${job.workflowType}" is not registered on this worker. Registered workflow types: [${known.join(', ')}]. Export it from the module given as \`workflowsPath\`.`,
      );
    }
    this.loadInterceptors();
    const args = job.args.map((p) => pc.fromPayload(p));
    const execute = composeInterceptors(this.inbound, 'execute', (input: WorkflowExecuteInput) =>
      Promise.resolve((fn as (...a: unknown[]) => unknown)(...input.args)),
    );
    const run = () => Promise.resolve().then(() => execute({ args, headers: job.headers }));
    this.rootScope.run(run).then(
      (result) => this.complete({ completeWorkflowExecutionCommandAttributes: { result: { payloads: [pc.toPayload(result)] } } }),
      (err) => this.completeWithError(err),
    );
  }

  private complete(command: Record<string, any>): void {
    if (this.completed) return;
    this.completed = true;
    this.warnUnfinishedHandlers();
    command.commandType = COMMAND_TYPE.COMPLETE_WORKFLOW_EXECUTION;
    this.commands.push({ command });
  }

  /** The official SDK's warning when update handlers (with the default policy) are still running at completion. */
  private warnUnfinishedHandlers(): void {
    const message = this.updates.unfinishedWarning();
    if (!message || this.isReplaying) return;
    const sink = (globalThis as { __bastionLog?: (level: string, message: string, attrs: Record<string, unknown>) => void }).__bastionLog;
    sink?.('warn', message, { workflowId: this.info?.workflowId, runId: this.info?.runId, workflowType: this.info?.workflowType });
  }

  private completeWithError(err: unknown): void {
    if (this.completed) return;
    if (isContinueAsNew(err) || (this.rootScope.consideredCancelled && isCancellation(err)) || err instanceof TemporalFailure) this.warnUnfinishedHandlers();
    if (isContinueAsNew(err)) {
      this.completed = true;
      this.commands.push({
        command: { commandType: COMMAND_TYPE.CONTINUE_AS_NEW_WORKFLOW_EXECUTION, continueAsNewWorkflowExecutionCommandAttributes: err.command },
      });
      return;
    }
    if (this.rootScope.consideredCancelled && isCancellation(err)) {
      this.completed = true;
      this.commands.push({ command: { commandType: COMMAND_TYPE.CANCEL_WORKFLOW_EXECUTION, cancelWorkflowExecutionCommandAttributes: {} } });
      return;
    }
    if (err instanceof TemporalFailure) {
      this.completed = true;
      this.commands.push({
        command: {
          commandType: COMMAND_TYPE.FAIL_WORKFLOW_EXECUTION,
          failWorkflowExecutionCommandAttributes: { failure: errorToFailure(err, this.payloadConverter) },
        },
      });
      return;
    }
    this.failTask(err);
  }

  /** Fails the workflow task (not the workflow): the server retries it. */
  failTask(err: unknown): void {
    if (this.taskFailure) return;
    this.taskFailure = errorToFailure(err, this.payloadConverter);
  }

  private signal(job: Extract<Job, { type: 'signal' }>): void {
    const handler = this.signalHandlers.get(job.signalName);
    if (!handler && !this.defaultSignalHandler) {
      this.bufferedSignals.push(job);
      return;
    }
    const args = job.args.map((p) => this.payloadConverter.fromPayload(p));
    const invoke = composeInterceptors(this.inbound, 'handleSignal', async (input: SignalInput) => {
      if (handler) await handler(...input.args);
      else await this.defaultSignalHandler!(input.signalName, ...input.args);
    });
    this.signalsInProgress++;
    this.runHandler(() => {
      const r = invoke({ signalName: job.signalName, args, headers: job.headers });
      r.then(
        () => this.signalsInProgress--,
        () => this.signalsInProgress--,
      );
      return r;
    });
  }

  private runHandler(fn: () => unknown): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err) => this.completeWithError(err));
    } catch (err) {
      this.completeWithError(err);
    }
  }

  /**
   * The answer to the built-in `__stack_trace` query: what the workflow waits on (pending
   * timers, activities, child workflows, external signals, conditions), one per line.
   * Bastion does not record JavaScript stacks of workflow promises (the official SDK does).
   */
  stackTrace(): string {
    const lines: string[] = [];
    for (const map of Object.values(this.pending)) for (const p of map.values()) lines.push(`waiting on ${p.what ?? 'an operation'}`);
    for (const seq of this.childStarts.keys()) lines.push(`waiting on the start of child workflow (seq ${seq})`);
    if (this.conditions.size > 0) lines.push(`waiting on ${this.conditions.size} condition${this.conditions.size > 1 ? 's' : ''} (workflow.condition)`);
    if (this.bufferedSignals.length > 0)
      lines.push(
        `${this.bufferedSignals.length} signal(s) buffered without a handler: ${[...new Set(this.bufferedSignals.map((s) => s.signalName))].join(', ')}`,
      );
    return lines.length > 0 ? lines.join('\n') : 'not waiting on anything (the workflow has no pending timers, activities, children or conditions)';
  }

  /** Delivers signals that arrived before their handler was set. */
  flushBufferedSignals(name?: string): void {
    const keep: typeof this.bufferedSignals = [];
    const deliver: typeof this.bufferedSignals = [];
    for (const s of this.bufferedSignals) {
      if (this.signalHandlers.has(s.signalName) || (name === undefined && this.defaultSignalHandler)) deliver.push(s);
      else keep.push(s);
    }
    this.bufferedSignals = keep;
    for (const s of deliver) this.signal(s);
  }

  private query(job: Extract<Job, { type: 'query' }>): void {
    const pc = this.payloadConverter;
    const handler = this.queryHandlers.get(job.queryType);
    if (!handler) {
      if (job.queryType === '__stack_trace') {
        this.queryResults.push({ queryId: job.queryId, answer: pc.toPayload(this.stackTrace()) });
        return;
      }
      const known = [...this.queryHandlers.keys()];
      this.queryResults.push({
        queryId: job.queryId,
        failure: errorToFailure(new ReferenceError(`Workflow did not register a handler for ${job.queryType}. Registered queries: [${known.join(' ')}]`), pc),
      });
      return;
    }
    const answer = (result: unknown) => this.queryResults.push({ queryId: job.queryId, answer: pc.toPayload(result) });
    const fail = (err: unknown) => this.queryResults.push({ queryId: job.queryId, failure: errorToFailure(err, pc) });
    try {
      const args = job.args.map((p) => pc.fromPayload(p));
      if (this.inbound.length === 0) {
        const result = handler(...args);
        if (result && typeof (result as Promise<unknown>).then === 'function')
          throw new TypeError('Query handlers must be synchronous: they may not return a Promise');
        answer(result);
        return;
      }
      const invoke = composeInterceptors(this.inbound, 'handleQuery', async (input: QueryInput) => handler(...input.args));
      invoke({ queryId: job.queryId, queryName: job.queryType, args, headers: {} }).then(answer, fail);
    } catch (err) {
      fail(err);
    }
  }

  private resolve(kind: SeqKind, seq: number, result: ResolutionResult): void {
    const p = this.pending[kind].get(seq);
    if (!p) return; // already settled (e.g. cancelled before the event arrived)
    this.pending[kind].delete(seq);
    if ('completed' in result) p.resolve(result.completed ? this.payloadConverter.fromPayload(result.completed) : undefined);
    else if ('failed' in result) p.reject(failureToError(result.failed, this.payloadConverter));
    else p.reject(failureToError(result.cancelled, this.payloadConverter));
  }

  // ---- used by the workflow API -------------------------------------------------

  /** Issues a command with a fresh sequence number and returns the promise of its result. */
  issue<T>(kind: SeqKind, build: (seq: number) => Record<string, any>): { seq: number; promise: Promise<T> } {
    const seq = this.seqs[kind]++;
    return { seq, promise: this.issueSeq<T>(kind, seq, build(seq)) };
  }

  /** Issues a command under a sequence number taken earlier with `nextSeq`. */
  issueSeq<T>(kind: SeqKind, seq: number, command: Record<string, any>): Promise<T> {
    const promise = new Promise<T>((resolve, reject) =>
      this.pending[kind].set(seq, { resolve: resolve as (v: unknown) => void, reject, what: describeCommand(kind, command) }),
    );
    this.commands.push({ command, kind, seq });
    return promise;
  }

  /** Issues a command that expects no result event. */
  push(command: Record<string, any>, kind?: SeqKind, seq?: number): void {
    this.commands.push({ command, kind, seq });
  }

  /** Settles a pending operation locally (cancellation) and stops waiting for its event. */
  settle(kind: SeqKind, seq: number, err: unknown): void {
    const p = this.pending[kind].get(seq);
    if (!p) return;
    this.pending[kind].delete(seq);
    p.reject(err);
  }

  isPending(kind: SeqKind, seq: number): boolean {
    return this.pending[kind].has(seq);
  }

  nextSeq(kind: SeqKind): number {
    return this.seqs[kind]++;
  }

  waitChildStart(seq: number): Promise<string> {
    return new Promise((resolve, reject) => this.childStarts.set(seq, { resolve: resolve as (v: unknown) => void, reject }));
  }

  addCondition(fn: () => boolean): { id: number; promise: Promise<void> } {
    const id = ++this.conditionSeq;
    const promise = new Promise<void>((resolve) => this.conditions.set(id, { fn, resolve }));
    return { id, promise };
  }

  removeCondition(id: number): void {
    this.conditions.delete(id);
  }

  toPayloads(values: unknown[]): { payloads: Payload[] } {
    return { payloads: values.map((v) => this.payloadConverter.toPayload(v)) };
  }
}

/** Raised inside the workflow when a child could not start (e.g. the id is in use). */
export class ChildWorkflowStartFailed extends Error {
  constructor(readonly reason: string) {
    super(
      reason === 'alreadyExists' ? 'Child workflow could not start: a workflow with this id is already running' : `Child workflow could not start: ${reason}`,
    );
    this.name = 'WorkflowExecutionAlreadyStartedError';
  }
}

export function isContinueAsNew(err: unknown): err is ContinueAsNew {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[CONTINUE_AS_NEW] === true;
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

/** The sandbox's Date before the runtime replaced it (for building infos). */
export const OriginalDate = Date;
/** The sandbox's Math.random before the runtime replaced it (until a run's seed is known). */
const ORIGINAL_RANDOM = Math.random;

/** Command types that close the workflow. */
const CLOSING = new Set<number>([4, 5, 7, 10]);

/** Temporal API command type numbers (temporal.api.enums.v1.CommandType). */
export const COMMAND_TYPE = {
  SCHEDULE_ACTIVITY_TASK: 1,
  REQUEST_CANCEL_ACTIVITY_TASK: 2,
  START_TIMER: 3,
  COMPLETE_WORKFLOW_EXECUTION: 4,
  FAIL_WORKFLOW_EXECUTION: 5,
  CANCEL_TIMER: 6,
  CANCEL_WORKFLOW_EXECUTION: 7,
  REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: 8,
  RECORD_MARKER: 9,
  CONTINUE_AS_NEW_WORKFLOW_EXECUTION: 10,
  START_CHILD_WORKFLOW_EXECUTION: 11,
  SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: 12,
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 13,
  MODIFY_WORKFLOW_PROPERTIES: 16,
} as const;
