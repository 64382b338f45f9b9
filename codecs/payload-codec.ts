/**
 * The `PayloadCodec` contract, the context a codec may bind payloads to, and the helpers
 * that run a chain of codecs in the official SDK's order (encode first to last, decode
 * last to first).
 */
import type { Payload } from '../src/common/payload';

/**
 * What a codec is told about the workflow (or activity) that owns the payloads.
 *
 * Accepts the official SDK 1.24's `SerializationContext` as it is (`{ type: 'workflow',
 * namespace, workflowId }` or `{ type: 'activity', namespace, workflowId?, activityId?,
 * isLocal }`) and the plain `{ namespace, workflowId }` Bastion's worker and client pass.
 * `EncryptionCodec` binds only `namespace` and `workflowId`: an activity's payloads carry
 * its workflow's id, so a failure that travels from an activity into its workflow's
 * failure still decodes under the workflow's context.
 */
export interface CodecContext {
  /** The namespace of the workflow that owns the payloads. */
  readonly namespace?: string;
  /** The id of the workflow that owns the payloads (for an activity: the workflow that scheduled it). */
  readonly workflowId?: string;
  /** `'workflow'` or `'activity'` when the official SDK passes its `SerializationContext`; codecs ignore it. */
  readonly type?: 'workflow' | 'activity';
  /** The activity's id, in an official activity context; codecs ignore it. */
  readonly activityId?: string;
  /** Whether the activity is local, in an official activity context; codecs ignore it. */
  readonly isLocal?: boolean;
}

/**
 * An optional step between the wire and the payload converter (encryption, compression).
 * Structurally the same as `PayloadCodec` of `@temporalio/common`, so an instance can be
 * put in the official SDK's `dataConverter.payloadCodecs` unchanged.
 */
export interface PayloadCodec {
  /**
   * Encodes payloads for the wire; returns as many payloads as it was given, in order.
   * @param payloads may be empty.
   * @param context the workflow that owns the payloads, when the caller knows it.
   */
  encode(payloads: Payload[], context?: CodecContext): Promise<Payload[]>;
  /**
   * Decodes payloads from the wire; payloads this codec did not write pass through unchanged.
   * @param context the workflow that owns the payloads, when the caller knows it.
   */
  decode(payloads: Payload[], context?: CodecContext): Promise<Payload[]>;
}

/**
 * Encodes `payloads` through each codec in array order, as the official SDK does:
 * with `[compression, encryption]` payloads are compressed, then encrypted.
 *
 * @throws {CodecError} whatever a codec throws, unchanged.
 */
export async function encodePayloads(codecs: readonly PayloadCodec[], payloads: Payload[], context?: CodecContext): Promise<Payload[]> {
  let out = payloads;
  for (const codec of codecs) out = await codec.encode(out, context);
  return out;
}

/**
 * Decodes `payloads` through each codec in reverse array order (the last codec of
 * {@link encodePayloads} goes first).
 *
 * @throws {CodecError} whatever a codec throws, unchanged.
 */
export async function decodePayloads(codecs: readonly PayloadCodec[], payloads: Payload[], context?: CodecContext): Promise<Payload[]> {
  let out = payloads;
  for (let i = codecs.length - 1; i >= 0; i--) out = await codecs[i]!.decode(out, context);
  return out;
}
