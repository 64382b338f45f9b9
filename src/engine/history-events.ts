/**
 * Reading history events (JSON form from the wire, or decoded protobuf objects):
 * which events answer commands, and how result events become activation jobs.
 */
import type { Failure, Job, Payload, ResolutionResult, SeqKind } from '../common/activation-protocol';

/** temporal.api.enums.v1.EventType numbers used here. */
export const EV = {
  WORKFLOW_EXECUTION_STARTED: 1,
  WORKFLOW_EXECUTION_COMPLETED: 2,
  WORKFLOW_EXECUTION_FAILED: 3,
  WORKFLOW_EXECUTION_TIMED_OUT: 4,
  WORKFLOW_TASK_SCHEDULED: 5,
  WORKFLOW_TASK_STARTED: 6,
  WORKFLOW_TASK_COMPLETED: 7,
  WORKFLOW_TASK_TIMED_OUT: 8,
  WORKFLOW_TASK_FAILED: 9,
  ACTIVITY_TASK_SCHEDULED: 10,
  ACTIVITY_TASK_STARTED: 11,
  ACTIVITY_TASK_COMPLETED: 12,
  ACTIVITY_TASK_FAILED: 13,
  ACTIVITY_TASK_TIMED_OUT: 14,
  ACTIVITY_TASK_CANCEL_REQUESTED: 15,
  ACTIVITY_TASK_CANCELED: 16,
  TIMER_STARTED: 17,
  TIMER_FIRED: 18,
  TIMER_CANCELED: 19,
  WORKFLOW_EXECUTION_CANCEL_REQUESTED: 20,
  WORKFLOW_EXECUTION_CANCELED: 21,
  REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 22,
  REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: 23,
  EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: 24,
  MARKER_RECORDED: 25,
  WORKFLOW_EXECUTION_SIGNALED: 26,
  WORKFLOW_EXECUTION_TERMINATED: 27,
  WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 28,
  START_CHILD_WORKFLOW_EXECUTION_INITIATED: 29,
  START_CHILD_WORKFLOW_EXECUTION_FAILED: 30,
  CHILD_WORKFLOW_EXECUTION_STARTED: 31,
  CHILD_WORKFLOW_EXECUTION_COMPLETED: 32,
  CHILD_WORKFLOW_EXECUTION_FAILED: 33,
  CHILD_WORKFLOW_EXECUTION_CANCELED: 34,
  CHILD_WORKFLOW_EXECUTION_TIMED_OUT: 35,
  CHILD_WORKFLOW_EXECUTION_TERMINATED: 36,
  SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 37,
  SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: 38,
  EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: 39,
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 40,
  WORKFLOW_PROPERTIES_MODIFIED: 46,
} as const;

/** Command type → the event type it produces. */
export const EVENT_FOR_COMMAND: Record<number, number> = {
  1: EV.ACTIVITY_TASK_SCHEDULED,
  2: EV.ACTIVITY_TASK_CANCEL_REQUESTED,
  3: EV.TIMER_STARTED,
  4: EV.WORKFLOW_EXECUTION_COMPLETED,
  5: EV.WORKFLOW_EXECUTION_FAILED,
  6: EV.TIMER_CANCELED,
  7: EV.WORKFLOW_EXECUTION_CANCELED,
  8: EV.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  9: EV.MARKER_RECORDED,
  10: EV.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
  11: EV.START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  12: EV.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  13: EV.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  16: EV.WORKFLOW_PROPERTIES_MODIFIED,
};

const COMMAND_EVENTS = new Set(Object.values(EVENT_FOR_COMMAND));

export type HistoryEvent = Record<string, any> & { eventId: number | { toNumber(): number } | string; eventType: number | string };

export function eventId(e: HistoryEvent): number {
  const id = e.eventId as unknown;
  return typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : (id as { toNumber(): number }).toNumber();
}

export function num(v: unknown): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return (v as { toNumber(): number }).toNumber();
}

export function eventTimeMs(e: HistoryEvent): number {
  const t = e.eventTime as { seconds?: unknown; nanos?: number } | undefined;
  if (!t) return 0;
  return num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function isCommandEvent(type: number): boolean {
  return COMMAND_EVENTS.has(type as never);
}

const EVENT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EV).map(([k, v]) => [v, k]));
export function eventName(type: number): string {
  return EVENT_NAMES[type] ?? `event type ${type}`;
}

/** The `…EventAttributes` object of an event. */
export function attrsOf(e: HistoryEvent): Record<string, any> {
  for (const k of Object.keys(e)) if (k.endsWith('EventAttributes') && e[k]) return e[k];
  return {};
}

export interface SeqRef {
  kind: SeqKind;
  seq: number;
}

function activityFailure(a: Record<string, any>, scheduled: Record<string, any> | undefined, cause: Failure | undefined, message: string): Failure {
  return {
    message,
    cause,
    activityFailureInfo: {
      scheduledEventId: a.scheduledEventId,
      startedEventId: a.startedEventId,
      identity: a.identity,
      activityType: scheduled?.activityType,
      activityId: scheduled?.activityId,
      retryState: a.retryState,
    },
  } as Failure;
}

function childFailure(a: Record<string, any>, cause: Failure | undefined, message: string): Failure {
  return {
    message,
    cause,
    childWorkflowExecutionFailureInfo: {
      namespace: a.namespace,
      workflowExecution: a.workflowExecution,
      workflowType: a.workflowType,
      initiatedEventId: a.initiatedEventId,
      startedEventId: a.startedEventId,
      retryState: a.retryState,
    },
  } as Failure;
}

const first = (p: { payloads?: Payload[] | null } | undefined | null): Payload | undefined => p?.payloads?.[0] ?? undefined;

/**
 * The job a result event becomes, or undefined for events that are not results.
 * `lookup` finds the command (by the id of the event it produced) the event answers.
 */
export function jobForEvent(e: HistoryEvent, lookup: (eventId: number) => { ref: SeqRef; attrs: Record<string, any> } | undefined): Job | undefined {
  const type = num(e.eventType);
  const a = attrsOf(e);
  const byScheduled = (id: unknown) => lookup(num(id));
  switch (type) {
    case EV.WORKFLOW_EXECUTION_SIGNALED:
      return { type: 'signal', signalName: a.signalName, args: a.input?.payloads ?? [], headers: a.header?.fields ?? {} };
    case EV.WORKFLOW_EXECUTION_CANCEL_REQUESTED:
      return { type: 'cancelWorkflow', reason: a.cause };
    case EV.TIMER_FIRED:
      return { type: 'fireTimer', seq: Number(a.timerId) };
    case EV.ACTIVITY_TASK_COMPLETED:
    case EV.ACTIVITY_TASK_FAILED:
    case EV.ACTIVITY_TASK_TIMED_OUT:
    case EV.ACTIVITY_TASK_CANCELED: {
      const found = byScheduled(a.scheduledEventId);
      if (!found) return undefined;
      let result: ResolutionResult;
      if (type === EV.ACTIVITY_TASK_COMPLETED) result = { completed: first(a.result) };
      else if (type === EV.ACTIVITY_TASK_FAILED) result = { failed: activityFailure(a, found.attrs, a.failure, 'Activity task failed') };
      else if (type === EV.ACTIVITY_TASK_TIMED_OUT) result = { failed: activityFailure(a, found.attrs, a.failure, 'Activity task timed out') };
      else
        result = {
          cancelled: activityFailure(
            a,
            found.attrs,
            { message: 'Activity cancelled', canceledFailureInfo: { details: a.details } } as Failure,
            'Activity task cancelled',
          ),
        };
      return { type: 'resolveActivity', seq: found.ref.seq, result };
    }
    case EV.CHILD_WORKFLOW_EXECUTION_STARTED: {
      const found = byScheduled(a.initiatedEventId);
      return found ? { type: 'resolveChildStart', seq: found.ref.seq, runId: a.workflowExecution?.runId } : undefined;
    }
    case EV.START_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const found = byScheduled(a.initiatedEventId);
      return found
        ? {
            type: 'resolveChildStart',
            seq: found.ref.seq,
            failedCause: num(a.cause) === 1 ? 'alreadyExists' : num(a.cause) === 2 ? 'namespaceNotFound' : 'unknown',
          }
        : undefined;
    }
    case EV.CHILD_WORKFLOW_EXECUTION_COMPLETED:
    case EV.CHILD_WORKFLOW_EXECUTION_FAILED:
    case EV.CHILD_WORKFLOW_EXECUTION_CANCELED:
    case EV.CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
    case EV.CHILD_WORKFLOW_EXECUTION_TERMINATED: {
      const found = byScheduled(a.initiatedEventId);
      if (!found) return undefined;
      let result: ResolutionResult;
      if (type === EV.CHILD_WORKFLOW_EXECUTION_COMPLETED) result = { completed: first(a.result) };
      else if (type === EV.CHILD_WORKFLOW_EXECUTION_FAILED) result = { failed: childFailure(a, a.failure, 'Child Workflow execution failed') };
      else if (type === EV.CHILD_WORKFLOW_EXECUTION_CANCELED)
        result = {
          cancelled: childFailure(
            a,
            { message: 'Child Workflow cancelled', canceledFailureInfo: { details: a.details } } as Failure,
            'Child Workflow execution cancelled',
          ),
        };
      else if (type === EV.CHILD_WORKFLOW_EXECUTION_TIMED_OUT)
        result = {
          failed: childFailure(
            a,
            { message: 'Child Workflow timed out', timeoutFailureInfo: { timeoutType: 1 } } as Failure,
            'Child Workflow execution timed out',
          ),
        };
      else
        result = {
          failed: childFailure(a, { message: 'Child Workflow terminated', terminatedFailureInfo: {} } as Failure, 'Child Workflow execution terminated'),
        };
      return { type: 'resolveChild', seq: found.ref.seq, result };
    }
    case EV.EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
    case EV.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
      const found = byScheduled(a.initiatedEventId);
      if (!found) return undefined;
      return type === EV.EXTERNAL_WORKFLOW_EXECUTION_SIGNALED
        ? { type: 'resolveSignalExternal', seq: found.ref.seq }
        : {
            type: 'resolveSignalExternal',
            seq: found.ref.seq,
            failure: {
              message: 'Unable to signal external workflow because it was not found',
              applicationFailureInfo: { type: 'ExternalWorkflowExecutionNotFound', nonRetryable: true },
            } as Failure,
          };
    }
    case EV.EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
    case EV.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
      const found = byScheduled(a.initiatedEventId);
      if (!found) return undefined;
      return type === EV.EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED
        ? { type: 'resolveCancelExternal', seq: found.ref.seq }
        : {
            type: 'resolveCancelExternal',
            seq: found.ref.seq,
            failure: {
              message: 'Unable to cancel external workflow because it was not found',
              applicationFailureInfo: { type: 'ExternalWorkflowExecutionNotFound', nonRetryable: true },
            } as Failure,
          };
    }
    default:
      return undefined;
  }
}
