/**
 * Workflow tasks on the worker: polling the normal and sticky queues, feeding each task
 * to its run's RunDriver (cached, or rebuilt from the full history), and answering
 * with commands, a task failure, or query results.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '../connection';
import { RunDriver, type LocalActivityExecutor, type SandboxCaller } from '../engine/run-driver';
import { DeterminismError } from '../engine/determinism-error';
import { num, eventId, type HistoryEvent } from '../engine/history-events';
import type { Job } from '../workflow/runtime/protocol';
import { errorToFailure, defaultPayloadConverter, type PayloadConverter } from '../converter';
import { StickyCache } from './sticky-cache';
import type { CompiledWorkerOptions } from './worker-options';

const CAUSE_UNHANDLED_FAILURE = 15;
const CAUSE_NON_DETERMINISTIC = 24;
const QUERY_ANSWERED = 1;
const QUERY_FAILED = 2;
/** Commands that close the run: its cache entry can go. */
const CLOSING_COMMANDS = new Set([4, 5, 7, 10]);

export interface SandboxFactory {
  create(): SandboxCaller;
}

export class WorkflowTaskProcessor {
  readonly stickyQueue: string;
  readonly cache: StickyCache;
  inFlight = 0;
  private readonly pc: PayloadConverter;

  constructor(
    private readonly o: CompiledWorkerOptions,
    private readonly connection: Connection,
    private readonly sandboxes: SandboxFactory,
    private readonly localActivities?: LocalActivityExecutor,
  ) {
    this.stickyQueue = `${o.taskQueue}-${o.identity.replace(/[^\w.@-]/g, '_')}-${randomUUID().replace(/-/g, '')}`;
    this.cache = new StickyCache(o.maxCachedWorkflows);
    this.pc = o.payloadConverter ?? defaultPayloadConverter;
  }

  /**
   * Handles one poll response; never throws. Any failure is reported to the server
   * (RespondWorkflowTaskFailed, or a failed query answer) so the task does not wait out
   * its timeout, and the run leaves the cache.
   */
  async handle(task: Record<string, any>): Promise<void> {
    this.inFlight++;
    const runId: string | undefined = task.workflowExecution?.runId;
    try {
      if (task.query) await this.handleLegacyQuery(task);
      else await this.handleWorkflowTask(task);
    } catch (err) {
      this.o.logger.error('workflow task processing failed', { runId, workflowId: task.workflowExecution?.workflowId, error: (err as Error)?.message });
      if (runId) this.cache.evict(runId);
      if (!task.query) await this.respondFailed(task, CAUSE_UNHANDLED_FAILURE, err);
    } finally {
      this.inFlight--;
    }
  }

  private async history(task: Record<string, any>, needFull: boolean): Promise<HistoryEvent[]> {
    const execution = task.workflowExecution;
    let events: HistoryEvent[] = [...(task.history?.events ?? [])];
    let token: Uint8Array | undefined = task.nextPageToken?.length ? task.nextPageToken : undefined;
    if (needFull && (events.length === 0 || eventId(events[0]!) !== 1)) {
      events = [];
      token = undefined;
      do {
        const page = await this.connection.workflowService.getWorkflowExecutionHistory({ namespace: this.o.namespace, execution, nextPageToken: token });
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

  private newDriver(runId: string): RunDriver {
    return new RunDriver(runId, this.sandboxes.create(), { namespace: this.o.namespace, taskQueue: this.o.taskQueue }, this.o.activationTimeoutMs, this.localActivities);
  }

  private async handleWorkflowTask(task: Record<string, any>): Promise<void> {
    const runId: string = task.workflowExecution.runId;
    const startedEventId = num(task.startedEventId);
    let driver = this.cache.get(runId);
    if (driver && driver.lastStartedEventId !== num(task.previousStartedEventId)) {
      this.cache.evict(runId);
      driver = undefined;
    }
    const events = await this.history(task, !driver);
    const queryJobs: Job[] = Object.entries((task.queries ?? {}) as Record<string, any>).map(([queryId, q]) => ({
      type: 'query', queryId, queryType: q.queryType, args: q.queryArgs?.payloads ?? [],
    }));
    let result;
    try {
      driver ??= this.newDriver(runId);
      result = await driver.process(events, startedEventId, queryJobs);
    } catch (err) {
      if (driver) this.cache.evict(runId);
      driver?.dispose();
      const nondeterministic = err instanceof DeterminismError;
      this.o.logger.warn(nondeterministic ? 'workflow task failed: nondeterminism' : 'workflow task failed', { runId, workflowId: task.workflowExecution.workflowId, error: (err as Error)?.message });
      await this.respondFailed(task, nondeterministic ? CAUSE_NON_DETERMINISTIC : CAUSE_UNHANDLED_FAILURE, err);
      return;
    }
    if (result.taskFailure) {
      this.cache.evict(runId);
      driver.dispose();
      this.o.logger.warn('workflow task failed: workflow code threw', { runId, workflowId: task.workflowExecution.workflowId, error: result.taskFailure.message });
      await this.connection.workflowService.respondWorkflowTaskFailed({
        taskToken: task.taskToken, cause: CAUSE_UNHANDLED_FAILURE, failure: result.taskFailure as never, identity: this.o.identity, namespace: this.o.namespace,
      }).catch((e) => this.o.logger.warn('RespondWorkflowTaskFailed failed', { error: (e as Error).message }));
      return;
    }
    const closing = result.commands.some((c) => CLOSING_COMMANDS.has(c.commandType));
    const queryResults: Record<string, object> = {};
    for (const q of result.queryResults) {
      queryResults[q.queryId] = q.failure
        ? { resultType: QUERY_FAILED, errorMessage: q.failure.message ?? 'query failed', failure: q.failure }
        : { resultType: QUERY_ANSWERED, answer: { payloads: q.answer ? [q.answer] : [] } };
    }
    const sticky = this.o.maxCachedWorkflows > 0 && !closing;
    try {
      await this.connection.workflowService.respondWorkflowTaskCompleted({
        taskToken: task.taskToken,
        commands: result.commands as never,
        identity: this.o.identity,
        namespace: this.o.namespace,
        stickyAttributes: sticky
          ? { workerTaskQueue: { name: this.stickyQueue, kind: 2, normalName: this.o.taskQueue }, scheduleToStartTimeout: msToDuration(this.o.stickyQueueScheduleToStartTimeoutMs) }
          : undefined,
        queryResults: queryResults as never,
        sdkMetadata: { sdkName: 'bastion', sdkVersion: '0.1.0' },
      } as never);
    } catch (err) {
      this.o.logger.warn('RespondWorkflowTaskCompleted failed; the run leaves the cache', { runId, error: (err as Error).message });
      this.cache.evict(runId);
      driver.dispose();
      return;
    }
    if (closing || !sticky) {
      this.cache.evict(runId);
      driver.dispose();
    } else this.cache.put(driver);
  }

  private async respondFailed(task: Record<string, any>, cause: number, err: unknown): Promise<void> {
    await this.connection.workflowService.respondWorkflowTaskFailed({
      taskToken: task.taskToken, cause, failure: errorToFailure(err, this.pc) as never, identity: this.o.identity, namespace: this.o.namespace,
    }).catch((e) => this.o.logger.warn('RespondWorkflowTaskFailed failed', { error: (e as Error).message }));
  }

  private async handleLegacyQuery(task: Record<string, any>): Promise<void> {
    const runId: string = task.workflowExecution.runId;
    const job: Job = { type: 'query', queryId: 'legacy', queryType: task.query.queryType, args: task.query.queryArgs?.payloads ?? [] };
    let driver = this.cache.get(runId);
    let answer;
    try {
      if (!driver) {
        const events = await this.history(task, true);
        driver = this.newDriver(runId);
        await driver.process(events, undefined);
        if (this.o.maxCachedWorkflows > 0 && !isClosed(events)) this.cache.put(driver);
      }
      const r = await driver.process([], undefined, [job]);
      if (!this.cache.get(runId)) driver.dispose();
      answer = r.taskFailure ? { failure: r.taskFailure } : r.queryResults[0];
    } catch (err) {
      this.cache.evict(runId);
      answer = { failure: errorToFailure(err, this.pc) };
    }
    await this.connection.workflowService.respondQueryTaskCompleted({
      taskToken: task.taskToken,
      namespace: this.o.namespace,
      completedType: answer?.failure ? QUERY_FAILED : QUERY_ANSWERED,
      queryResult: answer?.answer ? { payloads: [answer.answer] } : undefined,
      errorMessage: answer?.failure?.message ?? undefined,
      failure: answer?.failure as never,
    } as never).catch((e) => this.o.logger.warn('RespondQueryTaskCompleted failed', { error: (e as Error).message }));
  }
}

function isClosed(events: HistoryEvent[]): boolean {
  const last = events[events.length - 1];
  const t = last ? num(last.eventType) : 0;
  return [2, 3, 4, 21, 27, 28].includes(t);
}

function msToDuration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
