/**
 * The worker's side of the update protocol: update requests arrive as protocol
 * messages in a workflow task and become `doUpdate` jobs (validator on); the workflow's
 * answers go back as Acceptance, Rejection and Response messages, payloads encoded by
 * the worker's codecs. Message ids follow `<updateId>/accept|reject|complete`, and the
 * workflow's PROTOCOL_MESSAGE commands name them.
 */
import { temporal, type TemporalTypes } from '../common/proto';
import type { DoUpdateJob, Payload, UpdateMessage } from '../common/activation-protocol';
import type { ProtoFailure } from '../converter';
import { updateJob } from '../engine/update-events';

const U = temporal.api.update.v1;
const PREFIX = 'type.googleapis.com/';

export interface ReceivedRequest {
  messageId: string;
  sequencingEventId: number;
  /** The request as received (payloads still encoded), echoed back in the acceptance. */
  request: TemporalTypes.api.update.v1.IRequest;
}

/** The task's update requests as jobs (arguments decoded), and the requests by protocol instance. */
export async function updateRequestJobs(
  messages: Array<Record<string, any>> | null | undefined,
  decode: (p: Payload[]) => Promise<Payload[] | undefined | null>,
): Promise<{ jobs: DoUpdateJob[]; requests: Map<string, ReceivedRequest> }> {
  const jobs: DoUpdateJob[] = [];
  const requests = new Map<string, ReceivedRequest>();
  for (const m of messages ?? []) {
    const typeName = String(m.body?.type_url ?? '').replace(PREFIX, '');
    if (typeName !== 'temporal.api.update.v1.Request') continue;
    const request = U.Request.decode(m.body.value as Uint8Array);
    const pid = String(m.protocolInstanceId);
    requests.set(pid, { messageId: String(m.id), sequencingEventId: Number(m.eventId ?? 0), request });
    const args = (await decode((request.input?.args?.payloads ?? []) as Payload[])) ?? [];
    jobs.push(updateJob(pid, { ...request, input: { ...request.input, args: { payloads: args } } }, true));
  }
  return { jobs, requests };
}

const any = (typeName: string, bytes: Uint8Array) => ({ type_url: `${PREFIX}${typeName}`, value: bytes });

/** The workflow's update answers as protocol messages for RespondWorkflowTaskCompleted. */
export async function updateResponseMessages(
  answers: UpdateMessage[] | undefined,
  requests: Map<string, ReceivedRequest>,
  identity: string,
  codec: { encode(p: Payload[]): Promise<Payload[]>; failure(f: ProtoFailure): Promise<ProtoFailure> },
): Promise<object[] | undefined> {
  if (!answers?.length) return undefined;
  const out: object[] = [];
  for (const m of answers) {
    const req = requests.get(m.protocolInstanceId);
    let body;
    if (m.accepted) {
      body = any(
        'temporal.api.update.v1.Acceptance',
        U.Acceptance.encode({
          acceptedRequestMessageId: req?.messageId,
          acceptedRequestSequencingEventId: req?.sequencingEventId as never,
          acceptedRequest: req?.request,
        }).finish(),
      );
    } else if (m.rejected) {
      body = any(
        'temporal.api.update.v1.Rejection',
        U.Rejection.encode({
          rejectedRequestMessageId: req?.messageId,
          rejectedRequestSequencingEventId: req?.sequencingEventId as never,
          rejectedRequest: req?.request,
          failure: (await codec.failure(m.rejected as ProtoFailure)) as never,
        }).finish(),
      );
    } else {
      const c = m.completed ?? {};
      const outcome = c.failure
        ? { failure: (await codec.failure(c.failure as ProtoFailure)) as never }
        : { success: { payloads: await codec.encode(c.result ? [c.result] : []) } };
      body = any(
        'temporal.api.update.v1.Response',
        U.Response.encode({ meta: { updateId: req?.request.meta?.updateId || m.protocolInstanceId, identity }, outcome: outcome as never }).finish(),
      );
    }
    out.push({ id: m.messageId, protocolInstanceId: m.protocolInstanceId, body });
  }
  return out;
}
