/** A schedule as the dev server keeps it (one JSON row per schedule), and its defaults. */
import { temporal } from '../../common/proto';

export const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;

/** Temporal's default catch-up window: one year. */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;
/** Temporal's smallest catch-up window: shorter ones are raised to this. */
export const MIN_CATCHUP_WINDOW_MS = 10_000;
/** Recent actions kept and future action times shown, as Temporal Server does. */
export const RECENT_ACTIONS_KEPT = 10;
export const FUTURE_ACTION_TIMES = 10;

export interface BufferedStart {
  nominalMs: number;
  actualMs: number;
  /** ScheduleOverlapPolicy; 0 means the schedule's. */
  overlap: number;
  /** Triggered or backfilled: taken even when paused and not counted against remainingActions. */
  manual: boolean;
}

export interface ActionResult {
  scheduleTimeMs: number;
  actualTimeMs: number;
  workflowId: string;
  runId: string;
  status: number;
}

export interface ScheduleRecord {
  namespace: string;
  scheduleId: string;
  /** JSON form of temporal.api.schedule.v1.Schedule: spec canonical, policies and state filled. */
  schedule: Record<string, any>;
  memo?: Record<string, any>;
  searchAttributes?: Record<string, any>;
  createTimeMs: number;
  updateTimeMs?: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  running: Array<{ workflowId: string; runId: string }>;
  recent: ActionResult[];
  buffer: BufferedStart[];
  /** Nominal times up to this have been handled (started, buffered, skipped or missed). */
  lastProcessedMs: number;
  conflictToken: number;
}

export const recordKey = (namespace: string, scheduleId: string) => `${namespace}\u0000${scheduleId}`;
