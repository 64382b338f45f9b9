/**
 * Workflow updates in history: replaying a workflow task, the updates it accepted
 * (WorkflowExecutionUpdateAccepted events after its WorkflowTaskCompleted) are delivered
 * to the workflow again, without their validators; the workflow's answers (protocol
 * message commands) match the Update events by update id.
 */
import type { DoUpdateJob } from '../common/activation-protocol';
import { attrsOf, EV, num, type HistoryEvent } from './history-events';

export const UPDATE_ACCEPTED = 41;
export const UPDATE_COMPLETED = 43;
export const PROTOCOL_MESSAGE_COMMAND = 14;

export function isUpdateEvent(type: number): boolean {
  return type === UPDATE_ACCEPTED || type === UPDATE_COMPLETED;
}

/** The id of the workflow's answer an Update event records (`<updateId>/accept` or `/complete`). */
export function protocolMessageIdOf(type: number, a: Record<string, any>): string {
  return type === UPDATE_ACCEPTED ? `${a.protocolInstanceId}/accept` : `${a.meta?.updateId}/complete`;
}

/** A `doUpdate` job for an update request (new, with its validator; or replayed, without). */
export function updateJob(protocolInstanceId: string, request: Record<string, any> | undefined | null, runValidator: boolean): DoUpdateJob {
  return {
    type: 'doUpdate',
    updateId: request?.meta?.updateId || protocolInstanceId,
    protocolInstanceId,
    name: request?.input?.name ?? '',
    args: request?.input?.args?.payloads ?? [],
    headers: request?.input?.header?.fields ?? {},
    runValidator,
  };
}

/** The updates accepted by the task whose WorkflowTaskCompleted is just before `from`. */
export function acceptedUpdateJobs(events: HistoryEvent[], from: number): DoUpdateJob[] {
  const jobs: DoUpdateJob[] = [];
  for (let j = from; j < events.length; j++) {
    const t = num(events[j]!.eventType);
    if (t === EV.WORKFLOW_TASK_SCHEDULED || t === EV.WORKFLOW_TASK_STARTED) break;
    if (t !== UPDATE_ACCEPTED) continue;
    const a = attrsOf(events[j]!);
    jobs.push(updateJob(a.protocolInstanceId, a.acceptedRequest, false));
  }
  return jobs;
}
