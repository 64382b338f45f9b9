/** The client-facing workflow RPCs: start, signal, signal-with-start, cancel, terminate, describe. */
import type { Engine } from './engine';
import { alreadyExists, invalidArgument, echo } from './service-error';
import { checkBlobSize, Enums, ms, requireId, Status, ts } from './common';
import { isOpen, type ExecutionState } from './state';
import { recordExternal, requestCancel, startRun, terminateRun } from './workflows';
import { makeEvent, EventType } from './history';
import { executionInfo } from './visibility';
import { cronBackoffMs } from './schedules/cron-workflows';

const Reuse = Enums.WorkflowIdReusePolicy;
const Conflict = Enums.WorkflowIdConflictPolicy;

function alreadyStarted(exec: ExecutionState) {
  return alreadyExists(`Workflow execution is already running. WorkflowId: ${echo(exec.workflowId)}, RunId: ${exec.runId}.`, {
    typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    value: { startRequestId: exec.startRequestId, runId: exec.runId },
  });
}

function validateStart(engine: Engine, req: Record<string, any>): void {
  engine.namespace(req.namespace);
  requireId(req.workflowId, 'workflowId');
  requireId(req.workflowType?.name, 'workflowType.name');
  requireId(req.taskQueue?.name, 'taskQueue.name');
  if (req.cronSchedule) cronBackoffMs(req.cronSchedule, Date.now());
  for (const f of ['workflowExecutionTimeout', 'workflowRunTimeout', 'workflowTaskTimeout']) {
    if (req[f] && ms(req[f]) < 0) throw invalidArgument(`\`${f}\` must not be negative.`);
  }
  checkBlobSize(engine.blobSizeLimitBytes, 'input', req.input);
}

/**
 * Applies the id reuse and conflict policies. Returns the run to answer with when no
 * new run must start (dedupe by request id, or USE_EXISTING).
 */
function resolveExisting(engine: Engine, req: Record<string, any>): { existing?: ExecutionState; useExisting?: boolean } {
  const current = engine.findRun(req.namespace, req.workflowId);
  if (!current) return {};
  if (req.requestId && current.startRequestId === req.requestId) return { existing: current, useExisting: true };
  if (isOpen(current)) {
    const conflict = req.workflowIdConflictPolicy || Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL;
    if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) return { existing: current, useExisting: true };
    if (
      conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
      req.workflowIdReusePolicy === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
    ) {
      terminateRun(engine, current, 'terminated by a new start (WorkflowIdConflictPolicy TERMINATE_EXISTING)', req.identity);
      return {};
    }
    throw alreadyStarted(current);
  }
  const reuse = req.workflowIdReusePolicy || Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
  if (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    throw alreadyExists(`Workflow id "${echo(req.workflowId)}" was used by run ${current.runId}, and \`workflowIdReusePolicy\` is REJECT_DUPLICATE.`, {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { startRequestId: current.startRequestId, runId: current.runId },
    });
  }
  if (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && current.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
    throw alreadyExists(
      `Workflow id "${echo(req.workflowId)}" completed successfully in run ${current.runId}, and \`workflowIdReusePolicy\` is ALLOW_DUPLICATE_FAILED_ONLY.`,
      {
        typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
        value: { startRequestId: current.startRequestId, runId: current.runId },
      },
    );
  }
  return {};
}

function newRunFromRequest(req: Record<string, any>) {
  return {
    namespace: req.namespace,
    workflowId: req.workflowId,
    workflowType: req.workflowType.name,
    taskQueue: req.taskQueue.name,
    input: req.input,
    header: req.header,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    executionTimeoutMs: ms(req.workflowExecutionTimeout),
    runTimeoutMs: ms(req.workflowRunTimeout),
    taskTimeoutMs: ms(req.workflowTaskTimeout),
    retryPolicy: req.retryPolicy,
    identity: req.identity,
    requestId: req.requestId || `${Date.now()}-${Math.random()}`,
    firstTaskBackoffMs: (req.cronSchedule ? cronBackoffMs(req.cronSchedule, Date.now()) : ms(req.workflowStartDelay)) || undefined,
    cronSchedule: req.cronSchedule || undefined,
  };
}

export function startWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  validateStart(engine, req);
  const { existing, useExisting } = resolveExisting(engine, req);
  if (existing && useExisting) return { runId: existing.runId, started: existing.startRequestId === req.requestId, status: existing.status };
  const exec = startRun(engine, newRunFromRequest(req));
  return { runId: exec.runId, started: true, status: exec.status };
}

export function signalWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  requireId(req.signalName, 'signalName');
  checkBlobSize(engine.blobSizeLimitBytes, 'input', req.input);
  const exec = engine.requireOpenRun(req.namespace, req.workflowExecution);
  if (req.requestId) {
    if (exec.signalRequestIds.includes(req.requestId)) return {};
    exec.signalRequestIds.push(req.requestId);
    if (exec.signalRequestIds.length > 100) exec.signalRequestIds.shift();
  }
  recordExternal(
    engine,
    exec,
    makeEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      signalName: req.signalName,
      input: req.input,
      identity: req.identity,
      header: req.header,
    }),
  );
  return {};
}

export function signalWithStartWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  validateStart(engine, req);
  requireId(req.signalName, 'signalName');
  checkBlobSize(engine.blobSizeLimitBytes, 'signalInput', req.signalInput);
  const current = engine.findRun(req.namespace, req.workflowId);
  const conflict = req.workflowIdConflictPolicy || Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
  if (current && isOpen(current) && conflict !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
    if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL) throw alreadyStarted(current);
    recordExternal(
      engine,
      current,
      makeEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: req.signalName,
        input: req.signalInput,
        identity: req.identity,
        header: req.header,
      }),
    );
    return { runId: current.runId, started: false };
  }
  if (current && isOpen(current)) terminateRun(engine, current, 'terminated by SignalWithStart (WorkflowIdConflictPolicy TERMINATE_EXISTING)', req.identity);
  else resolveExisting(engine, { ...req, requestId: undefined });
  const exec = startRun(engine, {
    ...newRunFromRequest(req),
    signal: { signalName: req.signalName, input: req.signalInput, identity: req.identity, header: req.header },
  });
  return { runId: exec.runId, started: true };
}

export function requestCancelWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const exec = engine.requireOpenRun(req.namespace, req.workflowExecution);
  if (req.firstExecutionRunId && exec.firstRunId !== req.firstExecutionRunId)
    throw invalidArgument('`firstExecutionRunId` does not match the current run chain.');
  requestCancel(engine, exec, { identity: req.identity, cause: req.reason });
  return {};
}

export function terminateWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const exec = engine.requireOpenRun(req.namespace, req.workflowExecution);
  if (req.firstExecutionRunId && exec.firstRunId !== req.firstExecutionRunId)
    throw invalidArgument('`firstExecutionRunId` does not match the current run chain.');
  terminateRun(engine, exec, req.reason, req.identity, req.details);
  return {};
}

export function describeWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const exec = engine.requireRun(req.namespace, req.execution);
  const PA = Enums.PendingActivityState;
  const wft = exec.wft;
  return {
    executionConfig: {
      taskQueue: { name: exec.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      workflowExecutionTimeout: exec.executionTimeoutMs
        ? { seconds: Math.floor(exec.executionTimeoutMs / 1000), nanos: (exec.executionTimeoutMs % 1000) * 1e6 }
        : undefined,
      workflowRunTimeout: exec.runTimeoutMs ? { seconds: Math.floor(exec.runTimeoutMs / 1000), nanos: (exec.runTimeoutMs % 1000) * 1e6 } : undefined,
      defaultWorkflowTaskTimeout: { seconds: Math.floor(exec.workflowTaskTimeoutMs / 1000), nanos: (exec.workflowTaskTimeoutMs % 1000) * 1e6 },
    },
    workflowExecutionInfo: executionInfo(engine, exec),
    pendingActivities: Object.values(exec.activities).map((a) => ({
      activityId: a.activityId,
      activityType: { name: a.activityType },
      state: a.cancelRequested
        ? PA.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : a.startedTimeMs
          ? PA.PENDING_ACTIVITY_STATE_STARTED
          : PA.PENDING_ACTIVITY_STATE_SCHEDULED,
      heartbeatDetails: a.heartbeatDetails,
      lastHeartbeatTime: a.lastHeartbeatTimeMs ? ts(a.lastHeartbeatTimeMs) : undefined,
      lastStartedTime: a.startedTimeMs ? ts(a.startedTimeMs) : undefined,
      attempt: a.attempt,
      maximumAttempts: a.retryPolicy.maximumAttempts,
      scheduledTime: ts(a.scheduledTimeMs),
      expirationTime: a.scheduleToCloseMs ? ts(a.firstScheduledTimeMs + a.scheduleToCloseMs) : undefined,
      lastFailure: a.lastFailure,
      lastWorkerIdentity: a.lastWorkerIdentity,
      currentRetryInterval: a.retryAtMs ? { seconds: Math.floor((a.retryAtMs - engine.clock.now()) / 1000), nanos: 0 } : undefined,
      lastAttemptCompleteTime: undefined,
      nextAttemptScheduleTime: a.retryAtMs ? ts(a.retryAtMs) : undefined,
    })),
    pendingChildren: Object.values(exec.children).map((c) => ({
      workflowId: c.workflowId,
      runId: c.runId,
      workflowTypeName: c.workflowType,
      initiatedId: c.initiatedEventId,
      parentClosePolicy: c.parentClosePolicy,
    })),
    pendingWorkflowTask: wft
      ? {
          state: wft.startedEventId
            ? Enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
            : Enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
          scheduledTime: ts(wft.scheduledTimeMs),
          originalScheduledTime: ts(wft.scheduledTimeMs),
          startedTime: wft.startedTimeMs ? ts(wft.startedTimeMs) : undefined,
          attempt: wft.attempt,
        }
      : undefined,
  };
}

/**
 * Deletes a run and its history; a running one is terminated first (as Temporal does), so
 * whoever waits for its result sees the termination before the run is gone.
 */
export function deleteWorkflowExecution(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const exec = engine.requireRun(req.namespace, req.workflowExecution);
  if (isOpen(exec)) terminateRun(engine, exec, 'Delete workflow execution', req.identity);
  // After the commit's deferred actions (long polls woken by the termination answer first).
  engine.defer(() => engine.removeExecution(exec));
  return {};
}
