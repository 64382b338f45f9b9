/**
 * The schedule RPCs of the WorkflowService: Create, Describe, Update, Patch (trigger,
 * pause, unpause, backfill), List, Count, Delete and ListScheduleMatchingTimes, over the
 * engine's Scheduler (one per engine, registered by the dev server).
 */
import { scheduleClockOf } from './clock';
import type { Engine } from '../engine';
import { alreadyExists, echo, failedPrecondition, invalidArgument, notFound } from '../service-error';
import { checkBlobSize, dur, ms, requireId, ts } from '../common';
import { canonicalSpec } from './spec';
import { Scheduler } from './scheduler';
import { MemoryScheduleStore, SqliteScheduleStore } from './schedule-store';
import { DEFAULT_CATCHUP_WINDOW_MS, FUTURE_ACTION_TIMES, Overlap, recordKey, type ScheduleRecord } from './schedule-state';

const schedulers = new WeakMap<Engine, Scheduler>();

/**
 * Starts the scheduler serving an engine's schedule RPCs, with schedules kept beside the
 * engine's state (`dbFilename`) or in memory; stored schedules resume with their catch-up.
 */
export function startScheduler(engine: Engine, dbFilename: string | undefined): Scheduler {
  const scheduler = new Scheduler(engine, dbFilename ? new SqliteScheduleStore(dbFilename) : new MemoryScheduleStore());
  schedulers.set(engine, scheduler);
  scheduler.start();
  return scheduler;
}

/** Stops the engine's scheduler (timers, its database connection). Idempotent. */
export function closeScheduler(engine: Engine): void {
  schedulers.get(engine)?.close();
}

function schedulerOf(engine: Engine): Scheduler {
  const s = schedulers.get(engine);
  if (!s) throw failedPrecondition('Schedules are not enabled on this server.');
  return s;
}

function find(engine: Engine, req: Record<string, any>): { scheduler: Scheduler; rec: ScheduleRecord } {
  engine.namespace(req.namespace);
  const scheduleId = requireId(req.scheduleId, 'scheduleId');
  const scheduler = schedulerOf(engine);
  const rec = scheduler.records.get(recordKey(req.namespace, scheduleId));
  if (!rec)
    throw notFound(`schedule "${echo(scheduleId)}" not found in namespace "${echo(req.namespace)}"`, {
      typeName: 'temporal.api.errordetails.v1.NotFoundFailure',
      value: { currentCluster: 'active', activeCluster: 'active' },
    });
  return { scheduler, rec };
}

const OVERLAP_NAMES = Object.values(Overlap).filter((v) => typeof v === 'number');

/** Validates a request's Schedule and returns it with the spec canonical and defaults filled. */
function compileSchedule(engine: Engine, schedule: Record<string, any> | undefined): Record<string, any> {
  if (!schedule) throw invalidArgument('`schedule` is required.');
  const start = schedule.action?.startWorkflow;
  if (!start) throw invalidArgument('`schedule.action.startWorkflow` is required: the dev server supports the start-workflow action.');
  requireId(start.workflowId, 'schedule.action.startWorkflow.workflowId');
  requireId(start.workflowType?.name, 'schedule.action.startWorkflow.workflowType.name');
  requireId(start.taskQueue?.name, 'schedule.action.startWorkflow.taskQueue.name');
  checkBlobSize(engine.blobSizeLimitBytes, 'schedule.action.startWorkflow.input', start.input);
  const policies = schedule.policies ?? {};
  if (policies.overlapPolicy && !OVERLAP_NAMES.includes(policies.overlapPolicy))
    throw invalidArgument(`\`schedule.policies.overlapPolicy\` ${policies.overlapPolicy} is not a ScheduleOverlapPolicy.`);
  if (ms(policies.catchupWindow) < 0) throw invalidArgument('`schedule.policies.catchupWindow` must not be negative.');
  const state = schedule.state ?? {};
  return {
    spec: canonicalSpec(schedule.spec),
    action: schedule.action,
    policies: {
      overlapPolicy: policies.overlapPolicy || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP,
      catchupWindow: ms(policies.catchupWindow) ? policies.catchupWindow : dur(DEFAULT_CATCHUP_WINDOW_MS),
      pauseOnFailure: policies.pauseOnFailure || undefined,
      keepOriginalWorkflowId: policies.keepOriginalWorkflowId || undefined,
    },
    state: {
      notes: state.notes || undefined,
      paused: state.paused || undefined,
      limitedActions: state.limitedActions || undefined,
      remainingActions: state.limitedActions ? Number(state.remainingActions ?? 0) : undefined,
    },
  };
}

const token = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b.toString('base64');
};

function applyPatch(scheduler: Scheduler, rec: ScheduleRecord, patch: Record<string, any> | undefined): void {
  if (!patch) return;
  const now = scheduleClockOf(scheduler.engine.clock).now();
  if (patch.pause) rec.schedule.state = { ...rec.schedule.state, paused: true, notes: patch.pause };
  if (patch.unpause) rec.schedule.state = { ...rec.schedule.state, paused: undefined, notes: patch.unpause };
  if (patch.triggerImmediately) {
    const nominal = tsMs(patch.triggerImmediately.scheduledTime) ?? now;
    rec.buffer.push({ nominalMs: nominal, actualMs: nominal, overlap: patch.triggerImmediately.overlapPolicy || 0, manual: true });
  }
  for (const b of patch.backfillRequest ?? []) {
    const from = tsMs(b.startTime);
    const to = tsMs(b.endTime);
    if (from === undefined || to === undefined) throw invalidArgument('`backfillRequest.startTime` and `backfillRequest.endTime` are required.');
    if (to < from) throw invalidArgument('`backfillRequest.endTime` is before `backfillRequest.startTime`.');
    const spec = scheduler.spec(rec);
    let t = from - 1;
    for (let i = 0; i < 1000; i++) {
      const nominal = spec.nextNominal(t);
      if (nominal === undefined || nominal > to) break;
      rec.buffer.push({ nominalMs: nominal, actualMs: nominal, overlap: b.overlapPolicy || 0, manual: true });
      t = nominal;
    }
  }
}

const tsMs = (t: { seconds?: number; nanos?: number } | undefined | null) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined);

function futureTimes(scheduler: Scheduler, rec: ScheduleRecord): object[] {
  const st = rec.schedule.state ?? {};
  const limit = st.limitedActions ? Math.min(FUTURE_ACTION_TIMES, Number(st.remainingActions ?? 0)) : FUTURE_ACTION_TIMES;
  const out: object[] = [];
  const spec = scheduler.spec(rec);
  let t = rec.lastProcessedMs;
  while (out.length < limit) {
    const n = spec.next(t);
    if (!n) break;
    out.push(ts(n.actual));
    t = n.nominal;
  }
  return out;
}

const recentActions = (rec: ScheduleRecord, last = rec.recent.length) =>
  rec.recent.slice(-last).map((r) => ({
    scheduleTime: ts(r.scheduleTimeMs),
    actualTime: ts(r.actualTimeMs),
    startWorkflowResult: { workflowId: r.workflowId, runId: r.runId },
    startWorkflowStatus: r.status,
  }));

export const SCHEDULE_HANDLERS = {
  CreateSchedule(engine: Engine, req: Record<string, any>): object {
    engine.namespace(req.namespace);
    const scheduleId = requireId(req.scheduleId, 'scheduleId');
    const scheduler = schedulerOf(engine);
    const key = recordKey(req.namespace, scheduleId);
    if (scheduler.records.has(key))
      throw alreadyExists(`Schedule with this ID is already registered: "${echo(scheduleId)}".`, {
        typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
        value: { startRequestId: req.requestId ?? '', runId: '' },
      });
    const now = scheduleClockOf(engine.clock).now();
    const rec: ScheduleRecord = {
      namespace: req.namespace,
      scheduleId,
      schedule: compileSchedule(engine, req.schedule),
      memo: req.memo,
      searchAttributes: req.searchAttributes,
      createTimeMs: now,
      actionCount: 0,
      missedCatchupWindow: 0,
      overlapSkipped: 0,
      bufferDropped: 0,
      running: [],
      recent: [],
      buffer: [],
      lastProcessedMs: now,
      conflictToken: 1,
    };
    scheduler.records.set(key, rec);
    try {
      applyPatch(scheduler, rec, req.initialPatch);
    } catch (err) {
      scheduler.records.delete(key);
      throw err;
    }
    scheduler.process(rec);
    return { conflictToken: token(rec.conflictToken) };
  },

  DescribeSchedule(engine: Engine, req: Record<string, any>): object {
    const { scheduler, rec } = find(engine, req);
    return {
      schedule: { ...rec.schedule, state: { ...rec.schedule.state } },
      info: {
        actionCount: rec.actionCount,
        missedCatchupWindow: rec.missedCatchupWindow,
        overlapSkipped: rec.overlapSkipped,
        bufferDropped: rec.bufferDropped,
        bufferSize: rec.buffer.length,
        runningWorkflows: rec.running.map((w) => ({ workflowId: w.workflowId, runId: w.runId })),
        recentActions: recentActions(rec),
        futureActionTimes: futureTimes(scheduler, rec),
        createTime: ts(rec.createTimeMs),
        updateTime: rec.updateTimeMs ? ts(rec.updateTimeMs) : undefined,
      },
      memo: rec.memo,
      searchAttributes: rec.searchAttributes,
      conflictToken: token(rec.conflictToken),
    };
  },

  UpdateSchedule(engine: Engine, req: Record<string, any>): object {
    const { scheduler, rec } = find(engine, req);
    if (req.conflictToken && req.conflictToken !== token(rec.conflictToken))
      throw failedPrecondition('`conflictToken` does not match: the schedule was changed since it was described. Describe it again and retry.');
    const schedule = compileSchedule(engine, req.schedule);
    // Times due under the old spec are taken before the new one applies.
    scheduler.process(rec);
    rec.schedule = schedule;
    if (req.memo) rec.memo = req.memo;
    if (req.searchAttributes) rec.searchAttributes = req.searchAttributes;
    rec.updateTimeMs = scheduleClockOf(engine.clock).now();
    rec.lastProcessedMs = Math.max(rec.lastProcessedMs, rec.updateTimeMs);
    rec.conflictToken++;
    scheduler.specChanged(rec);
    scheduler.process(rec);
    return {};
  },

  PatchSchedule(engine: Engine, req: Record<string, any>): object {
    const { scheduler, rec } = find(engine, req);
    applyPatch(scheduler, rec, req.patch);
    rec.updateTimeMs = scheduleClockOf(engine.clock).now();
    scheduler.process(rec);
    return {};
  },

  DeleteSchedule(engine: Engine, req: Record<string, any>): object {
    const { scheduler, rec } = find(engine, req);
    scheduler.forget(rec);
    return {};
  },

  ListSchedules(engine: Engine, req: Record<string, any>): object {
    const { scheduler, matching } = select(engine, req);
    const all = matching.sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : 0));
    const offset = req.nextPageToken ? Number(Buffer.from(req.nextPageToken, 'base64').toString()) || 0 : 0;
    const size = req.maximumPageSize > 0 ? Math.min(req.maximumPageSize, 1000) : 1000;
    const page = all.slice(offset, offset + size);
    return {
      schedules: page.map((rec) => ({
        scheduleId: rec.scheduleId,
        memo: rec.memo,
        searchAttributes: rec.searchAttributes,
        info: {
          spec: rec.schedule.spec,
          workflowType: rec.schedule.action?.startWorkflow?.workflowType,
          notes: rec.schedule.state?.notes,
          paused: rec.schedule.state?.paused,
          recentActions: recentActions(rec, 1),
          futureActionTimes: futureTimes(scheduler, rec).slice(0, 5),
        },
      })),
      nextPageToken: offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64') : undefined,
    };
  },

  /** The number of the namespace's schedules that `query` matches (the ListSchedules filters); no GROUP BY. */
  CountSchedules(engine: Engine, req: Record<string, any>): object {
    return { count: select(engine, req).matching.length };
  },

  ListScheduleMatchingTimes(engine: Engine, req: Record<string, any>): object {
    const { scheduler, rec } = find(engine, req);
    const from = tsMs(req.startTime);
    const to = tsMs(req.endTime);
    if (from === undefined || to === undefined) throw invalidArgument('`startTime` and `endTime` are required.');
    if (to < from) throw invalidArgument('`endTime` is before `startTime`.');
    return {
      startTime: scheduler
        .spec(rec)
        .between(from, to)
        .map((t) => ts(t)),
    };
  },
};

/** The namespace's schedules that the request's `query` matches. */
function select(engine: Engine, req: Record<string, any>): { scheduler: Scheduler; matching: ScheduleRecord[] } {
  engine.namespace(req.namespace);
  const scheduler = schedulerOf(engine);
  const match = scheduleQuery(req.query);
  return { scheduler, matching: [...scheduler.records.values()].filter((r) => r.namespace === req.namespace && match(r)) };
}

/**
 * The list and count query: empty, or `ScheduleId = "…"` / `TemporalSchedulePaused = true|false`
 * joined with AND (the dev server has no schedule visibility store beyond these).
 */
function scheduleQuery(query: string | undefined): (r: ScheduleRecord) => boolean {
  if (!query || !query.trim()) return () => true;
  const tests: Array<(r: ScheduleRecord) => boolean> = [];
  for (const clause of query.split(/\s+AND\s+/i)) {
    const m = /^\s*(ScheduleId|TemporalSchedulePaused)\s*=\s*(?:"([^"]*)"|'([^']*)'|(true|false))\s*$/i.exec(clause);
    if (!m)
      throw invalidArgument(
        `\`query\` "${echo(query)}": the dev server filters schedules by \`ScheduleId = "id"\` and \`TemporalSchedulePaused = true|false\` only.`,
      );
    const value = m[2] ?? m[3] ?? m[4];
    if (m[1]!.toLowerCase() === 'scheduleid') tests.push((r) => r.scheduleId === value);
    else tests.push((r) => Boolean(r.schedule.state?.paused) === (value === 'true'));
  }
  return (r) => tests.every((t) => t(r));
}
