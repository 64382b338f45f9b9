/**
 * Local activities on the host side of a run: the ones the workflow waits on (running on
 * this worker, or — replaying — waiting for their markers), and the `core_local_activity`
 * marker in the official SDK's format, which records each outcome in history.
 *
 * A marker records one schedule of the activity: its last attempt's result or failure,
 * that attempt's number, when the first attempt was scheduled, and — when the next retry
 * waits on a durable timer in the workflow — the backoff. Replay reads the same fields
 * back, so a backoff recorded by either SDK resolves the workflow's call the same way.
 */
import type { Failure, Job, LocalActivityBackoff, LocalActivityRequest, Payload, ResolutionResult } from '../common/activation-protocol';
import { EV, attrsOf, num, type HistoryEvent } from './history-events';

export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
/** The longest delay `setTimeout` takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a local activity ended, as the worker ran it (or as its marker recorded). */
export interface LocalActivityOutcome {
  result?: Payload;
  failure?: Failure;
  /** The last attempt run. */
  attempt: number;
  completeTimeMs: number;
  originalScheduleTimeMs: number;
  /** Set when the next attempt waits on a durable timer of this length in the workflow. */
  backoffMs?: number;
}

/** The run a local activity belongs to (its `Context.info`, log fields and trace attributes). */
export interface LocalActivityRun {
  workflowId: string;
  runId: string;
  workflowType: string;
}

/**
 * Runs a local activity (worker side); never rejects for the activity's own failure.
 * `signal` aborts when the run leaves the worker: no further attempt starts then.
 */
export type LocalActivityExecutor = (request: LocalActivityRequest, run: LocalActivityRun, signal: AbortSignal) => Promise<LocalActivityOutcome>;

/** A view of history events after a task's WorkflowTaskCompleted, up to the next task. */
export interface Lookahead {
  events: HistoryEvent[];
  from: number;
}

interface Pending {
  request: LocalActivityRequest;
  /** Set while it runs on this worker. */
  running?: Promise<void>;
  outcome?: LocalActivityOutcome;
  error?: unknown;
}

/** The local activities of one run that the workflow still waits on, in request order. */
export class PendingLocalActivities {
  private readonly pending = new Map<number, Pending>();
  private readonly abort = new AbortController();

  constructor(
    private readonly execute: LocalActivityExecutor,
    private readonly run: () => LocalActivityRun,
  ) {}

  /** Takes new requests of the workflow: runs them, or — replaying — keeps them until their markers are read. */
  add(requests: LocalActivityRequest[], replaying: boolean): void {
    for (const request of requests) {
      const p: Pending = { request };
      this.pending.set(request.seq, p);
      if (!replaying) this.start(p);
    }
  }

  /**
   * Not replaying any more: runs those that waited for a marker history does not have
   * (the worker that ran them stopped before recording one), as Core does.
   */
  runUnrecorded(): void {
    for (const p of this.pending.values()) if (!p.running && !p.outcome && p.error === undefined) this.start(p);
  }

  /** Replaying: the outcomes that `lookahead`'s marker events recorded. */
  readMarkers(lookahead: Lookahead | undefined): void {
    if (!lookahead) return;
    for (let j = lookahead.from; j < lookahead.events.length; j++) {
      const e = lookahead.events[j]!;
      const t = num(e.eventType);
      if (t === EV.WORKFLOW_TASK_SCHEDULED || t === EV.WORKFLOW_TASK_STARTED) break;
      if (t !== EV.MARKER_RECORDED) continue;
      const a = attrsOf(e);
      const data = localActivityMarkerData(a);
      const p = data && this.pending.get(data.seq);
      if (p && !p.outcome) p.outcome = outcomeFromMarker(a, data);
    }
  }

  /**
   * The finished ones, in request order, no longer pending.
   * @throws what the executor threw (a host error, not the activity's failure)
   */
  takeFinished(): Array<{ request: LocalActivityRequest; outcome: LocalActivityOutcome }> {
    const out: Array<{ request: LocalActivityRequest; outcome: LocalActivityOutcome }> = [];
    for (const [seq, p] of this.pending) {
      if (p.error !== undefined) throw p.error;
      if (!p.outcome) continue;
      this.pending.delete(seq);
      out.push({ request: p.request, outcome: p.outcome });
    }
    return out;
  }

  /** Whether the workflow waits on none. */
  get empty(): boolean {
    return this.pending.size === 0;
  }

  /** Whether any runs on this worker now. */
  get running(): boolean {
    for (const p of this.pending.values()) if (p.running) return true;
    return false;
  }

  /** Resolves true when one running activity finishes, false at `deadlineMs` (epoch ms) if none did by then. */
  async waitAny(deadlineMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      if (Number.isFinite(deadlineMs)) timer = setTimeout(() => resolve(false), Math.min(Math.max(0, deadlineMs - Date.now()), MAX_TIMER_MS));
    });
    try {
      const running = [...this.pending.values()].flatMap((p) => (p.running ? [p.running.then(() => true as const)] : []));
      return await Promise.race([...running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A marker resolved it outside the lookahead (recorded in a later task). */
  forget(seq: number): void {
    this.pending.delete(seq);
  }

  /** The run left the worker: no further attempt starts. */
  dispose(): void {
    this.abort.abort();
  }

  private start(p: Pending): void {
    p.running = this.execute(p.request, this.run(), this.abort.signal).then(
      (outcome) => {
        p.outcome = outcome;
        p.running = undefined;
      },
      (err) => {
        p.error = err ?? new Error('local activity executor failed');
        p.running = undefined;
      },
    );
  }
}

interface LocalActivityMarkerData {
  seq: number;
  attempt: number;
  activity_id: string;
  activity_type: string;
  complete_time?: ProtoTime | null;
  backoff?: ProtoTime | null;
  original_schedule_time?: ProtoTime | null;
}

interface ProtoTime {
  seconds?: number | string;
  nanos?: number;
}

const toProtoTime = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1e6) });
const fromProtoTime = (t: ProtoTime | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined);

/** The bookkeeping of a `core_local_activity` marker (undefined for any other marker). */
export function localActivityMarkerData(a: Record<string, any>): LocalActivityMarkerData | undefined {
  if (a.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const p = a.details?.data?.payloads?.[0];
  if (!p?.data) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(p.data));
  } catch {
    return undefined;
  }
}

/** What a recorded marker says about its local activity. */
export function outcomeFromMarker(a: Record<string, any>, data: LocalActivityMarkerData): LocalActivityOutcome {
  return {
    result: a.details?.result?.payloads?.[0],
    failure: a.failure ?? undefined,
    attempt: data.attempt,
    completeTimeMs: fromProtoTime(data.complete_time) ?? 0,
    originalScheduleTimeMs: fromProtoTime(data.original_schedule_time) ?? 0,
    backoffMs: fromProtoTime(data.backoff),
  };
}

/** The job that resolves a recorded marker's local activity in the workflow. */
export function resolveFromMarker(a: Record<string, any>, data: LocalActivityMarkerData): Job {
  const request = { activityType: data.activity_type, activityId: data.activity_id } as LocalActivityRequest;
  return { type: 'resolveLocalActivity', seq: data.seq, result: localActivityResult(request, outcomeFromMarker(a, data)) };
}

const jsonPayload = (value: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});

/** The RecordMarker command of a local activity's outcome, in the official SDK's format. */
export function localActivityMarker(r: LocalActivityRequest, o: LocalActivityOutcome): Record<string, any> {
  const details: Record<string, unknown> = {
    data: {
      payloads: [
        jsonPayload({
          seq: r.seq,
          attempt: o.attempt,
          activity_id: r.activityId,
          activity_type: r.activityType,
          complete_time: toProtoTime(o.completeTimeMs),
          backoff: o.backoffMs === undefined ? null : toProtoTime(o.backoffMs),
          original_schedule_time: toProtoTime(o.originalScheduleTimeMs),
        }),
      ],
    },
  };
  if (o.result) details.result = { payloads: [o.result] };
  return { commandType: 9, recordMarkerCommandAttributes: { markerName: LOCAL_ACTIVITY_MARKER, details, failure: o.failure } };
}

/** How the workflow's call settles: the result, the failure as an ActivityFailure, or a backoff timer to wait on. */
export function localActivityResult(r: LocalActivityRequest, o: LocalActivityOutcome): ResolutionResult | { backoff: LocalActivityBackoff } {
  if (o.backoffMs !== undefined) {
    return { backoff: { attempt: o.attempt + 1, backoffMs: o.backoffMs, originalScheduleTimeMs: o.originalScheduleTimeMs || undefined } };
  }
  if (!o.failure) return { completed: o.result };
  return {
    failed: {
      message: 'Local Activity task failed',
      cause: o.failure,
      activityFailureInfo: { activityType: { name: r.activityType }, activityId: r.activityId },
    } as Failure,
  };
}
