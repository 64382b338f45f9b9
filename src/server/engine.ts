/**
 * The dev server's engine: the registries of namespaces and runs, the one way state
 * changes (`mutate`: run a change, then persist every touched run in one transaction,
 * re-derive its timers, and only then dispatch tasks and wake long polls), and the
 * lookups the RPC handlers share. Feature logic lives beside it, one file per concept.
 */
import { randomUUID } from 'node:crypto';
import { encodeJson, HistoryEventType, type JsonEvent, type NewEvent } from './json-proto';
import { Matching, type QueueKind, type TaskRef, type PollRequestInfo } from './matching';
import { TimerSet } from './timer-set';
import { RealClock, TimeSkippingClock, withClock, type ServerClock } from './clock';
import { echo, invalidArgument, notFound, ServiceError, unavailable } from './service-error';
import type { ExecutionState } from './state';
import { isOpen } from './state';
import type { NamespaceRecord, Store } from './store/store';
import type { Logger } from './logger';
import { TokenSealer } from './task-token';

export interface EngineOptions {
  store: Store;
  namespaces: string[];
  blobSizeLimitBytes: number;
  logger: Logger;
  /** Hand eagerly requested activities back in the workflow task's response. @default false */
  eagerActivityExecution?: boolean;
  /** The clock every time stamp and timer reads. @default a RealClock */
  clock?: ServerClock;
}

/** How long a run whose write was refused waits before its timers fire again. */
const STORE_RETRY_MS = 1000;

export type TimerHandler = (engine: Engine, exec: ExecutionState, key: string) => void;
export type TaskStartHandler = (engine: Engine, kind: QueueKind, task: TaskRef, poll: PollRequestInfo) => object | null;

/** Registered by feature modules so the engine core does not import them (no cycles). */
export const hooks: {
  timers: (exec: ExecutionState) => Map<string, number>;
  onTimer: TimerHandler;
  startTask: TaskStartHandler;
  recover: (engine: Engine, exec: ExecutionState) => void;
} = {
  timers: () => new Map(),
  onTimer: () => undefined,
  startTask: () => null,
  recover: () => undefined,
};

export class Engine {
  readonly namespaces = new Map<string, NamespaceRecord>();
  readonly executions = new Map<string, ExecutionState>();
  readonly histories = new Map<string, JsonEvent[]>();
  readonly currentRuns = new Map<string, string>();
  readonly matching: Matching;
  readonly timers: TimerSet;
  /** The server's clock: read time as `engine.clock.now()`, never `Date.now()` (see clock.ts). */
  readonly clock: ServerClock;
  readonly blobSizeLimitBytes: number;
  readonly logger: Logger;
  readonly eagerActivityExecution: boolean;
  /** Seals task and history page tokens under the store's secret (see task-token.ts). */
  readonly tokens: TokenSealer;
  /** Activity attempts started, by how they reached a worker (see DevServer.stats()). */
  readonly activityStarts = { byPoll: 0, eager: 0 };
  private readonly store: Store;
  private readonly listeners = new Map<string, Set<() => void>>();
  private depth = 0;
  private dirtyRuns = new Set<string>();
  private dirtyNamespaces = new Set<string>();
  private dirtyCurrent = new Set<string>();
  private deletedRuns: Array<{ namespace: string; workflowId: string; runId: string }> = [];
  private persistedEvents = new Map<string, number>();
  private afterCommit: Array<() => void> = [];
  /** The deferred actions that only wake long polls (run even when a write is rolled back). */
  private wakeActions = new Set<() => void>();
  private taskCounter = 1;
  closed = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.tokens = new TokenSealer(options.store.tokenSecret());
    this.blobSizeLimitBytes = options.blobSizeLimitBytes;
    this.logger = options.logger;
    this.eagerActivityExecution = options.eagerActivityExecution === true;
    this.clock = options.clock ?? new RealClock();
    if (this.clock instanceof TimeSkippingClock) this.clock.busy = () => this.hasOutstandingTasks();
    this.matching = new Matching(
      (kind, task, poll) => this.mutate(() => hooks.startTask(this, kind, task, poll)),
      () => this.clock.now(),
    );
    this.timers = new TimerSet(this.clock, (runId, key) => {
      if (this.closed) return;
      const exec = this.executions.get(runId);
      if (!exec) return;
      try {
        this.mutate(() => hooks.onTimer(this, exec, key));
      } catch (err) {
        this.logger.error('timer handler failed', { runId, key, error: (err as Error).message });
      }
    });
    this.load(options.namespaces);
  }

  private load(extraNamespaces: string[]): void {
    const snapshot = this.store.load();
    for (const ns of snapshot.namespaces) this.namespaces.set(ns.name, ns);
    for (const { state, events } of snapshot.executions) {
      this.executions.set(state.runId, state);
      this.histories.set(state.runId, events);
      this.persistedEvents.set(state.runId, events.length);
    }
    for (const c of snapshot.currentRuns) this.currentRuns.set(`${c.namespace}\u0000${c.workflowId}`, c.runId);
    this.mutate(() => {
      for (const name of ['default', ...extraNamespaces]) {
        if (!this.namespaces.has(name)) this.putNamespace({ name, id: randomUUID(), description: '', ownerEmail: '', retentionMs: 24 * 3600_000, data: {} });
      }
      for (const exec of this.executions.values()) {
        if (isOpen(exec)) {
          hooks.recover(this, exec);
          this.touch(exec);
        }
      }
    });
  }

  /**
   * Runs a state change. Nested calls join the outer one; the outermost persists every
   * touched run in one transaction, then re-derives timers, then runs deferred actions
   * (task dispatch, waking long polls, each a change of its own), so nothing outside
   * sees unpersisted state.
   * The change is atomic with its write: when the store refuses the write (or the
   * change fails with an unexpected error), memory is rolled back to what is stored and
   * the caller gets UNAVAILABLE (or the error). A ServiceError thrown on purpose after a
   * recorded change (a workflow task failed for a bad command) keeps that change.
   */
  mutate<T>(fn: () => T): T {
    return withClock(this.clock, () => this.mutateOnClock(fn));
  }

  private mutateOnClock<T>(fn: () => T): T {
    this.depth++;
    let result!: T;
    let failure: { err: unknown } | undefined;
    try {
      result = fn();
    } catch (err) {
      failure = { err };
    } finally {
      this.depth--;
    }
    if (this.depth > 0) {
      if (failure) throw failure.err;
      return result;
    }
    if (failure && !(failure.err instanceof ServiceError) && this.rollback()) throw failure.err;
    this.commit();
    if (failure) throw failure.err;
    return result;
  }

  private commit(): void {
    while (
      this.dirtyRuns.size > 0 ||
      this.dirtyNamespaces.size > 0 ||
      this.dirtyCurrent.size > 0 ||
      this.deletedRuns.length > 0 ||
      this.afterCommit.length > 0
    ) {
      const runs = [...this.dirtyRuns];
      const batch = {
        namespaces: [...this.dirtyNamespaces].map((n) => this.namespaces.get(n)!),
        executions: runs.map((runId) => {
          const state = this.executions.get(runId)!;
          const events = this.histories.get(runId)!;
          return { state, newEvents: events.slice(this.persistedEvents.get(runId) ?? 0) };
        }),
        currentRuns: [...this.dirtyCurrent].map((key) => {
          const [namespace, workflowId] = key.split('\u0000') as [string, string];
          return { namespace, workflowId, runId: this.currentRuns.get(key)! };
        }),
        deletedRuns: this.deletedRuns,
      };
      if (batch.namespaces.length || batch.executions.length || batch.currentRuns.length || batch.deletedRuns.length) {
        try {
          this.store.save(batch);
        } catch (err) {
          this.logger.error('the store refused a write; memory is rolled back to it', { error: (err as Error).message });
          if (!this.rollback()) throw err;
          throw unavailable(`The dev server could not write its database (${(err as Error).message}); nothing was changed. Retry the call.`);
        }
      }
      // Deletions stay queued until written: a refused write retries them with the next change.
      this.deletedRuns = [];
      for (const runId of runs) this.persistedEvents.set(runId, this.histories.get(runId)!.length);
      this.dirtyRuns.clear();
      this.dirtyNamespaces.clear();
      this.dirtyCurrent.clear();
      for (const runId of runs) {
        const exec = this.executions.get(runId)!;
        if (this.closed) continue;
        if (isOpen(exec)) this.timers.sync(runId, hooks.timers(exec));
        else this.timers.clear(runId);
      }
      const actions = this.afterCommit;
      this.afterCommit = [];
      this.wakeActions.clear();
      // Each action runs as its own change (a task handed to a waiting poller is
      // written before the poller gets it), so a refused write undoes only that action.
      for (const action of actions) {
        try {
          action();
        } catch (err) {
          this.logger.error('deferred action failed', { error: (err as Error).message });
        }
      }
    }
    this.clock.poke();
  }

  /**
   * True while a workflow task or an activity attempt is scheduled or running (not while
   * one waits out a retry backoff): a time-skipping clock does not jump then.
   */
  hasOutstandingTasks(): boolean {
    for (const exec of this.executions.values()) {
      if (!isOpen(exec)) continue;
      if (exec.wft && !exec.wft.notBeforeMs) return true;
      for (const a of Object.values(exec.activities)) if (!a.retryAtMs) return true;
    }
    return false;
  }

  /**
   * Puts every uncommitted change back to what the store holds: run states are read
   * back, events past the stored ones dropped, runs never stored forgotten, deferred
   * dispatches dropped (long polls are still woken; they look again and wait on). Timers
   * of those runs are re-armed no sooner than a second from now, so a timer whose
   * handler could not be stored does not spin while the disk refuses writes.
   * Returns false for a store that keeps nothing apart from memory (nothing to go back to).
   */
  private rollback(): boolean {
    if (this.closed) return false;
    const runIds = [...this.dirtyRuns];
    const currentKeys = [...this.dirtyCurrent];
    const names = [...this.dirtyNamespaces];
    const stored = this.store.readBack({
      runIds,
      currentRuns: currentKeys.map((k) => {
        const [namespace, workflowId] = k.split('\u0000') as [string, string];
        return { namespace, workflowId };
      }),
      namespaces: names,
    });
    if (!stored) return false;
    for (const runId of runIds) {
      const state = stored.runs.get(runId);
      const exec = this.executions.get(runId);
      if (!state) {
        this.executions.delete(runId);
        this.histories.delete(runId);
        this.persistedEvents.delete(runId);
        this.timers.clear(runId);
        continue;
      }
      if (exec) {
        // In place: closures (a waiting query, a long poll) hold the object.
        for (const key of Object.keys(exec)) delete (exec as unknown as Record<string, unknown>)[key];
        Object.assign(exec, state);
      } else this.executions.set(runId, state);
      const history = this.histories.get(runId);
      if (history) history.length = this.persistedEvents.get(runId) ?? 0;
      const run = this.executions.get(runId)!;
      if (this.closed) continue;
      if (isOpen(run)) {
        const notBefore = this.clock.now() + STORE_RETRY_MS;
        this.timers.sync(runId, new Map([...hooks.timers(run)].map(([k, due]) => [k, Math.max(due, notBefore)])));
      } else this.timers.clear(runId);
    }
    for (const key of currentKeys) {
      const runId = stored.currentRuns.get(key);
      if (runId) this.currentRuns.set(key, runId);
      else this.currentRuns.delete(key);
    }
    for (const name of names) {
      const ns = stored.namespaces.get(name);
      if (ns) this.namespaces.set(name, ns);
      else this.namespaces.delete(name);
    }
    this.dirtyRuns.clear();
    this.dirtyCurrent.clear();
    this.dirtyNamespaces.clear();
    const wakes = this.afterCommit.filter((a) => this.wakeActions.has(a));
    this.afterCommit = [];
    this.wakeActions.clear();
    for (const wake of wakes) {
      try {
        wake();
      } catch (err) {
        this.logger.error('deferred action failed', { error: (err as Error).message });
      }
    }
    return true;
  }

  /** Marks a run changed: it is persisted and its timers re-derived at commit. */
  touch(exec: ExecutionState): void {
    this.dirtyRuns.add(exec.runId);
  }

  defer(action: () => void): void {
    this.afterCommit.push(action);
  }

  putNamespace(ns: NamespaceRecord): void {
    this.namespaces.set(ns.name, ns);
    this.dirtyNamespaces.add(ns.name);
  }

  addExecution(exec: ExecutionState): void {
    this.executions.set(exec.runId, exec);
    this.histories.set(exec.runId, []);
    this.setCurrentRun(exec.namespace, exec.workflowId, exec.runId);
    this.touch(exec);
  }

  /**
   * Removes a closed run and its history (DeleteWorkflowExecution); the workflow id's
   * current-run pointer goes too when it points at this run.
   */
  removeExecution(exec: ExecutionState): void {
    const { runId, namespace, workflowId } = exec;
    this.executions.delete(runId);
    this.histories.delete(runId);
    this.persistedEvents.delete(runId);
    this.dirtyRuns.delete(runId);
    this.timers.clear(runId);
    const key = `${namespace}\u0000${workflowId}`;
    if (this.currentRuns.get(key) === runId) {
      this.currentRuns.delete(key);
      this.dirtyCurrent.delete(key);
    }
    this.deletedRuns.push({ namespace, workflowId, runId });
  }

  setCurrentRun(namespace: string, workflowId: string, runId: string): void {
    const key = `${namespace}\u0000${workflowId}`;
    this.currentRuns.set(key, runId);
    this.dirtyCurrent.add(key);
  }

  /** Writes an event to a run's history now (not buffered) and returns it. */
  appendEvent(exec: ExecutionState, event: NewEvent): JsonEvent {
    const full = { eventId: exec.nextEventId++, ...event, taskId: this.taskCounter++ } as unknown as JsonEvent;
    this.histories.get(exec.runId)!.push(full);
    exec.historySizeBytes += encodeJson(HistoryEventType, full).length;
    this.touch(exec);
    this.wake(exec.runId);
    return full;
  }

  history(runId: string): JsonEvent[] {
    return this.histories.get(runId) ?? [];
  }

  // ---- lookups ------------------------------------------------------------------

  /** The namespace record, or NOT_FOUND / INVALID_ARGUMENT naming the field. */
  namespace(name: string | undefined | null, field = 'namespace'): NamespaceRecord {
    if (!name) throw invalidArgument(`\`${field}\` is required: pass the namespace name, e.g. "default".`);
    const ns = this.namespaces.get(name);
    if (!ns)
      throw notFound(`Namespace ${echo(name)} is not found.`, {
        typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
        value: { namespace: echo(name) },
      });
    return ns;
  }

  /** A run by id, or the current run of a workflow id. */
  findRun(namespace: string, workflowId: string | undefined | null, runId?: string | null): ExecutionState | undefined {
    if (runId) {
      const exec = this.executions.get(runId);
      if (exec && exec.namespace === namespace && (!workflowId || exec.workflowId === workflowId)) return exec;
      return undefined;
    }
    if (!workflowId) return undefined;
    const current = this.currentRuns.get(`${namespace}\u0000${workflowId}`);
    return current ? this.executions.get(current) : undefined;
  }

  /** Like findRun, but NOT_FOUND when missing, with Temporal's message. */
  requireRun(namespace: string, execution: { workflowId?: string | null; runId?: string | null } | undefined | null): ExecutionState {
    const workflowId = execution?.workflowId;
    if (!workflowId) throw invalidArgument('`execution.workflowId` is required.');
    const exec = this.findRun(namespace, workflowId, execution?.runId);
    if (!exec) {
      throw notFound(`workflow execution not found for workflow ID "${echo(workflowId)}"${execution?.runId ? ` and run ID "${echo(execution.runId)}"` : ''}`, {
        typeName: 'temporal.api.errordetails.v1.NotFoundFailure',
        value: { currentCluster: 'active', activeCluster: 'active' },
      });
    }
    return exec;
  }

  /** Like requireRun, but the run must still be open. */
  requireOpenRun(namespace: string, execution: { workflowId?: string | null; runId?: string | null } | undefined | null): ExecutionState {
    const exec = this.requireRun(namespace, execution);
    if (!isOpen(exec))
      throw notFound('workflow execution already completed', {
        typeName: 'temporal.api.errordetails.v1.NotFoundFailure',
        value: { currentCluster: 'active', activeCluster: 'active' },
      });
    return exec;
  }

  // ---- long-poll listeners ------------------------------------------------------

  /** Calls `fn` once, after the next event of the run is committed. Returns an unsubscribe. */
  onNextEvent(runId: string, fn: () => void): () => void {
    let set = this.listeners.get(runId);
    if (!set) {
      set = new Set();
      this.listeners.set(runId, set);
    }
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0) this.listeners.delete(runId);
    };
  }

  private wake(runId: string): void {
    const set = this.listeners.get(runId);
    if (!set) return;
    this.listeners.delete(runId);
    const action = () => {
      for (const fn of set) fn();
    };
    this.wakeActions.add(action);
    this.defer(action);
  }

  /** Wakes every long poll (used at close). */
  wakeAll(): void {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    for (const set of all) for (const fn of set) fn();
  }

  dispatch(namespace: string, kind: QueueKind, queue: string, task: TaskRef): void {
    this.defer(() => this.matching.addTask(namespace, kind, queue, task));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearAll();
    this.clock.close();
    this.matching.close();
    this.wakeAll();
    this.store.close();
  }
}
