/**
 * Workflow tasks on the worker: polling the normal and sticky queues, feeding each task
 * to its run's RunDriver (cached, or rebuilt from the full history), and answering
 * with commands, a task failure, or query results.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, WorkflowServiceResponse } from '../connection';
import { SinkDispatcher } from './sink-dispatcher';
import { RunDriver, type LocalActivityExecutor, type SandboxCaller } from '../engine/run-driver';
import { DeterminismError } from '../engine/determinism-error';
import { num, eventId, type HistoryEvent } from '../engine/history-events';
import type { Job } from '../common/activation-protocol';
import { ENCODED_FAILURE_MESSAGE, type DataConverter, type Payload, type PayloadConverter, type ProtoFailure } from '../converter';
import { decodeHistoryEvents, encodeCommands, type WorkflowCodecScope } from '../converter/history-codec';
import { codecTransform, transformFailure, type CodecContext, type PayloadCodec, type PayloadsTransform } from '../converter/codec-chain';
import { StickyCache } from './sticky-cache';
import type { CompiledWorkerOptions } from './worker-options';
import { temporal } from '../common/proto';
import { performance } from 'node:perf_hooks';
import type { WorkflowOutcome } from '../observability/worker-metrics';
import { updateRequestJobs, updateResponseMessages } from './update-messages';

const { WorkflowTaskFailedCause, QueryResultType, CommandType } = temporal.api.enums.v1;
const CAUSE_UNHANDLED_FAILURE = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
const CAUSE_NON_DETERMINISTIC = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;
const QUERY_ANSWERED = QueryResultType.QUERY_RESULT_TYPE_ANSWERED;
const QUERY_FAILED = QueryResultType.QUERY_RESULT_TYPE_FAILED;
const GRPC_NOT_FOUND = 5;
/** Commands that close the run: its cache entry can go. */
const CLOSING_COMMANDS = new Set<number>([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

export interface SandboxFactory {
  create(): SandboxCaller;
}

/**
 * Activity slots the worker can lend to eager activity execution: `tryReserve` takes a slot
 * without waiting (false when none is free or the worker is stopping), `run` executes a
 * task the server handed back on a reserved slot (and frees it after), `release` frees a
 * reservation the server did not use.
 */
export interface EagerActivitySlots {
  tryReserve(): boolean;
  run(task: Record<string, any>): void;
  release(): void;
}

/** The closing commands as Core's workflow counters name their outcome. */
const OUTCOME_OF_COMMAND = new Map<number, WorkflowOutcome>([
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, 'completed'],
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, 'failed'],
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, 'canceled'],
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, 'continue_as_new'],
]);

/** Milliseconds since the epoch of a protobuf Timestamp (`undefined` when absent). */
function timestampMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

/** At most this many eager activities are asked for per workflow task (the dev server's limit too). */
const MAX_EAGER_ACTIVITIES = 3;
const COMMAND_SCHEDULE_ACTIVITY_TASK = CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK;

export class WorkflowTaskProcessor {
  readonly stickyQueue: string;
  readonly cache: StickyCache;
  inFlight = 0;
  /** Set by the worker when it runs activities on the same task queue. */
  eagerActivities?: EagerActivitySlots;
  private readonly pc: PayloadConverter;
  private readonly dc: DataConverter;
  private readonly sinks: SinkDispatcher;
  private readonly codecs: readonly PayloadCodec[];
  private readonly encode: PayloadsTransform;
  private readonly decode: PayloadsTransform;

  constructor(
    private readonly o: CompiledWorkerOptions,
    private readonly connection: Connection,
    private readonly sandboxes: SandboxFactory,
    private readonly localActivities?: LocalActivityExecutor,
  ) {
    this.sinks = new SinkDispatcher(o.sinks, o.logger);
    this.stickyQueue = `${o.taskQueue}-${o.identity.replace(/[^\w.@-]/g, '_')}-${randomUUID().replace(/-/g, '')}`;
    const metrics = o.metrics;
    this.cache = new StickyCache(
      o.maxCachedWorkflows,
      undefined,
      metrics.enabled ? { forcedEviction: () => metrics.stickyCacheForcedEviction(), size: (n) => metrics.stickyCacheSize(n) } : undefined,
    );
    this.dc = o.dataConverter;
    this.pc = this.dc.payloadConverter;
    this.codecs = this.dc.payloadCodecs ?? [];
    this.encode = codecTransform(this.codecs, 'encode');
    this.decode = codecTransform(this.codecs, 'decode');
  }

  /**
   * Handles one poll response; never throws. Any failure is reported to the server
   * (RespondWorkflowTaskFailed, or a failed query answer) so the task does not wait out
   * its timeout, and the run leaves the cache.
   */
  async handle(task: Record<string, any>): Promise<void> {
    const runId: string | undefined = task.workflowExecution?.runId;
    const receivedAtMs = Date.now();
    if (!runId) return void (await this.handleOne(task, receivedAtMs));
    // Tasks of one run are handled one after another: a task the server hands out while
    // the previous one's completion is still being sent (or retried) waits for it, so the
    // run's sandbox is never disposed under a task that is using it. A task the server
    // returned with a completion (`returnNewWorkflowTask`) follows at once, on the same slot.
    const chain = async (): Promise<void> => {
      let next: Record<string, any> | undefined = await this.handleOne(task, receivedAtMs);
      while (next) next = await this.handleOne(next, Date.now());
    };
    const previous = this.runQueues.get(runId);
    const mine = previous ? previous.then(chain) : chain();
    this.runQueues.set(runId, mine);
    try {
      await mine;
    } finally {
      if (this.runQueues.get(runId) === mine) this.runQueues.delete(runId);
    }
  }

  /** The last task of each run with one in flight; the next task of that run waits for it. */
  private readonly runQueues = new Map<string, Promise<void>>();

  /**
   * Handles one task; returns the run's next task when the server sent it with the completion.
   * `receivedAtMs`: when the task arrived (its local-activity heartbeat counts from then).
   */
  private async handleOne(task: Record<string, any>, receivedAtMs: number): Promise<Record<string, any> | undefined> {
    this.inFlight++;
    const runId: string | undefined = task.workflowExecution?.runId;
    try {
      if (task.query) await this.handleLegacyQuery(task);
      else return await this.handleWorkflowTask(task, receivedAtMs);
    } catch (err) {
      this.o.logger.error('workflow task processing failed', { runId, workflowId: task.workflowExecution?.workflowId, error: (err as Error)?.message });
      if (runId) this.release(runId, undefined);
      if (!task.query) await this.respondFailed(task, CAUSE_UNHANDLED_FAILURE, err);
    } finally {
      this.inFlight--;
    }
  }

  /**
   * The one place a run's sandbox goes away: the cache's entry for the run (if it is
   * `driver`, or whatever is cached when `driver` is undefined) is evicted, which disposes
   * it; a `driver` that is not the cached one is disposed here. Disposing is idempotent.
   */
  private release(runId: string, driver: RunDriver | undefined): void {
    const cached = this.cache.peek(runId);
    if (cached && (driver === undefined || cached === driver)) this.cache.evict(runId);
    driver?.dispose();
  }

  private async history(task: Record<string, any>, needFull: boolean): Promise<HistoryEvent[]> {
    const execution = task.workflowExecution;
    let events: HistoryEvent[] = [...(task.history?.events ?? [])];
    let token: Uint8Array | undefined = task.nextPageToken?.length ? task.nextPageToken : undefined;
    if (needFull && (events.length === 0 || eventId(events[0]!) !== 1)) {
      events = [];
      token = undefined;
      do {
        const page: WorkflowServiceResponse<'getWorkflowExecutionHistory'> = await this.connection.workflowService.getWorkflowExecutionHistory({
          namespace: this.o.namespace,
          execution,
          nextPageToken: token,
        });
        events.push(...((page.history?.events ?? []) as HistoryEvent[]));
        token = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (token);
      return events;
    }
    while (token) {
      const page = await this.connection.workflowService.getWorkflowExecutionHistory({ namespace: this.o.namespace, execution, nextPageToken: token });
      events.push(...((page.history?.events ?? []) as HistoryEvent[]));
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    }
    return events;
  }

  /**
   * A failed workflow task is retried by the server until the code or the workflow is
   * fixed, so the first failure of a run is an error (with its cause), and the retries are
   * not silent but not a flood either: a warning at attempts 2, 10, 100, 1000…
   */
  private reportTaskFailure(task: Record<string, any>, message: string, cause: string | undefined): void {
    const attempt = Number(task.attempt ?? 1);
    const meta = {
      runId: task.workflowExecution?.runId,
      workflowId: task.workflowExecution?.workflowId,
      workflowType: task.workflowType?.name,
      attempt,
      error: cause,
    };
    if (attempt <= 1)
      this.o.logger.error(
        `${message}; the server retries the task until the code or the workflow is fixed (bastion workflow describe shows the failure)`,
        meta,
      );
    else if (attempt === 2 || Number.isInteger(Math.log10(attempt))) this.o.logger.warn(`${message} again (attempt ${attempt})`, meta);
    else this.o.logger.debug(`${message} again (attempt ${attempt})`, meta);
  }

  private newDriver(runId: string): RunDriver {
    const driver = new RunDriver(
      runId,
      this.sandboxes.create(),
      { namespace: this.o.namespace, taskQueue: this.o.taskQueue },
      this.o.activationTimeoutMs,
      this.localActivities,
    );
    driver.onSinkCalls = (calls) => this.sinks.dispatch(calls);
    return driver;
  }

  /** When each cached run's workflow started (its first event), for `workflow_endtoend_latency`. */
  private readonly runStartMs = new WeakMap<RunDriver, number>();

  /**
   * Runs one workflow task and answers it. With the run cached (sticky), the completion asks
   * for the run's next task (`returnNewWorkflowTask`, as Core does): when one is already
   * scheduled (an update or signal arrived while this task ran) the server starts it and
   * returns it here, saving the poll round trip; it is returned to be handled next.
   */
  private async handleWorkflowTask(task: Record<string, any>, receivedAtMs: number): Promise<Record<string, any> | undefined> {
    const runId: string = task.workflowExecution.runId;
    const startedEventId = num(task.startedEventId);
    const metrics = this.o.metrics;
    const began = metrics.enabled ? performance.now() : 0;
    const workflowType: string = task.workflowType?.name ?? '';
    let driver = this.cache.lookup(runId);
    const hadEarlierTasks = num(task.previousStartedEventId) > 0;
    if (metrics.enabled) {
      const scheduled = timestampMs(task.scheduledTime);
      const started = timestampMs(task.startedTime);
      metrics.workflowTaskScheduleToStart(scheduled !== undefined && started !== undefined ? started - scheduled : undefined);
      // As Core counts them: a hit when the run was cached, a miss when a run with earlier tasks was not.
      if (driver) metrics.stickyCacheLookup(true, workflowType);
      else if (hadEarlierTasks) metrics.stickyCacheLookup(false, workflowType);
    }
    if (driver && driver.lastStartedEventId !== num(task.previousStartedEventId)) {
      this.release(runId, driver);
      driver = undefined;
    }
    const scope = scopeOf(this.o.namespace, task);
    const ctx = contextOf(scope);
    // Codecs run here, outside the sandbox: the run sees decoded payloads only.
    const events = await decodeHistoryEvents(this.codecs, await this.history(task, !driver), scope);
    const queryJobs: Job[] = await Promise.all(
      Object.entries((task.queries ?? {}) as Record<string, any>).map(async ([queryId, q]): Promise<Job> => ({
        type: 'query',
        queryId,
        queryType: q.queryType,
        args: (await this.decode(q.queryArgs?.payloads ?? [], ctx)) ?? [],
      })),
    );
    const updates = await updateRequestJobs(task.messages, (p) => this.decode(p, ctx));
    let result;
    const replaying = !driver && hadEarlierTasks;
    try {
      if (!driver) {
        driver = this.newDriver(runId);
        const first = events[0];
        const startMs = first && eventId(first) === 1 ? timestampMs((first as { eventTime?: { seconds?: unknown; nanos?: number } }).eventTime) : undefined;
        if (startMs !== undefined) this.runStartMs.set(driver, startMs);
      }
      result = await driver.process(events, startedEventId, [...queryJobs, ...updates.jobs], receivedAtMs);
      if (replaying) metrics.workflowTaskLatency(workflowType, performance.now() - began, true);
    } catch (err) {
      if (driver) this.release(runId, driver);
      const nondeterministic = err instanceof DeterminismError;
      metrics.workflowTaskFailed(workflowType, nondeterministic);
      this.reportTaskFailure(task, nondeterministic ? 'workflow task failed: nondeterminism' : 'workflow task failed', (err as Error)?.message);
      await this.respondFailed(task, nondeterministic ? CAUSE_NON_DETERMINISTIC : CAUSE_UNHANDLED_FAILURE, err);
      return;
    }
    if (result.taskFailure) {
      metrics.workflowTaskFailed(workflowType, false);
      this.release(runId, driver);
      this.reportTaskFailure(task, 'workflow task failed: workflow code threw', result.taskFailure.message ?? undefined);
      const failure = await this.outgoingFailure(result.taskFailure, ctx).catch(() => undefined);
      await this.connection.workflowService
        .respondWorkflowTaskFailed({
          taskToken: task.taskToken,
          cause: CAUSE_UNHANDLED_FAILURE,
          failure: failure as never,
          identity: this.o.identity,
          namespace: this.o.namespace,
        })
        .catch((e) => this.o.logger.warn('RespondWorkflowTaskFailed failed', { error: (e as Error).message }));
      return;
    }
    const closing = result.commands.some((c) => CLOSING_COMMANDS.has(c.commandType));
    let commands: Array<Record<string, any>>;
    const queryResults: Record<string, object> = {};
    let messages: object[] | undefined;
    try {
      commands = await encodeCommands(this.codecs, result.commands, scope);
      messages = await updateResponseMessages(result.updateMessages, updates.requests, this.o.identity, {
        encode: async (p) => (await this.encode(p, ctx)) ?? [],
        failure: (f) => this.outgoingFailure(f, ctx),
      });
      for (const q of result.queryResults) {
        if (q.failure) {
          const failure = await this.outgoingFailure(q.failure, ctx);
          queryResults[q.queryId] = { resultType: QUERY_FAILED, errorMessage: failure.message ?? 'query failed', failure };
        } else {
          queryResults[q.queryId] = { resultType: QUERY_ANSWERED, answer: { payloads: (await this.encode(q.answer ? [q.answer] : [], ctx)) ?? [] } };
        }
      }
    } catch (err) {
      // A codec failed: the task fails (and is retried) rather than sending clear payloads.
      this.release(runId, driver);
      this.o.logger.warn('workflow task failed: a payload codec could not encode its commands', {
        runId,
        workflowId: task.workflowExecution.workflowId,
        error: (err as Error)?.message,
      });
      await this.respondFailed(task, CAUSE_UNHANDLED_FAILURE, err);
      return;
    }
    const sticky = this.o.maxCachedWorkflows > 0 && !closing;
    const reserved = this.reserveEagerActivities(commands);
    let response: { activityTasks?: Array<Record<string, any>> | null; workflowTask?: Record<string, any> | null };
    try {
      response = (await this.connection.workflowService.respondWorkflowTaskCompleted({
        taskToken: task.taskToken,
        commands: commands as never,
        identity: this.o.identity,
        namespace: this.o.namespace,
        stickyAttributes: sticky
          ? {
              workerTaskQueue: { name: this.stickyQueue, kind: 2, normalName: this.o.taskQueue },
              scheduleToStartTimeout: msToDuration(this.o.stickyQueueScheduleToStartTimeoutMs),
            }
          : undefined,
        queryResults: queryResults as never,
        messages: messages as never,
        // A local activity runs on past the task's heartbeat time: the run waits for it in the next task.
        forceCreateNewWorkflowTask: result.forceNewTask === true,
        sdkMetadata: { sdkName: 'bastion', sdkVersion: '0.1.0' },
        returnNewWorkflowTask: sticky,
      } as never)) as never;
    } catch (err) {
      for (let i = 0; i < reserved; i++) this.eagerActivities!.release();
      if ((err as { code?: number }).code === GRPC_NOT_FOUND && sticky) {
        // The server no longer knows the task. Most often an earlier attempt of this very
        // call was applied and its answer was lost with the connection; then the run here
        // is exactly the server's, and stays cached. If instead the task had timed out,
        // the next task's previousStartedEventId will not match and the run is replayed.
        this.o.logger.info('RespondWorkflowTaskCompleted: the task is no longer known to the server (already applied, or timed out); the run stays cached', {
          runId,
        });
        this.cache.put(driver);
        return;
      }
      this.o.logger.warn('RespondWorkflowTaskCompleted failed; the run leaves the cache', { runId, error: (err as Error).message });
      this.release(runId, driver);
      return;
    }
    if (metrics.enabled) {
      metrics.workflowTaskLatency(workflowType, performance.now() - began, false);
      const closingCommand = closing ? result.commands.find((c) => OUTCOME_OF_COMMAND.has(c.commandType)) : undefined;
      if (closingCommand) {
        const startMs = this.runStartMs.get(driver);
        metrics.workflowClosed(workflowType, OUTCOME_OF_COMMAND.get(closingCommand.commandType)!, startMs === undefined ? undefined : Date.now() - startMs);
      }
    }
    const eagerTasks = (response?.activityTasks ?? []).filter((t) => t?.taskToken && t.taskToken.length > 0).slice(0, reserved);
    for (const t of eagerTasks) this.eagerActivities!.run(t);
    for (let i = eagerTasks.length; i < reserved; i++) this.eagerActivities!.release();
    if (closing || !sticky) this.release(runId, driver);
    else this.cache.put(driver);
    const next = response?.workflowTask;
    return next?.taskToken && next.taskToken.length > 0 ? next : undefined;
  }

  /**
   * Keeps `requestEagerExecution` on the ScheduleActivityTask commands that asked for it
   * (the workflow's `allowEagerDispatch`, on by default) only when the activity runs on
   * this worker's task queue and an activity slot could be reserved for it; clears it on
   * the others. Returns how many slots were reserved.
   */
  private reserveEagerActivities(commands: Array<Record<string, any>>): number {
    let reserved = 0;
    for (const c of commands) {
      const a = c.commandType === COMMAND_SCHEDULE_ACTIVITY_TASK ? c.scheduleActivityTaskCommandAttributes : undefined;
      if (!a?.requestEagerExecution) continue;
      const ok =
        this.eagerActivities !== undefined &&
        reserved < MAX_EAGER_ACTIVITIES &&
        (a.taskQueue?.name ?? this.o.taskQueue) === this.o.taskQueue &&
        this.eagerActivities.tryReserve();
      if (ok) reserved++;
      else a.requestEagerExecution = false;
    }
    return reserved;
  }

  private async respondFailed(task: Record<string, any>, cause: number, err: unknown): Promise<void> {
    const failure = await this.outgoingFailure(this.dc.failureConverter.errorToFailure(err, this.pc), contextOf(scopeOf(this.o.namespace, task)))
      // If the codec itself is what failed, the failure goes without details rather than in clear.
      .catch(() => ({ message: this.dc.encodeCommonAttributes ? ENCODED_FAILURE_MESSAGE : ((err as Error)?.message ?? String(err)) }));
    await this.connection.workflowService
      .respondWorkflowTaskFailed({
        taskToken: task.taskToken,
        cause,
        failure: failure as never,
        identity: this.o.identity,
        namespace: this.o.namespace,
      })
      .catch((e) => this.o.logger.warn('RespondWorkflowTaskFailed failed', { error: (e as Error).message }));
  }

  /**
   * A failure made in the sandbox or here, ready for the server: message and stack trace
   * moved into `encodedAttributes` when the data converter encodes them (failures the
   * host builds, such as an unhandled rejection, had no converter), then through the codecs.
   */
  private async outgoingFailure(failure: ProtoFailure, ctx: CodecContext): Promise<ProtoFailure> {
    const sealed = this.dc.encodeCommonAttributes ? sealCommonAttributes(failure, this.pc) : failure;
    return this.codecs.length ? transformFailure(this.encode, sealed, ctx) : sealed;
  }

  private async handleLegacyQuery(task: Record<string, any>): Promise<void> {
    const runId: string = task.workflowExecution.runId;
    const scope = scopeOf(this.o.namespace, task);
    const ctx = contextOf(scope);
    let driver = this.cache.get(runId);
    let answer;
    try {
      const job: Job = {
        type: 'query',
        queryId: 'legacy',
        queryType: task.query.queryType,
        args: (await this.decode(task.query.queryArgs?.payloads ?? [], ctx)) ?? [],
      };
      if (!driver) {
        const events = await decodeHistoryEvents(this.codecs, await this.history(task, true), scope);
        driver = this.newDriver(runId);
        await driver.process(events, undefined);
        if (this.o.maxCachedWorkflows > 0 && !isClosed(events)) this.cache.put(driver);
      }
      const r = await driver.process([], undefined, [job]);
      if (this.cache.peek(runId) !== driver) driver.dispose();
      const raw: { answer?: Payload; failure?: ProtoFailure } | undefined = r.taskFailure ? { failure: r.taskFailure } : r.queryResults[0];
      answer = raw?.failure
        ? { failure: await this.outgoingFailure(raw.failure, ctx) }
        : { answer: raw?.answer ? (await this.encode([raw.answer], ctx))![0] : undefined };
    } catch (err) {
      this.release(runId, driver);
      answer = {
        failure: await this.outgoingFailure(this.dc.failureConverter.errorToFailure(err, this.pc), ctx).catch(() => ({ message: ENCODED_FAILURE_MESSAGE })),
      };
    }
    await this.connection.workflowService
      .respondQueryTaskCompleted({
        taskToken: task.taskToken,
        namespace: this.o.namespace,
        completedType: answer?.failure ? QUERY_FAILED : QUERY_ANSWERED,
        queryResult: answer?.answer ? { payloads: [answer.answer] } : undefined,
        errorMessage: answer?.failure?.message ?? undefined,
        failure: answer?.failure as never,
      } as never)
      .catch((e) => this.o.logger.warn('RespondQueryTaskCompleted failed', { error: (e as Error).message }));
  }
}

function scopeOf(namespace: string, task: Record<string, any>): WorkflowCodecScope {
  return { namespace, workflowId: task.workflowExecution?.workflowId ?? '' };
}

function contextOf(scope: WorkflowCodecScope): CodecContext {
  return { type: 'workflow', namespace: scope.namespace, workflowId: scope.workflowId };
}

/** `failure` and its causes with message and stack trace moved into `encodedAttributes` (those not already moved). */
function sealCommonAttributes(failure: ProtoFailure, pc: PayloadConverter, depth = 0): ProtoFailure {
  const out: ProtoFailure = { ...failure };
  if (!failure.encodedAttributes) {
    out.encodedAttributes = pc.toPayload({ message: failure.message ?? '', stack_trace: failure.stackTrace ?? '' });
    out.message = ENCODED_FAILURE_MESSAGE;
    out.stackTrace = '';
  }
  if (failure.cause && depth < 200) out.cause = sealCommonAttributes(failure.cause, pc, depth + 1);
  return out;
}

function isClosed(events: HistoryEvent[]): boolean {
  const last = events[events.length - 1];
  const t = last ? num(last.eventType) : 0;
  return [2, 3, 4, 21, 27, 28].includes(t);
}

function msToDuration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
