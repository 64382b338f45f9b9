/**
 * What the worker (host) and the workflow runtime (inside the vm sandbox) exchange.
 * Types only: both sides compile against them, nothing here runs.
 *
 * The host turns history into activations; the runtime runs workflow code and answers
 * with Temporal API commands (`temporal.api.command.v1.Command` as plain objects, bytes
 * as Uint8Array), each tagged with the sequence number the host uses to route the
 * matching history events back as jobs.
 */
import type { temporal } from '@temporalio/proto';

export type Payload = temporal.api.common.v1.IPayload;
export type Failure = temporal.api.failure.v1.IFailure;

export interface StartJob {
  type: 'start';
  workflowType: string;
  args: Payload[];
  headers: Record<string, Payload>;
  info: WorkflowInfoInit;
  randomnessSeed: number;
}

export interface WorkflowInfoInit {
  workflowId: string;
  runId: string;
  workflowType: string;
  namespace: string;
  taskQueue: string;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  originalExecutionRunId: string;
  attempt: number;
  startTimeMs: number;
  runStartTimeMs: number;
  executionTimeoutMs?: number;
  runTimeoutMs?: number;
  taskTimeoutMs: number;
  executionExpirationTimeMs?: number;
  parent?: { workflowId: string; runId: string; namespace: string };
  root?: { workflowId: string; runId: string };
  memo?: Record<string, Payload>;
  searchAttributes?: Record<string, Payload>;
  lastResult?: Payload[];
  lastFailure?: Failure;
  retryPolicy?: Record<string, unknown>;
  cronSchedule?: string;
}

export type ResolutionResult = { completed: Payload | undefined } | { failed: Failure } | { cancelled: Failure };

export type Job =
  | StartJob
  | { type: 'fireTimer'; seq: number }
  | { type: 'resolveActivity'; seq: number; result: ResolutionResult }
  | { type: 'signal'; signalName: string; args: Payload[]; headers: Record<string, Payload> }
  | { type: 'query'; queryId: string; queryType: string; args: Payload[] }
  | { type: 'cancelWorkflow'; reason?: string }
  | { type: 'resolveChildStart'; seq: number; runId?: string; failedCause?: 'alreadyExists' | 'namespaceNotFound' | 'unknown' }
  | { type: 'resolveChild'; seq: number; result: ResolutionResult }
  | { type: 'resolveSignalExternal'; seq: number; failure?: Failure }
  | { type: 'resolveCancelExternal'; seq: number; failure?: Failure }
  | { type: 'notifyHasPatch'; patchId: string }
  | DoUpdateJob
  | { type: 'resolveLocalActivity'; seq: number; result: ResolutionResult | { backoff: LocalActivityBackoff } };

/**
 * A local activity whose next retry waits longer than its `localRetryThreshold`: the
 * workflow starts a durable timer of `backoffMs`, then schedules the activity again
 * (a new sequence number) from `attempt`, keeping `originalScheduleTimeMs`.
 */
export interface LocalActivityBackoff {
  /** The attempt to run after the timer (the failed attempt + 1). */
  attempt: number;
  backoffMs: number;
  originalScheduleTimeMs?: number;
}

/** An update for the workflow: a new request (validator runs) or, replaying, an accepted one (it does not). */
export interface DoUpdateJob {
  type: 'doUpdate';
  updateId: string;
  protocolInstanceId: string;
  name: string;
  args: Payload[];
  headers: Record<string, Payload>;
  runValidator: boolean;
}

/** The workflow's answer to an update, in order; the host turns it into a protocol message. */
export interface UpdateMessage {
  protocolInstanceId: string;
  /** The message id; accept and complete also appear as a PROTOCOL_MESSAGE command with this id. */
  messageId: string;
  accepted?: true;
  rejected?: Failure;
  completed?: { result?: Payload; failure?: Failure };
}

export interface Activation {
  /** Workflow time for this activation (the WorkflowTaskStarted event's time). */
  timestampMs: number;
  isReplaying: boolean;
  historyLength: number;
  historySizeBytes: number;
  continueAsNewSuggested: boolean;
  jobs: Job[];
}

/** Which kind of history event answers a command, for routing results back. */
export type SeqKind = 'timer' | 'activity' | 'child' | 'signalExternal' | 'cancelExternal' | 'localActivity';

/** A local activity the workflow asked for: the worker runs it and records a marker. Not a server command. */
export interface LocalActivityRequest {
  seq: number;
  activityId: string;
  activityType: string;
  args: Payload[];
  headers: Record<string, Payload>;
  startToCloseTimeoutMs?: number;
  scheduleToCloseTimeoutMs?: number;
  retry?: LocalRetryPolicy;
  /** The first attempt to run: 1, or the attempt after a backoff timer. */
  attempt: number;
  /** When the first attempt was scheduled (ms since the epoch), carried across backoff timers; unset on the first schedule. */
  originalScheduleTimeMs?: number;
  /** Retries whose backoff is longer than this go through a durable timer in the workflow. */
  localRetryThresholdMs: number;
}

/** A retry policy with durations in milliseconds. */
export interface LocalRetryPolicy {
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maximumIntervalMs?: number;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

export interface TaggedCommand {
  /** A `temporal.api.command.v1.Command` as a plain object (for a local activity, `{ localActivity }`). */
  command: Record<string, any>;
  kind?: SeqKind;
  seq?: number;
}

export interface QueryResult {
  queryId: string;
  answer?: Payload;
  failure?: Failure;
}

export interface ActivationCompletion {
  commands: TaggedCommand[];
  queryResults: QueryResult[];
  /** Update acceptances, rejections and responses of this activation, in order. */
  updateMessages?: UpdateMessage[];
  /** Set when workflow code failed the task (a non-Temporal error, or a runtime error). */
  taskFailure?: Failure;
  /** Calls workflow code made to sinks during the activation, for the worker to run after it. */
  sinkCalls?: SinkCall[];
}

/**
 * One call of workflow code to a sink (`proxySinks()`), buffered in the sandbox and run by
 * the worker after the activation (so workflow code never waits on I/O). Its arguments
 * cross to the worker as data (structured clone when the sandbox runs in a thread).
 */
export interface SinkCall {
  ifaceName: string;
  fnName: string;
  args: unknown[];
  /** Whether the call was made while the run replayed history. */
  isReplaying: boolean;
  /** The run's `workflowInfo()` when the call was made (`unsafe.now` left out). */
  info: Record<string, unknown>;
}

/** What `globalThis.__bastion` offers the host inside each sandbox, for one run. */
export interface SandboxRuntime {
  /** Makes this run the current one; the host calls it before every call when runs share a context. */
  enter?(): void;
  activate(activation: Activation): void;
  /** Re-checks `condition()`s after microtasks ran; true if any fired (call again). */
  tryUnblockConditions(): boolean;
  concludeActivation(): ActivationCompletion;
}
