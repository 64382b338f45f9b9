/**
 * The commands of a completed workflow task, turned into history events. All commands
 * are validated before any is applied, so a bad command fails the task without leaving
 * half its events behind.
 */
import { serverNow } from './clock';
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { EventType, makeEvent } from './history';
import { dur, Enums, ms, Status } from './common';
import { findLimitViolation, limitsOf } from './request-limits';
import { isOpen, type ActivityState, type ExecutionState } from './state';
import { echo } from './service-error';
import { closeRun, failRun, recordExternal, requestCancel, startNextRun, startRun } from './workflows';
import { continueCron } from './schedules/cron-workflows';
import { MAX_EAGER_ACTIVITIES_PER_TASK, requestCancelActivity, scheduleActivity } from './activities';
import { attributesFieldName } from './attribute-keys';
import { applyProtocolMessageCommand } from './update-protocol';

const ET = EventType;
const CT = Enums.CommandType;
const Cause = Enums.WorkflowTaskFailedCause;

const attrKeyCache = new Map<number, string>();
/** `COMMAND_TYPE_START_TIMER` → `startTimerCommandAttributes`. */
function commandAttrs(cmd: Record<string, any>): Record<string, any> {
  let key = attrKeyCache.get(cmd.commandType);
  if (!key) {
    const name = (CT as unknown as Record<number, string>)[cmd.commandType] ?? '';
    key = attributesFieldName(name, 'COMMAND_TYPE_', 'CommandAttributes');
    attrKeyCache.set(cmd.commandType, key);
  }
  return cmd[key] ?? {};
}

export function isCloseCommand(cmd: Record<string, any>): boolean {
  return [
    CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
    CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
  ].includes(cmd.commandType);
}

export interface Invalid {
  cause: number;
  message: string;
  /** A payload over the blob size limit (or nested too deep): Temporal terminates the workflow. */
  terminate?: boolean;
}

/** The BAD_…_ATTRIBUTES cause of each command type, as Temporal reports a command it refuses. */
const BAD_ATTRIBUTES: Record<number, number> = {
  [CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
  [CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
  [CT.COMMAND_TYPE_START_TIMER]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
  [CT.COMMAND_TYPE_CANCEL_TIMER]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
  [CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_RECORD_MARKER]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
  [CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
  [CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  [CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
  [CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
};

/** The first invalid command, named with its index and field; undefined when all are valid. */
export function validateCommands(engine: Engine, exec: ExecutionState, commands: Array<Record<string, any>>): Invalid | undefined {
  const limits = limitsOf(engine);
  const activityIds = new Set(Object.values(exec.activities).map((a) => a.activityId));
  const timerIds = new Set(Object.keys(exec.timers));
  const bad = (cause: number, i: number, text: string): Invalid => ({ cause, message: `\`commands[${i}]\`: ${text}` });
  for (let i = 0; i < commands.length; i++) {
    const cmd = commands[i]!;
    const a = commandAttrs(cmd);
    // Ids over the limit fail the task; a blob over the limit terminates the workflow,
    // since the worker would send the same command again on every retry (as Temporal).
    const over = findLimitViolation('temporal.api.command.v1.Command', cmd, limits, { path: `commands[${i}]`, depth: 1 });
    if (over) {
      const cause = BAD_ATTRIBUTES[cmd.commandType] ?? Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED;
      return { cause, message: over.message, terminate: over.kind !== 'id' };
    }
    let err: Invalid | undefined;
    switch (cmd.commandType) {
      case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        if (!a.activityId) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, i, '`activityId` is required.');
        else if (activityIds.has(a.activityId))
          err = bad(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            i,
            `activity id "${echo(a.activityId)}" is already in use by a pending activity.`,
          );
        else if (!a.activityType?.name) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, i, '`activityType.name` is required.');
        else if (!ms(a.startToCloseTimeout) && !ms(a.scheduleToCloseTimeout))
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, i, 'set `startToCloseTimeout` or `scheduleToCloseTimeout`.');
        activityIds.add(a.activityId);
        break;
      case CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        if (!exec.activities[a.scheduledEventId])
          err = bad(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
            i,
            `no pending activity was scheduled by event ${a.scheduledEventId}.`,
          );
        break;
      case CT.COMMAND_TYPE_START_TIMER:
        if (!a.timerId) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, i, '`timerId` is required.');
        else if (timerIds.has(a.timerId))
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, i, `timer id "${echo(a.timerId)}" is already in use.`);
        timerIds.add(a.timerId);
        break;
      case CT.COMMAND_TYPE_CANCEL_TIMER:
        if (!timerIds.has(a.timerId))
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, i, `no pending timer has id "${echo(a.timerId)}".`);
        timerIds.delete(a.timerId);
        break;
      case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        if (!a.workflowId) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, i, '`workflowId` is required.');
        else if (!a.workflowType?.name) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, i, '`workflowType.name` is required.');
        else if (a.cronSchedule)
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, i, '`cronSchedule` is not supported by the Bastion dev server.');
        break;
      case CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!a.execution?.workflowId)
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, i, '`execution.workflowId` is required.');
        else if (!a.signalName) err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, i, '`signalName` is required.');
        break;
      case CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!a.workflowId)
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES, i, '`workflowId` is required.');
        break;
      case CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        if (a.cronSchedule)
          err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, i, '`cronSchedule` is not supported by the Bastion dev server.');
        break;
      case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      case CT.COMMAND_TYPE_RECORD_MARKER:
      case CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      case CT.COMMAND_TYPE_PROTOCOL_MESSAGE: // checked against the task's messages (update-protocol.ts)
        break;
      default:
        err = bad(
          Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
          i,
          `command type ${(CT as unknown as Record<number, string>)[cmd.commandType] ?? cmd.commandType} is not supported by the Bastion dev server.`,
        );
    }
    if (!err && isCloseCommand(cmd) && i !== commands.length - 1) {
      err = bad(Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, i, 'a command that closes the workflow must be the last command.');
    }
    if (err) return err;
  }
  return undefined;
}

/**
 * Writes the events of each command. Actions that touch other runs (start a child,
 * signal or cancel another workflow) are returned, to run after the task completed.
 */
export function applyCommands(
  engine: Engine,
  exec: ExecutionState,
  commands: Array<Record<string, any>>,
  completedId: number,
  identity?: string,
  eager?: ActivityState[],
): Array<() => void> {
  const post: Array<() => void> = [];
  for (const cmd of commands) {
    if (!isOpen(exec)) break;
    const a = commandAttrs(cmd);
    switch (cmd.commandType) {
      case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        // Eager execution: only on the workflow's own task queue, where the worker that
        // completes this task polls, and only so many per response.
        const wantsEager =
          eager !== undefined &&
          a.requestEagerExecution === true &&
          (a.taskQueue?.name || exec.taskQueue) === exec.taskQueue &&
          eager.length < MAX_EAGER_ACTIVITIES_PER_TASK;
        const act = scheduleActivity(engine, exec, a, completedId, wantsEager);
        if (wantsEager) eager.push(act);
        break;
      }
      case CT.COMMAND_TYPE_PROTOCOL_MESSAGE:
        applyProtocolMessageCommand(engine, exec, a.messageId, completedId);
        break;
      case CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        requestCancelActivity(engine, exec, a.scheduledEventId, completedId, post);
        break;
      case CT.COMMAND_TYPE_START_TIMER: {
        const ev = engine.appendEvent(
          exec,
          makeEvent(ET.EVENT_TYPE_TIMER_STARTED, { timerId: a.timerId, startToFireTimeout: a.startToFireTimeout, workflowTaskCompletedEventId: completedId }),
        );
        exec.timers[a.timerId] = { timerId: a.timerId, startedEventId: ev.eventId, fireAtMs: serverNow() + ms(a.startToFireTimeout) };
        break;
      }
      case CT.COMMAND_TYPE_CANCEL_TIMER: {
        const t = exec.timers[a.timerId]!;
        delete exec.timers[a.timerId];
        engine.appendEvent(
          exec,
          makeEvent(ET.EVENT_TYPE_TIMER_CANCELED, {
            timerId: a.timerId,
            startedEventId: t.startedEventId,
            workflowTaskCompletedEventId: completedId,
            identity,
          }),
        );
        break;
      }
      case CT.COMMAND_TYPE_RECORD_MARKER:
        engine.appendEvent(
          exec,
          makeEvent(ET.EVENT_TYPE_MARKER_RECORDED, {
            markerName: a.markerName,
            details: a.details,
            workflowTaskCompletedEventId: completedId,
            header: a.header,
            failure: a.failure,
          }),
        );
        break;
      case CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        engine.appendEvent(
          exec,
          makeEvent(ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, { workflowTaskCompletedEventId: completedId, searchAttributes: a.searchAttributes }),
        );
        exec.searchAttributes = mergeFields(exec.searchAttributes, a.searchAttributes?.indexedFields);
        break;
      }
      case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
        engine.appendEvent(
          exec,
          makeEvent(ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, { workflowTaskCompletedEventId: completedId, upsertedMemo: a.upsertedMemo }),
        );
        exec.memo = mergeFields(exec.memo, a.upsertedMemo?.fields, 'fields');
        break;
      case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        if (exec.cronSchedule) {
          const completed = makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, { result: a.result, workflowTaskCompletedEventId: completedId });
          continueCron(engine, exec, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, completed, true, { lastCompletionResult: a.result });
          break;
        }
        closeRun(
          engine,
          exec,
          Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
          makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, { result: a.result, workflowTaskCompletedEventId: completedId }),
          true,
        );
        break;
      case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        failRun(engine, exec, 'failed', a.failure, completedId);
        break;
      case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        closeRun(
          engine,
          exec,
          Status.WORKFLOW_EXECUTION_STATUS_CANCELED,
          makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, { details: a.details, workflowTaskCompletedEventId: completedId }),
          true,
        );
        break;
      case CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        continueAsNew(engine, exec, a, completedId);
        break;
      case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        startChild(engine, exec, a, completedId, post);
        break;
      case CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        signalExternal(engine, exec, a, completedId, post);
        break;
      case CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        cancelExternal(engine, exec, a, completedId, post);
        break;
    }
  }
  return post;
}

/** Merges upserted map fields; a payload with no data removes the key, as in Temporal. */
function mergeFields(
  current: Record<string, any> | undefined,
  upserts: Record<string, any> | undefined,
  key = 'indexedFields',
): Record<string, any> | undefined {
  if (!upserts) return current;
  const fields = { ...(current?.[key] ?? {}) };
  for (const [k, v] of Object.entries(upserts)) {
    if (!v?.data && !(v?.metadata && Object.keys(v.metadata).length)) delete fields[k];
    else fields[k] = v;
  }
  return { [key]: fields };
}

function continueAsNew(engine: Engine, exec: ExecutionState, a: Record<string, any>, completedId: number): void {
  const runId = randomUUID();
  const workflowType = a.workflowType?.name || exec.workflowType;
  const taskQueue = a.taskQueue?.name || exec.taskQueue;
  const runTimeoutMs = ms(a.workflowRunTimeout) || exec.runTimeoutMs;
  const taskTimeoutMs = ms(a.workflowTaskTimeout) || exec.workflowTaskTimeoutMs;
  closeRun(
    engine,
    exec,
    Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
    makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      newExecutionRunId: runId,
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: a.input,
      workflowRunTimeout: runTimeoutMs ? dur(runTimeoutMs) : undefined,
      workflowTaskTimeout: dur(taskTimeoutMs),
      workflowTaskCompletedEventId: completedId,
      backoffStartInterval: a.backoffStartInterval,
      initiator: a.initiator || Enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
    }),
    true,
  );
  exec.newExecutionRunId = runId;
  startNextRun(engine, exec, runId, {
    workflowType,
    taskQueue,
    input: a.input,
    header: a.header,
    memo: a.memo ?? exec.memo,
    searchAttributes: a.searchAttributes ?? exec.searchAttributes,
    runTimeoutMs,
    taskTimeoutMs,
    retryPolicy: a.retryPolicy,
    attempt: 1,
    initiator: a.initiator || Enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    lastCompletionResult: a.lastCompletionResult,
    continuedFailure: a.failure,
    firstTaskBackoffMs: ms(a.backoffStartInterval) || undefined,
  });
}

function startChild(engine: Engine, exec: ExecutionState, a: Record<string, any>, completedId: number, post: Array<() => void>): void {
  const namespace = a.namespace || exec.namespace;
  const ev = engine.appendEvent(
    exec,
    makeEvent(ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, { ...a, namespace, workflowTaskCompletedEventId: completedId }),
  );
  const initiatedEventId = ev.eventId;
  exec.children[initiatedEventId] = {
    initiatedEventId,
    namespace,
    workflowId: a.workflowId,
    workflowType: a.workflowType.name,
    parentClosePolicy: a.parentClosePolicy || Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
  };
  post.push(() => {
    const failed = (cause: number) => {
      delete exec.children[initiatedEventId];
      recordExternal(
        engine,
        exec,
        makeEvent(ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
          namespace,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          cause,
          initiatedEventId,
          workflowTaskCompletedEventId: completedId,
          control: a.control,
        }),
      );
    };
    if (!engine.namespaces.has(namespace))
      return failed(Enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND);
    const existing = engine.findRun(namespace, a.workflowId);
    const reuse = a.workflowIdReusePolicy || Enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    if (
      existing &&
      (isOpen(existing) ||
        reuse === Enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
        (reuse === Enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          existing.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED))
    ) {
      return failed(Enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
    }
    const child = startRun(engine, {
      namespace,
      workflowId: a.workflowId,
      workflowType: a.workflowType.name,
      taskQueue: a.taskQueue?.name || exec.taskQueue,
      input: a.input,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      executionTimeoutMs: ms(a.workflowExecutionTimeout),
      runTimeoutMs: ms(a.workflowRunTimeout),
      taskTimeoutMs: ms(a.workflowTaskTimeout),
      retryPolicy: a.retryPolicy,
      requestId: randomUUID(),
      parent: { namespace: exec.namespace, workflowId: exec.workflowId, runId: exec.runId, initiatedEventId },
    });
    const record = exec.children[initiatedEventId];
    if (record) record.runId = child.runId;
    recordExternal(
      engine,
      exec,
      makeEvent(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
        namespace,
        initiatedEventId,
        workflowExecution: { workflowId: child.workflowId, runId: child.runId },
        workflowType: a.workflowType,
        header: a.header,
      }),
    );
  });
}

function signalExternal(engine: Engine, exec: ExecutionState, a: Record<string, any>, completedId: number, post: Array<() => void>): void {
  const namespace = a.namespace || exec.namespace;
  const ev = engine.appendEvent(
    exec,
    makeEvent(ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      workflowTaskCompletedEventId: completedId,
      namespace,
      workflowExecution: a.execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
    }),
  );
  post.push(() => {
    const target = engine.findRun(namespace, a.execution.workflowId, a.execution.runId);
    if (!target || !isOpen(target)) {
      recordExternal(
        engine,
        exec,
        makeEvent(ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          cause: Enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
          workflowTaskCompletedEventId: completedId,
          namespace,
          workflowExecution: a.execution,
          initiatedEventId: ev.eventId,
          control: a.control,
        }),
      );
      return;
    }
    recordExternal(
      engine,
      target,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: a.signalName,
        input: a.input,
        identity: `workflow ${exec.workflowId}`,
        header: a.header,
        externalWorkflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
      }),
    );
    recordExternal(
      engine,
      exec,
      makeEvent(ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
        initiatedEventId: ev.eventId,
        namespace,
        workflowExecution: { workflowId: target.workflowId, runId: target.runId },
        control: a.control,
      }),
    );
  });
}

function cancelExternal(engine: Engine, exec: ExecutionState, a: Record<string, any>, completedId: number, post: Array<() => void>): void {
  const namespace = a.namespace || exec.namespace;
  const ev = engine.appendEvent(
    exec,
    makeEvent(ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      workflowTaskCompletedEventId: completedId,
      namespace,
      workflowExecution: { workflowId: a.workflowId, runId: a.runId },
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
    }),
  );
  post.push(() => {
    const target = engine.findRun(namespace, a.workflowId, a.runId);
    if (!target || !isOpen(target)) {
      recordExternal(
        engine,
        exec,
        makeEvent(ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          cause: Enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
          workflowTaskCompletedEventId: completedId,
          namespace,
          workflowExecution: { workflowId: a.workflowId, runId: a.runId },
          initiatedEventId: ev.eventId,
          control: a.control,
        }),
      );
      return;
    }
    requestCancel(engine, target, {
      identity: `workflow ${exec.workflowId}`,
      cause: a.reason,
      externalInitiatedEventId: ev.eventId,
      externalWorkflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    });
    recordExternal(
      engine,
      exec,
      makeEvent(ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
        initiatedEventId: ev.eventId,
        namespace,
        workflowExecution: { workflowId: target.workflowId, runId: target.runId },
      }),
    );
  });
}
