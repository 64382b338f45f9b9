/**
 * Every metric Bastion emits: name, type, unit, labels and help, in one table that the
 * Prometheus and OpenTelemetry backends and docs/observability.md are built from.
 *
 * The SDK metrics keep the names, label keys and units of Temporal's Core SDK (the
 * `temporal_` prefix is added by the backends), so dashboards built on the SDK metrics
 * reference work unchanged. Histograms of durations are recorded in milliseconds and
 * exported in milliseconds, or in seconds with `useSecondsForDurations` (Core's option),
 * with Core's default buckets for each.
 */

/** `counter` only goes up; `gauge` is a value now; `histogram` is a distribution of durations. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One row of {@link METRIC_DEFINITIONS}. */
export interface MetricDefinition {
  readonly type: MetricType;
  /** `duration` for histograms of durations (ms or s on export), `seconds` for Unix-time gauges, '' for counts. */
  readonly unit: '' | 'duration' | 'seconds';
  /** Label keys, besides the global tags. Never a workflow id or run id (unbounded cardinality). */
  readonly labels: readonly string[];
  readonly help: string;
  /** Whether the name takes the `temporal_` prefix (Temporal's SDK metrics) or stays as is (x509 exporter's names, `bastion_`). */
  readonly prefixed: boolean;
  /** Core's millisecond buckets for a duration histogram. */
  readonly bucketsMs?: readonly number[];
}

const NS_TQ = ['namespace', 'task_queue'] as const;
const WF = ['namespace', 'task_queue', 'workflow_type'] as const;
const ACT = ['namespace', 'task_queue', 'workflow_type', 'activity_type'] as const;
const RPC = ['namespace', 'operation', 'task_queue'] as const;
const RPC_FAIL = [...RPC, 'status_code'] as const;
const CERT = ['role', 'subject_CN', 'issuer_CN', 'serial_number'] as const;

/** Core's default buckets, in milliseconds (`DEFAULT_MS_BUCKETS`). */
export const DEFAULT_BUCKETS_MS = [50, 100, 500, 1000, 2500, 10_000] as const;
/** Core's buckets for workflow task execution and replay latencies. */
export const WORKFLOW_TASK_BUCKETS_MS = [1, 10, 20, 50, 100, 200, 500, 1000] as const;
/** Core's buckets for activity execution latency. */
export const ACTIVITY_EXECUTION_BUCKETS_MS = [50, 100, 500, 1000, 5000, 10_000, 60_000] as const;
/** Core's buckets for schedule-to-start latencies. */
export const SCHEDULE_TO_START_BUCKETS_MS = [100, 500, 1000, 5000, 10_000, 100_000, 1_000_000] as const;
/** Core's buckets for workflow end-to-end latency (100 ms to 24 h). */
export const WORKFLOW_E2E_BUCKETS_MS = [
  100, 500, 1000, 1500, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 30_600_000, 86_400_000,
] as const;

function counter(labels: readonly string[], help: string, prefixed = true): MetricDefinition {
  return { type: 'counter', unit: '', labels, help, prefixed };
}
function gauge(labels: readonly string[], help: string, prefixed = true, unit: '' | 'seconds' = ''): MetricDefinition {
  return { type: 'gauge', unit, labels, help, prefixed };
}
function histogram(labels: readonly string[], help: string, bucketsMs: readonly number[] = DEFAULT_BUCKETS_MS, prefixed = true): MetricDefinition {
  return { type: 'histogram', unit: 'duration', labels, help, prefixed, bucketsMs };
}

/** Every metric, by its name without prefix. */
export const METRIC_DEFINITIONS = {
  // Client: every RPC, as Core's client counts them (long polls apart).
  request: counter(RPC, 'Count of client request successes by rpc name'),
  request_failure: counter(RPC_FAIL, 'Count of client request failures by rpc name'),
  request_latency: histogram(RPC, 'Histogram of client request latencies'),
  long_request: counter(RPC, 'Count of long-poll request successes by rpc name'),
  long_request_failure: counter(RPC_FAIL, 'Count of long-poll request failures by rpc name'),
  long_request_latency: histogram(RPC, 'Histogram of client long-poll request latencies'),
  // Workflows.
  workflow_completed: counter(WF, 'Count of successfully completed workflows'),
  workflow_failed: counter(WF, 'Count of failed workflows'),
  workflow_canceled: counter(WF, 'Count of canceled workflows'),
  workflow_continue_as_new: counter(WF, 'Count of continued-as-new workflows'),
  workflow_endtoend_latency: histogram(WF, 'Histogram of total workflow execution latencies', WORKFLOW_E2E_BUCKETS_MS),
  workflow_task_queue_poll_succeed: counter(NS_TQ, 'Count of workflow task queue poll successes'),
  workflow_task_queue_poll_empty: counter(NS_TQ, 'Count of workflow task queue poll timeouts (no new task)'),
  workflow_task_schedule_to_start_latency: histogram(NS_TQ, 'Histogram of workflow task schedule-to-start latencies', SCHEDULE_TO_START_BUCKETS_MS),
  workflow_task_execution_latency: histogram(WF, 'Histogram of workflow task execution (not replay) latencies', WORKFLOW_TASK_BUCKETS_MS),
  workflow_task_replay_latency: histogram(WF, 'Histogram of workflow task replay latencies', WORKFLOW_TASK_BUCKETS_MS),
  workflow_task_execution_failed: counter([...WF, 'failure_reason'], 'Count of workflow task execution failures'),
  // Activities.
  activity_poll_no_task: counter(NS_TQ, 'Count of activity task queue poll timeouts (no new task)'),
  activity_task_received: counter([...ACT, 'eager'], 'Count of activity task queue poll successes'),
  activity_schedule_to_start_latency: histogram(NS_TQ, 'Histogram of activity schedule-to-start latencies', SCHEDULE_TO_START_BUCKETS_MS),
  activity_execution_latency: histogram(ACT, 'Histogram of activity execution latencies', ACTIVITY_EXECUTION_BUCKETS_MS),
  activity_succeed_endtoend_latency: histogram(ACT, 'Histogram of activity execution latencies for successful activities'),
  activity_execution_failed: counter([...ACT, 'failure_reason'], 'Count of activity task execution failures'),
  activity_execution_cancelled: counter(ACT, 'Count of activity executions that ended cancelled'),
  // Worker: cache, slots, pollers.
  sticky_cache_hit: counter(WF, 'Count of times the workflow cache was used for a new workflow task'),
  sticky_cache_miss: counter(NS_TQ, 'Count of times the workflow cache was missing a workflow for a sticky task'),
  sticky_cache_size: gauge(NS_TQ, 'Current number of cached workflows'),
  sticky_cache_total_forced_eviction: counter(NS_TQ, 'Count of evictions of cached workflows'),
  worker_task_slots_available: gauge([...NS_TQ, 'worker_type'], 'Current number of available slots per task type'),
  worker_task_slots_used: gauge([...NS_TQ, 'worker_type'], 'Current number of used slots per task type'),
  num_pollers: gauge([...NS_TQ, 'poller_type'], 'Current number of active pollers per queue type'),
  worker_start: counter(NS_TQ, 'Count of the number of initialized workers'),
  // Connectivity: the x509-certificate-exporter's names, so its alert rules work unchanged.
  x509_cert_not_after: gauge(CERT, 'The date after which the certificate is no longer valid (Unix time, seconds)', false, 'seconds'),
  x509_cert_not_before: gauge(CERT, 'The date before which the certificate is not yet valid (Unix time, seconds)', false, 'seconds'),
  bastion_tls_rotations: counter(['outcome', 'reason'], 'Count of TLS rotations applied or refused (with the reason of a refusal)', false),
  bastion_tls_handshake_failures: counter(['cause'], "Count of calls that failed in the TLS handshake, by the doctor's name for the cause", false),
  bastion_codec_failures: counter(['operation', 'code', 'key_id'], 'Count of payload codec encode/decode failures by error code and the key id in use', false),
  // The dev server's own (bastion server start-dev --metrics-port).
  bastion_dev_server_requests: counter(['operation', 'status_code'], 'Count of WorkflowService calls the dev server answered, by method and status', false),
  bastion_dev_server_request_latency: histogram(
    ['operation'],
    'Histogram of the time the dev server took to answer a call (long polls included)',
    DEFAULT_BUCKETS_MS,
    false,
  ),
  bastion_dev_server_tasks_dispatched: counter(['namespace', 'task_queue', 'task_type'], 'Count of workflow and activity tasks handed to pollers', false),
  bastion_dev_server_task_backlog: gauge(['namespace', 'task_queue', 'task_type'], 'Tasks waiting for a poller, per task queue', false),
} as const satisfies Record<string, MetricDefinition>;

/** The name of a metric without prefix (`request`, `x509_cert_not_after`). */
export type MetricName = keyof typeof METRIC_DEFINITIONS;

/** Labels of one data point: label key to value. Unknown keys are dropped by the backends. */
export type MetricLabels = Readonly<Record<string, string>>;

/** The exported name: `temporal_` + name for the SDK metrics (with a custom `metricPrefix`), else the name. */
export function exportedName(name: MetricName, prefix = 'temporal_'): string {
  return METRIC_DEFINITIONS[name].prefixed ? `${prefix}${name}` : name;
}
