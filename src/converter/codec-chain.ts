/**
 * Payload codecs on the SDK side: running a chain of codecs in one direction, and walking
 * failures, maps and optional payload lists the way the official SDK's codec helpers do.
 *
 * Codecs run outside the workflow sandbox only; nothing here imports a Node built-in.
 */
import type { ProtoFailure } from './failures';
import type { Payload } from '../common/payload';

import { decodePayloads, encodePayloads, type CodecContext, type PayloadCodec } from '../../codecs/payload-codec';

// The codec contract and chain helpers live with the codecs (codecs/payload-codec.ts);
// the SDK side re-exports them so worker and client code has one import.
export { decodePayloads, encodePayloads };
export type { CodecContext, PayloadCodec };

type Direction = 'encode' | 'decode';

/** A codec chain bound to one direction; `undefined` in, `undefined` out. */
export type PayloadsTransform = (payloads: Payload[] | null | undefined, context?: CodecContext) => Promise<Payload[] | undefined>;

/** The encode or decode direction of `codecs`, skipping the work when there are none. */
export function codecTransform(codecs: readonly PayloadCodec[], direction: Direction): PayloadsTransform {
  return async (payloads, context) => {
    if (payloads == null) return undefined;
    if (codecs.length === 0 || payloads.length === 0) return payloads;
    return direction === 'encode' ? encodePayloads(codecs, payloads, context) : decodePayloads(codecs, payloads, context);
  };
}

/** `{ payloads }` through `t`, or `undefined`. */
export async function transformPayloadsField(
  t: PayloadsTransform,
  field: { payloads?: Payload[] | null } | null | undefined,
  context?: CodecContext,
): Promise<{ payloads: Payload[] } | undefined> {
  if (!field) return undefined;
  return { payloads: (await t(field.payloads ?? [], context)) ?? [] };
}

/** Each value of a payload map (memo fields) through `t`, one codec call per entry, as the official SDK does. */
export async function transformPayloadMap(
  t: PayloadsTransform,
  map: Record<string, Payload> | null | undefined,
  context?: CodecContext,
): Promise<Record<string, Payload> | undefined> {
  if (!map) return undefined;
  const entries = await Promise.all(Object.entries(map).map(async ([k, p]) => [k, (await t([p], context))![0]!] as const));
  return Object.fromEntries(entries);
}

/**
 * A copy of `failure` with every payload transformed: `encodedAttributes`, application
 * and cancellation details, last heartbeat details (timeout and reset), through the
 * whole `cause` chain — the fields the official `encodeFailure`/`decodeFailure` walk.
 */
export async function transformFailure(t: PayloadsTransform, failure: ProtoFailure, context?: CodecContext, depth = 0): Promise<ProtoFailure> {
  const out: ProtoFailure = { ...failure };
  if (failure.encodedAttributes) out.encodedAttributes = (await t([failure.encodedAttributes], context))![0];
  if (failure.cause && depth < 200) out.cause = await transformFailure(t, failure.cause, context, depth + 1);
  const app = failure.applicationFailureInfo;
  if (app?.details) out.applicationFailureInfo = { ...app, details: await transformPayloadsField(t, app.details, context) };
  const timeout = failure.timeoutFailureInfo;
  if (timeout?.lastHeartbeatDetails)
    out.timeoutFailureInfo = { ...timeout, lastHeartbeatDetails: await transformPayloadsField(t, timeout.lastHeartbeatDetails, context) };
  const cancelled = failure.canceledFailureInfo;
  if (cancelled?.details) out.canceledFailureInfo = { ...cancelled, details: await transformPayloadsField(t, cancelled.details, context) };
  const reset = failure.resetWorkflowFailureInfo;
  if (reset?.lastHeartbeatDetails)
    out.resetWorkflowFailureInfo = { ...reset, lastHeartbeatDetails: await transformPayloadsField(t, reset.lastHeartbeatDetails, context) };
  return out;
}

/** `failure` through `t`, or `undefined`. */
export async function transformOptionalFailure(
  t: PayloadsTransform,
  failure: ProtoFailure | null | undefined,
  context?: CodecContext,
): Promise<ProtoFailure | undefined> {
  return failure ? transformFailure(t, failure, context) : undefined;
}

/** The marker an encryption codec may carry so converters can tell it encrypts (see {@link isEncryptingCodec}). */
export const ENCRYPTING_CODEC_MARKER = Symbol.for('bastion.codec.encrypts');

/**
 * Whether `codec` encrypts: one carrying the `Symbol.for('bastion.codec.encrypts')`
 * marker, or any codec with `encrypts === true` (Bastion's `EncryptionCodec` has it).
 */
export function isEncryptingCodec(codec: unknown): boolean {
  if (typeof codec !== 'object' || codec === null) return false;
  const c = codec as Record<string | symbol, unknown>;
  return c[ENCRYPTING_CODEC_MARKER] === true || c.encrypts === true;
}
