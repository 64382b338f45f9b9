/**
 * The dev server's scheduler: for each schedule it takes the due action times (skipping
 * them while paused, past `remainingActions`, or older than the catch-up window), applies
 * the overlap policy against the workflows it started that are still running, starts
 * workflows, watches them close, and arms one timer for the next action time. Time and
 * timers come only from ./clock.ts.
 */
import { scheduleClockOf } from './clock';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Engine } from '../engine';
import { ServiceError } from '../service-error';
import { Status } from '../common';
import { isOpen, type ExecutionState } from '../state';
import { startWorkflowExecution } from '../workflow-api';
import { requestCancel, terminateRun } from '../workflows';
import { CompiledSpec } from './spec';
import type { ScheduleStore } from './schedule-store';
import {
  DEFAULT_CATCHUP_WINDOW_MS,
  MIN_CATCHUP_WINDOW_MS,
  Overlap,
  RECENT_ACTIONS_KEPT,
  recordKey,
  type BufferedStart,
  type ScheduleRecord,
} from './schedule-state';
import { ms } from '../common';

/** At most this many due times are taken in one pass (a long outage with a short interval). */
const MAX_DUE_PER_PASS = 1000;
const SCHEDULER_IDENTITY = 'temporal-scheduler';

const keywordPayload = (value: string, type: string) => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64'), type: Buffer.from(type).toString('base64') },
  data: Buffer.from(JSON.stringify(value)).toString('base64'),
});

/** RFC 3339 to the second, as Temporal appends it to scheduled workflow ids. */
export const rfc3339Seconds = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class Scheduler {
  readonly records = new Map<string, ScheduleRecord>();
  private readonly specs = new Map<string, CompiledSpec>();
  private readonly timers = new Map<string, () => void>();
  private readonly watched = new Map<string, () => void>();
  private closed = false;

  constructor(
    readonly engine: Engine,
    private readonly store: ScheduleStore,
  ) {}

  /** Loads stored schedules and processes each: times missed while the server was down get the catch-up window. */
  start(): void {
    for (const rec of this.store.load()) this.records.set(recordKey(rec.namespace, rec.scheduleId), rec);
    this.watchAll();
    for (const rec of this.records.values()) this.safely(rec, () => this.process(rec));
  }

  spec(rec: ScheduleRecord): CompiledSpec {
    const key = recordKey(rec.namespace, rec.scheduleId);
    let s = this.specs.get(key);
    if (!s) {
      s = new CompiledSpec(rec.schedule.spec, rec.scheduleId);
      this.specs.set(key, s);
    }
    return s;
  }

  /** Forgets the compiled spec after the spec changed. */
  specChanged(rec: ScheduleRecord): void {
    this.specs.delete(recordKey(rec.namespace, rec.scheduleId));
  }

  catchupWindowMs(rec: ScheduleRecord): number {
    const w = ms(rec.schedule.policies?.catchupWindow);
    return w ? Math.max(w, MIN_CATCHUP_WINDOW_MS) : DEFAULT_CATCHUP_WINDOW_MS;
  }

  policy(rec: ScheduleRecord, overlap = 0): number {
    return overlap || rec.schedule.policies?.overlapPolicy || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
  }

  private canTake(rec: ScheduleRecord): boolean {
    const st = rec.schedule.state ?? {};
    return !st.limitedActions || Number(st.remainingActions ?? 0) > 0;
  }

  /** Takes the due times, runs the buffer, persists, and arms the next timer. */
  process(rec: ScheduleRecord): void {
    if (this.closed || !this.records.has(recordKey(rec.namespace, rec.scheduleId))) return;
    const now = scheduleClockOf(this.engine.clock).now();
    const spec = this.spec(rec);
    const window = this.catchupWindowMs(rec);
    let t = rec.lastProcessedMs;
    for (let i = 0; i < MAX_DUE_PER_PASS; i++) {
      const n = spec.next(t);
      if (!n || n.actual > now) break;
      t = n.nominal;
      if (rec.schedule.state?.paused || !this.canTake(rec)) continue;
      if (now - n.actual > window) {
        rec.missedCatchupWindow++;
        continue;
      }
      rec.buffer.push({ nominalMs: n.nominal, actualMs: n.actual, overlap: 0, manual: false });
    }
    rec.lastProcessedMs = t;
    this.runBuffer(rec);
    this.save(rec);
    this.arm(rec);
  }

  private arm(rec: ScheduleRecord): void {
    const key = recordKey(rec.namespace, rec.scheduleId);
    this.timers.get(key)?.();
    this.timers.delete(key);
    if (this.closed) return;
    const n = this.spec(rec).next(rec.lastProcessedMs);
    if (!n) return;
    this.timers.set(
      key,
      scheduleClockOf(this.engine.clock).schedule(n.actual, () => {
        this.timers.delete(key);
        this.safely(rec, () => this.process(rec));
      }),
    );
  }

  private safely(rec: ScheduleRecord, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.engine.logger.error('schedule processing failed', { scheduleId: rec.scheduleId, error: (err as Error).message });
    }
  }

  save(rec: ScheduleRecord): void {
    this.store.save(rec);
  }

  /** The current run of a started workflow's chain, when it is still open. */
  private openRun(rec: ScheduleRecord, w: { workflowId: string; runId: string }): ExecutionState | undefined {
    const cur = this.engine.findRun(rec.namespace, w.workflowId);
    return cur && isOpen(cur) && cur.firstRunId === w.runId ? cur : undefined;
  }

  /** Drops closed workflows from `running`, noting their status in the recent actions. */
  private refreshRunning(rec: ScheduleRecord): void {
    rec.running = rec.running.filter((w) => {
      if (this.openRun(rec, w)) return true;
      const cur = this.engine.findRun(rec.namespace, w.workflowId);
      const status = cur && cur.firstRunId === w.runId ? cur.status : Status.WORKFLOW_EXECUTION_STATUS_COMPLETED;
      const recent = rec.recent.find((r) => r.runId === w.runId);
      if (recent) recent.status = status;
      const failed = status === Status.WORKFLOW_EXECUTION_STATUS_FAILED || status === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
      if (failed && rec.schedule.policies?.pauseOnFailure) {
        rec.schedule.state = { ...rec.schedule.state, paused: true, notes: `paused because workflow ${w.workflowId} failed` };
      }
      return false;
    });
  }

  /** Applies overlap policies to the buffered starts, starting what may start now. */
  runBuffer(rec: ScheduleRecord): void {
    this.refreshRunning(rec);
    const keep: BufferedStart[] = [];
    for (const start of rec.buffer) {
      if (!start.manual && !this.canTake(rec)) continue;
      const policy = this.policy(rec, start.overlap);
      if (rec.running.length === 0 || policy === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
        this.startWorkflow(rec, start);
        continue;
      }
      switch (policy) {
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
          if (keep.length === 0) keep.push(start);
          else rec.bufferDropped++;
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
          keep.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
          this.engine.mutate(() => {
            for (const w of rec.running) {
              const run = this.openRun(rec, w);
              if (run) requestCancel(this.engine, run, { identity: SCHEDULER_IDENTITY, cause: 'cancelled by schedule overlap policy CANCEL_OTHER' });
            }
          });
          // Only the newest start waits for the cancelled runs to close.
          for (let i = keep.length - 1; i >= 0; i--) if (this.policy(rec, keep[i]!.overlap) === Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) keep.splice(i, 1);
          keep.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
          this.engine.mutate(() => {
            for (const w of rec.running) {
              const run = this.openRun(rec, w);
              if (run) terminateRun(this.engine, run, 'terminated by schedule overlap policy TERMINATE_OTHER', SCHEDULER_IDENTITY);
            }
          });
          this.refreshRunning(rec);
          this.startWorkflow(rec, start);
          break;
        default:
          rec.overlapSkipped++;
      }
    }
    rec.buffer = keep;
  }

  private startWorkflow(rec: ScheduleRecord, start: BufferedStart): void {
    const action = rec.schedule.action?.startWorkflow ?? {};
    const workflowId = rec.schedule.policies?.keepOriginalWorkflowId ? action.workflowId : `${action.workflowId}-${rfc3339Seconds(start.nominalMs)}`;
    const searchAttributes = {
      indexedFields: {
        ...(action.searchAttributes?.indexedFields ?? {}),
        TemporalScheduledById: keywordPayload(rec.scheduleId, 'Keyword'),
        TemporalScheduledStartTime: keywordPayload(new Date(Math.floor(start.nominalMs / 1000) * 1000).toISOString(), 'Datetime'),
      },
    };
    const req = {
      ...action,
      namespace: rec.namespace,
      workflowId,
      searchAttributes,
      identity: SCHEDULER_IDENTITY,
      requestId: randomUUID(),
    };
    let runId: string;
    try {
      runId = (this.engine.mutate(() => startWorkflowExecution(this.engine, req)) as { runId: string }).runId;
    } catch (err) {
      // Started before a crash (the id carries the nominal time): keep the existing run.
      const existing = err instanceof ServiceError && err.status === grpc.status.ALREADY_EXISTS ? this.engine.findRun(rec.namespace, workflowId) : undefined;
      if (!existing) {
        this.engine.logger.warn('a schedule could not start its workflow', { scheduleId: rec.scheduleId, workflowId, error: (err as Error).message });
        return;
      }
      runId = existing.firstRunId;
    }
    if (!start.manual && rec.schedule.state?.limitedActions) {
      rec.schedule.state.remainingActions = Math.max(0, Number(rec.schedule.state.remainingActions ?? 0) - 1);
    }
    rec.actionCount++;
    rec.running.push({ workflowId, runId });
    rec.recent.push({
      scheduleTimeMs: start.actualMs,
      actualTimeMs: scheduleClockOf(this.engine.clock).now(),
      workflowId,
      runId,
      status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    });
    if (rec.recent.length > RECENT_ACTIONS_KEPT) rec.recent.splice(0, rec.recent.length - RECENT_ACTIONS_KEPT);
    this.watch(rec, { workflowId, runId });
  }

  /** Re-processes the schedule when a started workflow's chain closes. */
  private watch(rec: ScheduleRecord, w: { workflowId: string; runId: string }): void {
    const run = this.openRun(rec, w);
    if (!run || this.closed) {
      queueMicrotask(() => this.onRunChanged(rec));
      return;
    }
    const key = run.runId;
    if (this.watched.has(key)) return;
    const off = this.engine.onNextEvent(run.runId, () => {
      this.watched.delete(key);
      // Outside the engine's commit: starting a workflow is a change of its own.
      setImmediate(() => {
        if (this.closed) return;
        if (this.openRun(rec, w)) this.watch(rec, w);
        else this.onRunChanged(rec);
      });
    });
    this.watched.set(key, off);
  }

  private onRunChanged(rec: ScheduleRecord): void {
    if (this.closed || !this.records.has(recordKey(rec.namespace, rec.scheduleId))) return;
    this.safely(rec, () => {
      this.runBuffer(rec);
      this.save(rec);
    });
  }

  /** Watches the running workflows of every schedule (after a restart). */
  watchAll(): void {
    for (const rec of this.records.values()) for (const w of rec.running) this.watch(rec, w);
  }

  forget(rec: ScheduleRecord): void {
    const key = recordKey(rec.namespace, rec.scheduleId);
    this.timers.get(key)?.();
    this.timers.delete(key);
    this.records.delete(key);
    this.specs.delete(key);
    this.store.delete(rec.namespace, rec.scheduleId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.timers.values()) off();
    for (const off of this.watched.values()) off();
    this.timers.clear();
    this.watched.clear();
    this.store.close();
  }
}
