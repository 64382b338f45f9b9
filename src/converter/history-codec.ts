/**
 * Payload codecs over workflow wire types: decoding the payloads of history events
 * before they reach a workflow's sandbox, and encoding the payloads of the commands it
 * answers with. The fields walked are those the official worker's codec runner walks
 * (activation jobs and completion commands); headers, search attributes, patch markers
 * and the local-activity marker's bookkeeping `data` stay as they are.
 */
import type { ProtoFailure } from './failures';
import type { Payload } from '../common/payload';
import { codecTransform, transformOptionalFailure, transformPayloadMap, type CodecContext, type PayloadCodec, type PayloadsTransform } from './codec-chain';

/** The workflow whose task is being processed. */
export interface WorkflowCodecScope {
  namespace: string;
  workflowId: string;
}

type Obj = Record<string, any>;

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** A copy that keeps the prototype (decoded protobuf messages read defaults from it). */
function copy<T extends object>(o: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(o) as object) as T, o);
}

function eventNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v) || 0;
  return typeof (v as { toNumber?: unknown })?.toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : 0;
}

const workflowContext = (s: WorkflowCodecScope): CodecContext => ({ type: 'workflow', namespace: s.namespace, workflowId: s.workflowId });
const activityContext = (s: WorkflowCodecScope, activityId: string | undefined, isLocal: boolean): CodecContext => ({
  type: 'activity',
  namespace: s.namespace,
  workflowId: s.workflowId,
  activityId: activityId || undefined,
  isLocal,
});
const otherWorkflowContext = (s: WorkflowCodecScope, workflowId: string | undefined, namespace?: string | null): CodecContext =>
  workflowId ? { type: 'workflow', namespace: namespace || s.namespace, workflowId } : workflowContext(s);

/** Transforms named payload-bearing fields of one attributes object. */
interface FieldPlan {
  payloads?: string[];
  failures?: string[];
  maps?: Array<[string, string]>;
}

async function applyPlan(t: PayloadsTransform, attrs: Obj, plan: FieldPlan, ctx: CodecContext): Promise<Obj> {
  const out = copy(attrs);
  for (const f of plan.payloads ?? []) {
    if (attrs[f]) out[f] = { ...attrs[f], payloads: (await t(attrs[f].payloads ?? [], ctx)) ?? [] };
  }
  for (const f of plan.failures ?? []) {
    if (attrs[f]) out[f] = await transformOptionalFailure(t, attrs[f] as ProtoFailure, ctx);
  }
  for (const [f, sub] of plan.maps ?? []) {
    if (attrs[f]?.[sub]) out[f] = { ...attrs[f], [sub]: await transformPayloadMap(skipEmpty(t), attrs[f][sub], ctx) };
  }
  return out;
}

/** An empty payload in a memo upsert removes the key: it is not encoded. */
function skipEmpty(t: PayloadsTransform): PayloadsTransform {
  return async (payloads, ctx) => {
    const p = payloads?.[0] as Payload | undefined;
    if (payloads?.length === 1 && p && !p.data?.length && Object.keys(p.metadata ?? {}).length === 0) return payloads;
    return t(payloads, ctx);
  };
}

function withAttrs<E extends Obj>(e: E, key: string, attrs: Obj): E {
  const out = copy(e) as Obj;
  out[key] = attrs;
  return out as E;
}

function attrsKey(o: Obj): string | undefined {
  return Object.keys(o).find((k) => k.endsWith('Attributes') && o[k]);
}

/**
 * A copy of `events` with the payloads a workflow reads decoded: workflow input, memo,
 * last completion result and continued failure; signal input; activity, local activity
 * and child workflow results, failures and cancellation details. Events are copied, not
 * changed. With no codecs, `events` is returned as is.
 */
export async function decodeHistoryEvents<E extends Obj>(codecs: readonly PayloadCodec[], events: E[], scope: WorkflowCodecScope): Promise<E[]> {
  if (codecs.length === 0) return events;
  const t = codecTransform(codecs, 'decode');
  const activityIds = new Map<number, string>();
  for (const e of events) {
    if (eventNumber(e.eventType) === 10) activityIds.set(eventNumber(e.eventId), e.activityTaskScheduledEventAttributes?.activityId);
  }
  return Promise.all(
    events.map(async (e) => {
      const key = attrsKey(e);
      if (!key) return e;
      const a = e[key] as Obj;
      let plan: FieldPlan | undefined;
      let ctx = workflowContext(scope);
      switch (eventNumber(e.eventType)) {
        case 1:
          plan = { payloads: ['input', 'lastCompletionResult'], failures: ['continuedFailure'], maps: [['memo', 'fields']] };
          break;
        case 26:
          plan = { payloads: ['input'] };
          break;
        case 12:
        case 13:
        case 14:
        case 16:
          plan = { payloads: ['result', 'details'], failures: ['failure'] };
          ctx = activityContext(scope, activityIds.get(eventNumber(a.scheduledEventId)), false);
          break;
        case 32:
        case 33:
        case 34:
          plan = { payloads: ['result', 'details'], failures: ['failure'] };
          ctx = otherWorkflowContext(scope, a.workflowExecution?.workflowId, a.namespace);
          break;
        case 25:
          if (a.markerName !== LOCAL_ACTIVITY_MARKER) return e;
          ctx = activityContext(scope, undefined, true);
          return withAttrs(e, key, await localActivityMarker(t, a, ctx));
        case 41: {
          // WorkflowExecutionUpdateAccepted: the update's arguments, replayed into the handler.
          const input = a.acceptedRequest?.input;
          if (!input?.args) return e;
          const args = { ...input.args, payloads: (await t(input.args.payloads ?? [], ctx)) ?? [] };
          return withAttrs(e, key, { ...copy(a), acceptedRequest: { ...a.acceptedRequest, input: { ...input, args } } });
        }
        default:
          return e;
      }
      return withAttrs(e, key, await applyPlan(t, a, plan, ctx));
    }),
  );
}

async function localActivityMarker(t: PayloadsTransform, a: Obj, ctx: CodecContext): Promise<Obj> {
  const out = copy(a);
  if (a.details?.result) out.details = { ...a.details, result: { ...a.details.result, payloads: (await t(a.details.result.payloads ?? [], ctx)) ?? [] } };
  if (a.failure) out.failure = await transformOptionalFailure(t, a.failure, ctx);
  return out;
}

/**
 * A copy of `commands` with the payloads the official worker encodes: activity input,
 * workflow result, failure and cancellation details, continue-as-new input and memo,
 * child workflow input and memo (in the child's context), external signal input (in the
 * target's context), memo upserts and local activity results and failures in their
 * markers. With no codecs, `commands` is returned as is.
 */
export async function encodeCommands<C extends Obj>(codecs: readonly PayloadCodec[], commands: C[], scope: WorkflowCodecScope): Promise<C[]> {
  if (codecs.length === 0) return commands;
  const t = codecTransform(codecs, 'encode');
  return Promise.all(
    commands.map(async (c) => {
      const key = attrsKey(c);
      if (!key) return c;
      const a = c[key] as Obj;
      let plan: FieldPlan | undefined;
      let ctx = workflowContext(scope);
      switch (eventNumber(c.commandType)) {
        case 1:
          plan = { payloads: ['input'] };
          ctx = activityContext(scope, a.activityId, false);
          break;
        case 4:
          plan = { payloads: ['result'] };
          break;
        case 5:
          plan = { failures: ['failure'] };
          break;
        case 7:
          plan = { payloads: ['details'] };
          break;
        case 9:
          if (a.markerName !== LOCAL_ACTIVITY_MARKER) return c;
          return { ...c, [key]: await localActivityMarker(t, a, activityContext(scope, undefined, true)) };
        case 10:
          plan = { payloads: ['input', 'lastCompletionResult'], failures: ['failure'], maps: [['memo', 'fields']] };
          break;
        case 11:
          plan = { payloads: ['input'], maps: [['memo', 'fields']] };
          ctx = otherWorkflowContext(scope, a.workflowId, a.namespace);
          break;
        case 12:
          plan = { payloads: ['input'] };
          ctx = otherWorkflowContext(scope, a.execution?.workflowId, a.namespace);
          break;
        case 16:
          plan = { maps: [['upsertedMemo', 'fields']] };
          break;
        default:
          return c;
      }
      return { ...c, [key]: await applyPlan(t, a, plan, ctx) };
    }),
  );
}
