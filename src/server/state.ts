/**
 * The dev server's mutable state of one workflow run. Everything here is plain JSON
 * (wire values in JSON form, see json-proto.ts) so a store can persist it as text; the
 * history is kept beside it, event by event.
 */
import type { NewEvent } from './json-proto';

export interface WorkflowTaskState {
  scheduledEventId: number;
  /** Set once a poller took the task. */
  startedEventId?: number;
  attempt: number;
  /** Queue the task is on now (the sticky queue, or the normal one). */
  taskQueue: string;
  sticky: boolean;
  scheduledTimeMs: number;
  startedTimeMs?: number;
  /** When a sticky task not yet started moves to the normal queue. */
  stickyDeadlineMs?: number;
  /** Not before this time (backoff of repeated failures). */
  notBeforeMs?: number;
  identity?: string;
  requestId?: string;
}

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  attempt: number;
  /** Time of the first attempt's schedule (for schedule-to-close). */
  firstScheduledTimeMs: number;
  /** Time the current attempt was scheduled (after any retry backoff). */
  scheduledTimeMs: number;
  /** Set while waiting out a retry backoff. */
  retryAtMs?: number;
  startedTimeMs?: number;
  lastHeartbeatTimeMs?: number;
  startedIdentity?: string;
  startedRequestId?: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: JsonRetryPolicy;
  heartbeatDetails?: object;
  lastFailure?: Record<string, any>;
  lastWorkerIdentity?: string;
  cancelRequested: boolean;
  cancelRequestedEventId?: number;
}

export interface JsonRetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export interface TimerState {
  timerId: string;
  startedEventId: number;
  fireAtMs: number;
}

export interface ChildState {
  initiatedEventId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  runId?: string;
  startedEventId?: number;
  parentClosePolicy: number;
}

export interface ParentRef {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

export interface ExecutionState {
  namespace: string;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  status: number;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs?: number;
  closeEventId?: number;
  startRequestId: string;
  workflowTaskTimeoutMs: number;
  /** StartWorkflowExecution's `cronSchedule`: each closing run starts the next at the next cron time. */
  cronSchedule?: string;
  executionTimeoutMs: number;
  runTimeoutMs: number;
  /** Absolute deadline of the whole chain of runs (0 = none). */
  executionDeadlineMs: number;
  /** Absolute deadline of this run (0 = none). */
  runDeadlineMs: number;
  memo?: Record<string, any>;
  searchAttributes?: Record<string, any>;
  parent?: ParentRef;
  attempt: number;
  retryPolicy?: JsonRetryPolicy;
  nextEventId: number;
  /** `startedEventId` of the last completed workflow task (0 = none). */
  lastCompletedStartedEventId: number;
  wft?: WorkflowTaskState;
  /** Why the last workflow task failed, while the next attempt has not completed (for queries and describe). */
  lastWorkflowTaskFailure?: string;
  /** Events that arrived while a workflow task was running; written after it completes. */
  buffered: Array<NewEvent>;
  sticky?: { queue: string; scheduleToStartMs: number };
  activities: Record<string, ActivityState>;
  timers: Record<string, TimerState>;
  children: Record<string, ChildState>;
  cancelRequested: boolean;
  /** Recent signal request ids, for dedupe. */
  signalRequestIds: string[];
  newExecutionRunId?: string;
  historySizeBytes: number;
  /** Workflow updates by id (see update-registry.ts); absent until the first update. */
  updates?: Record<string, import('./update-registry').UpdateRecord>;
}

export const RUNNING = 1;

export function isOpen(e: ExecutionState): boolean {
  return e.status === RUNNING;
}
