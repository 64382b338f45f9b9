/**
 * The update protocol inside workflow tasks: each task carries the requests of the
 * updates the worker has not answered yet (`messages` of the poll response); the
 * completion answers with Acceptance, Rejection and Response messages, placed among the
 * commands by `COMMAND_TYPE_PROTOCOL_MESSAGE` commands. Acceptance and Response become
 * `WorkflowExecutionUpdateAccepted` / `…Completed` events; a rejection leaves no event.
 *
 * Updates ride on normal workflow tasks (Temporal uses speculative tasks, which leave no
 * events when the update is rejected; here the task's three events stay).
 */
import type { Engine } from './engine';
import { EventType, makeEvent } from './history';
import { Enums } from './common';
import { temporal } from '../common/proto';
import { decodeJson, encodeJson } from './json-proto';
import { echo, notFound } from './service-error';
import type { ExecutionState } from './state';
import { findUpdate, pendingRequests, settleUpdate, undelivered } from './update-registry';

const ET = EventType;
const Cause = Enums.WorkflowTaskFailedCause;
const U = temporal.api.update.v1;
const TYPE_PREFIX = 'type.googleapis.com/';

const BODY_TYPES: Record<string, unknown> = {
  'temporal.api.update.v1.Request': U.Request,
  'temporal.api.update.v1.Acceptance': U.Acceptance,
  'temporal.api.update.v1.Rejection': U.Rejection,
  'temporal.api.update.v1.Response': U.Response,
};

interface ParsedMessage {
  id: string;
  protocolInstanceId: string;
  kind: 'acceptance' | 'rejection' | 'response';
  body: Record<string, any>;
  applied: boolean;
}

/** The failure a worker's silence earns: it got the request and neither accepted nor rejected it. */
export const UNPROCESSED_UPDATE_FAILURE = {
  message: 'Workflow Update is rejected because it was not processed by the worker. The worker may not support Workflow Updates; use an SDK that does.',
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

/** The outcome of an accepted update whose run closed before the update completed. */
export const CLOSED_BEFORE_COMPLETION_FAILURE = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

const inFlight = new WeakMap<ExecutionState, Map<string, ParsedMessage>>();

/** The `messages` of a workflow task: one Request per update the worker has not answered. */
export function requestMessages(exec: ExecutionState, startedEventId: number): object[] | undefined {
  const pending = pendingRequests(exec);
  if (pending.length === 0) return undefined;
  return pending.map((u) => {
    u.sentInTask = startedEventId;
    return {
      id: `${u.updateId}/request`,
      protocolInstanceId: u.updateId,
      eventId: startedEventId - 1,
      body: { type_url: `${TYPE_PREFIX}temporal.api.update.v1.Request`, value: Buffer.from(encodeJson(U.Request, u.request)).toString('base64') },
    };
  });
}

/**
 * Reads the completion's messages and checks them against the run's updates and the
 * commands; returns a failure (cause and message) when they do not fit.
 */
export function readCompletionMessages(
  exec: ExecutionState,
  messages: Array<Record<string, any>> | undefined,
  commands: Array<Record<string, any>>,
): { cause: number; message: string; terminate?: boolean } | undefined {
  inFlight.delete(exec);
  const bad = (message: string) => ({ cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message });
  const parsed = new Map<string, ParsedMessage>();
  for (const [i, m] of (messages ?? []).entries()) {
    const typeName = String(m.body?.type_url ?? m.body?.typeUrl ?? '').replace(TYPE_PREFIX, '');
    const cls = BODY_TYPES[typeName];
    if (!m.id || !m.protocolInstanceId || !cls || typeName.endsWith('.Request'))
      return bad(`\`messages[${i}]\`: expected an update Acceptance, Rejection or Response with \`id\` and \`protocolInstanceId\`.`);
    let body: Record<string, any>;
    try {
      body = decodeJson(cls, Buffer.from(String(m.body.value ?? ''), 'base64'));
    } catch (err) {
      return bad(`\`messages[${i}].body\` could not be decoded as ${typeName}: ${(err as Error).message}`);
    }
    const kind = typeName.endsWith('Acceptance') ? 'acceptance' : typeName.endsWith('Rejection') ? 'rejection' : 'response';
    const rec = findUpdate(exec, m.protocolInstanceId);
    const want = kind === 'response' ? ['accepted', 'admitted'] : ['admitted'];
    if (!rec || !want.includes(rec.stage)) return bad(`\`messages[${i}]\`: no update "${echo(m.protocolInstanceId)}" waits for a ${kind}.`);
    parsed.set(m.id, { id: m.id, protocolInstanceId: m.protocolInstanceId, kind, body, applied: false });
  }
  for (const [i, c] of commands.entries()) {
    if (c.commandType !== Enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) continue;
    const id = c.protocolMessageCommandAttributes?.messageId;
    if (!parsed.has(id)) return bad(`\`commands[${i}]\`: protocol message "${echo(id)}" is not among the task's \`messages\`.`);
  }
  inFlight.set(exec, parsed);
  return undefined;
}

/** True when the task closes the workflow while updates it never saw wait (they must be delivered first). */
export function updatesArrivedDuringTask(exec: ExecutionState): boolean {
  return undelivered(exec).length > 0;
}

function apply(engine: Engine, exec: ExecutionState, m: ParsedMessage, completedId: number): void {
  if (m.applied) return;
  m.applied = true;
  const rec = findUpdate(exec, m.protocolInstanceId);
  if (!rec) return;
  if (m.kind === 'rejection') {
    settleUpdate(engine, exec, rec.updateId, { outcome: { failure: m.body.failure ?? { message: 'update rejected' } } });
    return;
  }
  if (m.kind === 'acceptance' || rec.stage === 'admitted') {
    const ev = engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        protocolInstanceId: rec.updateId,
        acceptedRequestMessageId: m.kind === 'acceptance' ? m.body.acceptedRequestMessageId : `${rec.updateId}/request`,
        acceptedRequestSequencingEventId: m.kind === 'acceptance' ? m.body.acceptedRequestSequencingEventId : completedId,
        acceptedRequest: m.kind === 'acceptance' && m.body.acceptedRequest ? m.body.acceptedRequest : rec.request,
      }),
    );
    rec.stage = 'accepted';
    rec.acceptedEventId = ev.eventId;
  }
  if (m.kind === 'response') {
    const outcome = m.body.outcome ?? { success: {} };
    engine.appendEvent(
      exec,
      makeEvent(ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
        meta: m.body.meta ?? { updateId: rec.updateId },
        acceptedEventId: rec.acceptedEventId,
        outcome,
      }),
    );
    rec.stage = 'completed';
    rec.outcome = outcome;
  }
  engine.touch(exec);
}

/** A `COMMAND_TYPE_PROTOCOL_MESSAGE` command: its message takes effect here, in command order. */
export function applyProtocolMessageCommand(engine: Engine, exec: ExecutionState, messageId: string, completedId: number): void {
  const m = inFlight.get(exec)?.get(messageId);
  if (m) apply(engine, exec, m, completedId);
}

/**
 * After the commands: messages no command placed (rejections, mostly) take effect, and
 * requests this task carried that the worker ignored are rejected.
 */
export function finishCompletionMessages(engine: Engine, exec: ExecutionState, completedId: number, startedEventId: number): void {
  const parsed = inFlight.get(exec);
  inFlight.delete(exec);
  for (const m of parsed?.values() ?? []) if (exec.status === 1) apply(engine, exec, m, completedId);
  for (const u of pendingRequests(exec)) {
    if (u.sentInTask === startedEventId) settleUpdate(engine, exec, u.updateId, { outcome: { failure: UNPROCESSED_UPDATE_FAILURE } });
  }
}

/**
 * The run closed: updates not yet accepted fail their callers with NOT_FOUND (as
 * Temporal's "aborted by closing workflow"); accepted ones complete with a failure.
 */
export function abortUpdates(engine: Engine, exec: ExecutionState): void {
  for (const u of Object.values(exec.updates ?? {})) {
    if (u.stage === 'admitted') settleUpdate(engine, exec, u.updateId, { error: notFound('workflow update was aborted by closing workflow') });
    else if (u.stage === 'accepted') {
      u.stage = 'completed';
      u.outcome = { failure: CLOSED_BEFORE_COMPLETION_FAILURE };
      engine.touch(exec);
    }
  }
}
