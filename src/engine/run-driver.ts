/**
 * Drives one workflow run's sandbox through its history: turns events into
 * activations, replays completed workflow tasks while checking that the workflow issues
 * the same commands as history records, and runs the current task for real. Kept in
 * the sticky cache between tasks, so a cached run only sees new events.
 */
import type {
  Activation,
  ActivationCompletion,
  Failure,
  Job,
  LocalActivityRequest,
  QueryResult,
  SeqKind,
  SinkCall,
  StartJob,
  TaggedCommand,
  UpdateMessage,
} from '../common/activation-protocol';
import {
  EV,
  EVENT_FOR_COMMAND,
  attrsOf,
  eventId,
  eventName,
  eventTimeMs,
  isCommandEvent,
  jobForEvent,
  num,
  type HistoryEvent,
  type SeqRef,
} from './history-events';
import { hashString } from '../common/hash-string';
import { DeterminismError } from './determinism-error';
import { acceptedUpdateJobs, isUpdateEvent, PROTOCOL_MESSAGE_COMMAND, protocolMessageIdOf } from './update-events';
import {
  PendingLocalActivities,
  localActivityMarker,
  localActivityMarkerData,
  localActivityResult,
  resolveFromMarker,
  type LocalActivityExecutor,
  type LocalActivityRun,
  type Lookahead,
} from './local-activities';
export type { LocalActivityExecutor, LocalActivityOutcome, LocalActivityRun } from './local-activities';

/** The host side of a sandbox: calls `globalThis.__bastion[method](arg)` with a time limit. */
export interface SandboxCaller {
  call(method: string, arg: unknown, timeoutMs: number): unknown;
  /** When present, a whole activation (activate, settle conditions, conclude) in one step. */
  activate?(activation: Activation, timeoutMs: number): Promise<unknown>;
  /** When present, the same as `activate` but synchronous, under one timeout. */
  runActivation?(activation: Activation, timeoutMs: number): unknown;
  dispose(): void;
  /** A promise rejection nobody handled inside the sandbox, if one happened. */
  readonly unhandledRejection?: Error;
}

export interface TaskResult {
  commands: Array<Record<string, any>>;
  /**
   * Set when a local activity still runs at the heartbeat time: complete the task with
   * `forceCreateNewWorkflowTask`; the run goes on waiting in the next task.
   */
  forceNewTask?: boolean;
  queryResults: QueryResult[];
  /** The workflow's update answers; the worker sends them as protocol messages. */
  updateMessages?: UpdateMessage[];
  taskFailure?: Failure;
}

export interface RunIdentity {
  namespace: string;
  taskQueue: string;
}

const noLocalActivities: LocalActivityExecutor = async (r) => {
  throw new Error(`local activity ${r.activityType} cannot run here (replay without its recorded marker)`);
};

/**
 * While a local activity runs past this fraction of the workflow task timeout, the task is
 * completed with the commands so far and a new one is asked for (Core's heartbeat).
 */
const TASK_HEARTBEAT_FRACTION = 0.8;
/** Complete, fail, cancel, continue-as-new. */
const CLOSING_COMMANDS = new Set([4, 5, 7, 10]);

const PATCH_MARKER = 'core_patch';

export class RunDriver {
  /** Last event id applied. */
  lastEventId = 0;
  /** The WorkflowTaskStarted id of the last task the sandbox ran (replayed or real). */
  lastStartedEventId = 0;
  private jobs: Job[] = [];
  private readonly refs = new Map<number, { ref: SeqRef; attrs: Record<string, any> }>();
  private readonly activityEventBySeq = new Map<number, number>();
  /** Commands of the last task run, to match against its events when they come back. */
  private lastCommands: TaggedCommand[] = [];
  private historySizeBytes = 0;
  /** Set from the WorkflowExecutionStarted event. */
  private execution: LocalActivityRun;
  /** The workflow task timeout, from the WorkflowExecutionStarted event. */
  private taskTimeoutMs = 10_000;
  /** Local activities the workflow waits on; they may run on across tasks (see TASK_HEARTBEAT_FRACTION). */
  private readonly locals: PendingLocalActivities;
  closed = false;
  /** Receives the sink calls of each activation (the worker runs them; see src/worker/sinks.ts). */
  onSinkCalls?: (calls: SinkCall[]) => void;

  constructor(
    readonly runId: string,
    private readonly sandbox: SandboxCaller,
    private readonly id: RunIdentity,
    private readonly activationTimeoutMs: number,
    runLocalActivity: LocalActivityExecutor = noLocalActivities,
  ) {
    this.execution = { workflowId: '', runId, workflowType: '' };
    this.locals = new PendingLocalActivities(runLocalActivity, () => this.execution);
  }

  /**
   * Applies `events` (the new part of history, ending with the current task's
   * WorkflowTaskStarted `currentStartedEventId`) and runs the current task. With
   * `currentStartedEventId` undefined (a query on a cached or replayed run), only
   * completed tasks are replayed.
   */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Processes tasks of this run one at a time (a query may arrive while a task runs local
   * activities). `receivedAtMs` is when the worker got the task (epoch ms), which its
   * heartbeat counts from. @default now
   */
  process(events: HistoryEvent[], currentStartedEventId: number | undefined, extraJobs: Job[] = [], receivedAtMs = Date.now()): Promise<TaskResult> {
    const run = this.queue.then(() => this.processNow(events, currentStartedEventId, extraJobs, receivedAtMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async processNow(events: HistoryEvent[], currentStartedEventId: number | undefined, extraJobs: Job[], receivedAtMs: number): Promise<TaskResult> {
    let replayed: TaggedCommand[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const id = eventId(e);
      if (id <= this.lastEventId) continue;
      const type = num(e.eventType);
      const a = attrsOf(e);
      if (type === EV.WORKFLOW_EXECUTION_STARTED) {
        const start = this.startJob(e, a);
        this.execution = { workflowId: start.info.workflowId, runId: this.runId, workflowType: start.workflowType ?? '' };
        this.taskTimeoutMs = start.info.taskTimeoutMs;
        this.jobs.push(start);
      } else if (type === EV.WORKFLOW_TASK_STARTED) {
        this.historySizeBytes = num(a.historySizeBytes) || this.historySizeBytes;
        if (id === currentStartedEventId) {
          this.lastEventId = id;
          return this.runTask(e, extraJobs, receivedAtMs + this.taskTimeoutMs * TASK_HEARTBEAT_FRACTION);
        }
        const next = events[i + 1];
        if (next && num(next.eventType) === EV.WORKFLOW_TASK_COMPLETED && id > this.lastStartedEventId) {
          this.notifyPatches(events, i + 2);
          this.jobs.push(...acceptedUpdateJobs(events, i + 2));
          const result = await this.activate(e, true, [], { events, from: i + 2 });
          if (result.taskFailure) throw new DeterminismError(`replaying workflow task ${id} failed: ${result.taskFailure.message}`, { eventId: id });
          replayed = this.finishCommands(result.commands);
          this.lastStartedEventId = id;
        }
      } else if (type === EV.WORKFLOW_TASK_COMPLETED) {
        const commands = num(a.startedEventId) === this.lastStartedEventId ? (replayed ?? this.lastCommands) : [];
        i = this.matchCommands(events, i + 1, commands);
        replayed = undefined;
        this.lastCommands = [];
        continue;
      } else {
        const job = jobForEvent(e, (eid) => this.refs.get(eid));
        if (job) this.jobs.push(job);
      }
      this.lastEventId = id;
    }
    if (currentStartedEventId === undefined) {
      if (extraJobs.length === 0) return { commands: [], queryResults: [] };
      // A query: answer from the state after the last completed task, without applying newer events.
      const pending = this.jobs;
      this.jobs = [];
      const completion = await this.call(extraJobs, this.lastTimestamp, true);
      this.jobs = pending;
      return { commands: [], queryResults: completion.queryResults, taskFailure: completion.taskFailure };
    }
    throw new DeterminismError(`the workflow task's history does not reach its WorkflowTaskStarted event ${currentStartedEventId}`, {
      eventId: currentStartedEventId,
    });
  }

  private lastTimestamp = 0;

  private async runTask(started: HistoryEvent, extraJobs: Job[], heartbeatAtMs: number): Promise<TaskResult> {
    const result = await this.activate(started, false, extraJobs, undefined, heartbeatAtMs);
    this.lastStartedEventId = eventId(started);
    this.lastCommands = this.finishCommands(result.commands);
    return {
      commands: this.lastCommands.map((c) => c.command),
      queryResults: result.queryResults,
      taskFailure: result.taskFailure,
      updateMessages: result.updateMessages,
      forceNewTask: result.forceNewTask,
    };
  }

  /**
   * Runs one workflow task's activation, then — while the workflow waits on local
   * activities — runs them (or, replaying, reads their markers from `lookahead`),
   * records a marker for each that finished and activates again with their results. A
   * task that finds local activities pending activates the workflow only if it brings
   * jobs (or once one finished). Not replaying,
   * returns `forceNewTask` at `heartbeatAtMs` if an activity still runs then.
   */
  private async activate(
    started: HistoryEvent,
    replaying: boolean,
    extraJobs: Job[],
    lookahead?: Lookahead,
    heartbeatAtMs = Infinity,
  ): Promise<ActivationCompletion & { forceNewTask?: boolean }> {
    let jobs = [...this.jobs, ...extraJobs];
    this.jobs = [];
    this.lastTimestamp = eventTimeMs(started);
    const out = { commands: [] as TaggedCommand[], queryResults: [] as QueryResult[], updateMessages: [] as UpdateMessage[] };
    if (!replaying) this.locals.runUnrecorded();
    for (let first = true; ; first = false) {
      // As Core: a task that brings no jobs while local activities are pending activates nothing.
      if (jobs.length > 0 || (first && this.locals.empty)) {
        const completion = await this.call(jobs, this.lastTimestamp, replaying, eventId(started));
        out.commands.push(...completion.commands.filter((c) => c.kind !== 'localActivity'));
        out.queryResults.push(...completion.queryResults);
        out.updateMessages.push(...(completion.updateMessages ?? []));
        if (completion.taskFailure) return { ...out, taskFailure: completion.taskFailure };
        const requests = completion.commands.filter((c) => c.kind === 'localActivity').map((c) => c.command.localActivity as LocalActivityRequest);
        this.locals.add(requests, replaying);
      }
      if (replaying) this.locals.readMarkers(lookahead);
      const finished = this.locals.takeFinished();
      if (finished.length > 0) {
        for (const { request, outcome } of finished) out.commands.push({ command: localActivityMarker(request, outcome) });
        jobs = finished.map(({ request, outcome }): Job => ({ type: 'resolveLocalActivity', seq: request.seq, result: localActivityResult(request, outcome) }));
        continue;
      }
      if (replaying || !this.locals.running) return out;
      // A task that closes the run is not heartbeat: it waits for its local activities.
      const closing = out.commands.some((c) => CLOSING_COMMANDS.has(c.command.commandType));
      if (!(await this.locals.waitAny(closing ? Infinity : heartbeatAtMs))) return { ...out, forceNewTask: true };
      jobs = [];
    }
  }

  private async call(jobs: Job[], timestampMs: number, isReplaying: boolean, historyLength = this.lastEventId): Promise<ActivationCompletion> {
    const activation: Activation = { timestampMs, isReplaying, historyLength, historySizeBytes: this.historySizeBytes, continueAsNewSuggested: false, jobs };
    let c: ActivationCompletion;
    if (this.sandbox.activate) {
      c = (await this.sandbox.activate(activation, this.activationTimeoutMs)) as ActivationCompletion;
    } else if (this.sandbox.runActivation) {
      c = this.sandbox.runActivation(activation, this.activationTimeoutMs) as ActivationCompletion;
    } else {
      this.sandbox.call('activate', activation, this.activationTimeoutMs);
      for (let n = 0; n < 10_000 && this.sandbox.call('tryUnblockConditions', undefined, this.activationTimeoutMs) === true; n++);
      c = this.sandbox.call('concludeActivation', undefined, this.activationTimeoutMs) as ActivationCompletion;
    }
    if (c.sinkCalls && c.sinkCalls.length > 0) this.onSinkCalls?.(c.sinkCalls);
    const rejection = this.sandbox.unhandledRejection;
    if (rejection && !c.taskFailure) {
      // Workflow code lost an error in a promise nobody awaited: fail the task, as the official SDK does.
      return { commands: [], queryResults: [...c.queryResults], taskFailure: { message: rejection.message, stackTrace: rejection.stack ?? '' } as Failure };
    }
    return { commands: [...c.commands], queryResults: [...c.queryResults], taskFailure: c.taskFailure, updateMessages: c.updateMessages };
  }

  /** Before replaying a task, tell the workflow which patches its commands recorded. */
  private notifyPatches(events: HistoryEvent[], from: number): void {
    for (let j = from; j < events.length; j++) {
      const t = num(events[j]!.eventType);
      if (t === EV.WORKFLOW_TASK_SCHEDULED || t === EV.WORKFLOW_TASK_STARTED) break;
      if (t !== EV.MARKER_RECORDED) continue;
      const patch = patchOf(attrsOf(events[j]!));
      if (patch) this.jobs.push({ type: 'notifyHasPatch', patchId: patch.id });
    }
  }

  /**
   * Matches the commands of a task with the events that follow its WorkflowTaskCompleted,
   * in order; result events met on the way become jobs. Returns the index of the last
   * event consumed.
   */
  private matchCommands(events: HistoryEvent[], from: number, allCommands: TaggedCommand[]): number {
    // Update answers (protocol message commands) match their Update events by update id,
    // wherever they fall among the other commands; the rest match in order.
    const protocol = new Set(
      allCommands.filter((c) => c.command.commandType === PROTOCOL_MESSAGE_COMMAND).map((c) => c.command.protocolMessageCommandAttributes?.messageId),
    );
    const commands = allCommands.filter((c) => c.command.commandType !== PROTOCOL_MESSAGE_COMMAND);
    let k = 0;
    let j = from;
    this.lastEventId = Math.max(this.lastEventId, eventId(events[from - 1]!));
    for (; j < events.length; j++) {
      const e = events[j]!;
      const type = num(e.eventType);
      if (type === EV.WORKFLOW_TASK_SCHEDULED || type === EV.WORKFLOW_TASK_STARTED) break;
      const id = eventId(e);
      if (isUpdateEvent(type)) {
        const messageId = protocolMessageIdOf(type, attrsOf(e));
        if (!protocol.delete(messageId)) throw DeterminismError.mismatch(id, eventName(type), messageId, undefined);
        this.lastEventId = id;
        continue;
      }
      if (!isCommandEvent(type)) {
        const job = jobForEvent(e, (eid) => this.refs.get(eid));
        if (job) this.jobs.push(job);
        this.lastEventId = id;
        continue;
      }
      const a = attrsOf(e);
      const cmd = commands[k];
      if (!cmd || EVENT_FOR_COMMAND[cmd.command.commandType] !== type || !sameTarget(cmd, type, a)) {
        // A recorded patch marker the code no longer asks about (a deprecated patch) is skipped.
        if (type === EV.MARKER_RECORDED && patchOf(a)) {
          this.lastEventId = id;
          continue;
        }
        // The official SDK upserts `TemporalChangeVersion` along with each patch marker; the
        // workflow code never asked for it, so replay passes over it.
        if (type === EV.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES && onlyChangeVersion(a)) {
          this.lastEventId = id;
          continue;
        }
        // A local activity marker recorded in a later task than the one that asked for it.
        const la = type === EV.MARKER_RECORDED ? localActivityMarkerData(a) : undefined;
        if (la) {
          this.jobs.push(resolveFromMarker(a, la));
          this.locals.forget(la.seq);
          this.lastEventId = id;
          continue;
        }
        if (cmd && isPatchCommand(cmd)) {
          k++;
          j--;
          continue;
        }
        throw DeterminismError.mismatch(id, eventName(type), describeEvent(type, a), cmd ? describeCommand(cmd) : undefined);
      }
      this.record(id, cmd, a);
      this.lastEventId = id;
      k++;
    }
    while (k < commands.length && isPatchCommand(commands[k]!)) k++;
    if (k < commands.length) {
      const cmd = commands[k]!;
      throw DeterminismError.mismatch(j < events.length ? eventId(events[j]!) : this.lastEventId + 1, undefined, undefined, describeCommand(cmd));
    }
    return j - 1;
  }

  private record(id: number, cmd: TaggedCommand, a: Record<string, any>): void {
    if (cmd.kind && cmd.seq !== undefined && cmd.kind !== 'timer') {
      if (num(cmd.command.commandType) === 2) return; // a cancel request is not an answerable command
      this.refs.set(id, { ref: { kind: cmd.kind, seq: cmd.seq }, attrs: a });
      if (cmd.kind === 'activity') this.activityEventBySeq.set(cmd.seq, id);
    }
  }

  /**
   * Fills what only the host knows (the scheduled event id of an activity to cancel).
   * Cancelling an activity scheduled in the same task sends neither command.
   */
  private finishCommands(commands: TaggedCommand[]): TaggedCommand[] {
    const dropped = new Set<number>();
    for (const c of commands) {
      if (c.command.commandType === 2 && c.seq !== undefined && !this.activityEventBySeq.has(c.seq)) dropped.add(c.seq);
    }
    const out: TaggedCommand[] = [];
    for (const c of commands) {
      if (c.kind === 'activity' && c.seq !== undefined && dropped.has(c.seq)) continue;
      if (c.command.commandType === 2 && c.seq !== undefined) {
        out.push({ ...c, command: { commandType: 2, requestCancelActivityTaskCommandAttributes: { scheduledEventId: this.activityEventBySeq.get(c.seq) } } });
      } else out.push(c);
    }
    return out;
  }

  private startJob(e: HistoryEvent, a: Record<string, any>): StartJob {
    const ms = (d: { seconds?: unknown; nanos?: number } | undefined) => (d ? num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : undefined);
    const started = eventTimeMs(e);
    return {
      type: 'start',
      workflowType: a.workflowType?.name,
      args: a.input?.payloads ?? [],
      headers: a.header?.fields ?? {},
      randomnessSeed: hashString(this.runId),
      info: {
        workflowId: a.workflowId ?? '',
        runId: this.runId,
        workflowType: a.workflowType?.name,
        namespace: this.id.namespace,
        taskQueue: a.taskQueue?.name ?? this.id.taskQueue,
        firstExecutionRunId: a.firstExecutionRunId || this.runId,
        continuedFromExecutionRunId: a.continuedExecutionRunId || undefined,
        originalExecutionRunId: a.originalExecutionRunId || this.runId,
        attempt: num(a.attempt) || 1,
        startTimeMs: started,
        runStartTimeMs: started,
        executionTimeoutMs: ms(a.workflowExecutionTimeout),
        runTimeoutMs: ms(a.workflowRunTimeout),
        taskTimeoutMs: ms(a.workflowTaskTimeout) ?? 10_000,
        executionExpirationTimeMs: a.workflowExecutionExpirationTime
          ? eventTimeMs({ eventTime: a.workflowExecutionExpirationTime } as unknown as HistoryEvent)
          : undefined,
        parent: a.parentWorkflowExecution
          ? { workflowId: a.parentWorkflowExecution.workflowId, runId: a.parentWorkflowExecution.runId, namespace: a.parentWorkflowNamespace }
          : undefined,
        memo: a.memo?.fields,
        searchAttributes: a.searchAttributes?.indexedFields,
        lastResult: a.lastCompletionResult?.payloads,
        lastFailure: a.continuedFailure,
        cronSchedule: a.cronSchedule || undefined,
      },
    };
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.locals.dispose();
    this.sandbox.dispose();
  }
}

function patchOf(a: Record<string, any>): { id: string; deprecated: boolean } | undefined {
  if (a.markerName !== PATCH_MARKER) return undefined;
  const p = a.details?.['patch-data']?.payloads?.[0];
  if (!p?.data) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(p.data));
  } catch {
    return undefined;
  }
}

function onlyChangeVersion(a: Record<string, any>): boolean {
  const keys = Object.keys(a.searchAttributes?.indexedFields ?? {});
  return keys.length > 0 && keys.every((k) => k === 'TemporalChangeVersion');
}

function isPatchCommand(c: TaggedCommand): boolean {
  return c.command.commandType === 9 && c.command.recordMarkerCommandAttributes?.markerName === PATCH_MARKER;
}

/** Whether a command and the event recorded for it name the same thing (ids, types, names). */
function sameTarget(c: TaggedCommand, type: number, a: Record<string, any>): boolean {
  const x = (Object.values(c.command).find((v) => v && typeof v === 'object') as Record<string, any> | undefined) ?? {};
  switch (type) {
    case EV.ACTIVITY_TASK_SCHEDULED:
      return x.activityId === a.activityId && x.activityType?.name === a.activityType?.name;
    case EV.TIMER_STARTED:
    case EV.TIMER_CANCELED:
      return String(x.timerId) === String(a.timerId);
    case EV.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      return x.workflowId === a.workflowId && x.workflowType?.name === a.workflowType?.name;
    case EV.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      return x.signalName === a.signalName && x.execution?.workflowId === a.workflowExecution?.workflowId;
    case EV.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      return x.workflowId === a.workflowExecution?.workflowId;
    case EV.MARKER_RECORDED:
      return x.markerName === a.markerName;
    default:
      return true;
  }
}

function describeEvent(type: number, a: Record<string, any>): string {
  switch (type) {
    case EV.ACTIVITY_TASK_SCHEDULED:
      return `activity ${a.activityType?.name} (id ${a.activityId})`;
    case EV.TIMER_STARTED:
      return `timer ${a.timerId}`;
    case EV.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      return `child workflow ${a.workflowType?.name} (id ${a.workflowId})`;
    case EV.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      return `signal ${a.signalName} to ${a.workflowExecution?.workflowId}`;
    case EV.MARKER_RECORDED:
      return `marker ${a.markerName}`;
    default:
      return eventName(type);
  }
}

const COMMAND_NAMES: Record<number, string> = {
  1: 'ScheduleActivityTask',
  2: 'RequestCancelActivityTask',
  3: 'StartTimer',
  4: 'CompleteWorkflowExecution',
  5: 'FailWorkflowExecution',
  6: 'CancelTimer',
  7: 'CancelWorkflowExecution',
  8: 'RequestCancelExternalWorkflowExecution',
  9: 'RecordMarker',
  10: 'ContinueAsNewWorkflowExecution',
  11: 'StartChildWorkflowExecution',
  12: 'SignalExternalWorkflowExecution',
  13: 'UpsertWorkflowSearchAttributes',
  16: 'ModifyWorkflowProperties',
};

function describeCommand(c: TaggedCommand): string {
  const type = c.command.commandType as number;
  const event = EVENT_FOR_COMMAND[type];
  const x = (Object.values(c.command).find((v) => v && typeof v === 'object') as Record<string, any> | undefined) ?? {};
  const detail =
    event === EV.ACTIVITY_TASK_SCHEDULED || event === EV.START_CHILD_WORKFLOW_EXECUTION_INITIATED || event === EV.TIMER_STARTED || event === EV.MARKER_RECORDED
      ? ` ${describeEvent(event, { ...x, workflowExecution: x.execution })}`
      : '';
  return `${COMMAND_NAMES[type] ?? `command ${type}`}${detail}`;
}

export type { SeqKind };
