/**
 * The worker's SDK metrics with Core's names and labels, bound to one worker's
 * `namespace` and `task_queue`. Each method returns at once when metrics are off.
 */
import type { MetricsRecorder } from './recorder';

/** Core's `poller_type` values. */
const POLLER_TYPE = { workflow: 'workflow_task', sticky: 'sticky_workflow_task', activity: 'activity_task' } as const;

/** How a workflow run ended, as Core's counters name it. */
export type WorkflowOutcome = 'completed' | 'failed' | 'canceled' | 'continue_as_new';

const OUTCOME_METRIC = {
  completed: 'workflow_completed',
  failed: 'workflow_failed',
  canceled: 'workflow_canceled',
  continue_as_new: 'workflow_continue_as_new',
} as const;

export class WorkerMetrics {
  private readonly base: Readonly<{ namespace: string; task_queue: string }>;

  constructor(
    readonly recorder: MetricsRecorder,
    namespace: string,
    taskQueue: string,
  ) {
    this.base = Object.freeze({ namespace, task_queue: taskQueue });
  }

  get enabled(): boolean {
    return this.recorder.enabled;
  }

  workerStarted(): void {
    if (this.recorder.enabled) this.recorder.count('worker_start', this.base);
  }

  /** A poll returned: with a task or empty (long-poll timeout). An activity task is counted by {@link activityTaskReceived}. */
  polled(kind: 'workflow' | 'sticky' | 'activity', gotTask: boolean): void {
    if (!this.recorder.enabled) return;
    if (kind === 'activity') {
      if (!gotTask) this.recorder.count('activity_poll_no_task', this.base);
    } else this.recorder.count(gotTask ? 'workflow_task_queue_poll_succeed' : 'workflow_task_queue_poll_empty', this.base);
  }

  /** An activity task arrived, from a poll or eagerly with a workflow task's completion (Core's labels). */
  activityTaskReceived(task: { activityType?: { name?: string | null } | null; workflowType?: { name?: string | null } | null }, eager: boolean): void {
    if (!this.recorder.enabled) return;
    this.recorder.count('activity_task_received', {
      ...this.base,
      workflow_type: task.workflowType?.name ?? '',
      activity_type: task.activityType?.name ?? '',
      eager: String(eager),
    });
  }

  pollers(kind: 'workflow' | 'sticky' | 'activity', count: number): void {
    if (this.recorder.enabled) this.recorder.gauge('num_pollers', { ...this.base, poller_type: POLLER_TYPE[kind] }, count);
  }

  slots(workerType: 'WorkflowWorker' | 'ActivityWorker', used: number, size: number): void {
    if (!this.recorder.enabled) return;
    const labels = { ...this.base, worker_type: workerType };
    this.recorder.gauge('worker_task_slots_used', labels, used);
    this.recorder.gauge('worker_task_slots_available', labels, size - used);
  }

  /** A workflow task found its run cached (a hit, labelled with the run's type as Core's are) or had to replay (a miss). */
  stickyCacheLookup(hit: boolean, workflowType: string): void {
    if (!this.recorder.enabled) return;
    if (hit) this.recorder.count('sticky_cache_hit', { ...this.base, workflow_type: workflowType });
    else this.recorder.count('sticky_cache_miss', this.base);
  }

  stickyCacheSize(size: number): void {
    if (this.recorder.enabled) this.recorder.gauge('sticky_cache_size', this.base, size);
  }

  stickyCacheForcedEviction(): void {
    if (this.recorder.enabled) this.recorder.count('sticky_cache_total_forced_eviction', this.base);
  }

  workflowTaskScheduleToStart(ms: number | undefined): void {
    if (this.recorder.enabled && ms !== undefined && ms >= 0) this.recorder.durationMs('workflow_task_schedule_to_start_latency', this.base, ms);
  }

  /** A workflow task's processing time; `replay` for the part spent replaying history into a fresh sandbox. */
  workflowTaskLatency(workflowType: string, ms: number, replay: boolean): void {
    if (!this.recorder.enabled) return;
    this.recorder.durationMs(replay ? 'workflow_task_replay_latency' : 'workflow_task_execution_latency', { ...this.base, workflow_type: workflowType }, ms);
  }

  workflowTaskFailed(workflowType: string, nondeterminism: boolean): void {
    if (!this.recorder.enabled) return;
    this.recorder.count('workflow_task_execution_failed', {
      ...this.base,
      workflow_type: workflowType,
      failure_reason: nondeterminism ? 'NonDeterminismError' : 'WorkflowError',
    });
  }

  workflowClosed(workflowType: string, outcome: WorkflowOutcome, endToEndMs: number | undefined): void {
    if (!this.recorder.enabled) return;
    const labels = { ...this.base, workflow_type: workflowType };
    this.recorder.count(OUTCOME_METRIC[outcome], labels);
    if (endToEndMs !== undefined && endToEndMs >= 0) this.recorder.durationMs('workflow_endtoend_latency', labels, endToEndMs);
  }

  activityScheduleToStart(ms: number | undefined): void {
    if (this.recorder.enabled && ms !== undefined && ms >= 0) this.recorder.durationMs('activity_schedule_to_start_latency', this.base, ms);
  }

  /** An activity attempt ended: its execution time, and the outcome it was reported with. */
  activityEnded(
    workflowType: string,
    activityType: string,
    outcome: 'completed' | 'failed' | 'cancelled',
    executionMs: number,
    scheduledToEndMs: number | undefined,
  ): void {
    if (!this.recorder.enabled) return;
    const labels = { ...this.base, workflow_type: workflowType, activity_type: activityType };
    this.recorder.durationMs('activity_execution_latency', labels, executionMs);
    if (outcome === 'completed' && scheduledToEndMs !== undefined && scheduledToEndMs >= 0)
      this.recorder.durationMs('activity_succeed_endtoend_latency', labels, scheduledToEndMs);
    else if (outcome === 'failed') this.recorder.count('activity_execution_failed', { ...labels, failure_reason: 'ActivityError' });
    else if (outcome === 'cancelled') this.recorder.count('activity_execution_cancelled', labels);
  }
}
