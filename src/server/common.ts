/** Small shared helpers of the dev server's feature modules. */
import { durationFromMs, msFromProto, temporal, timestampFromMs } from '../common/proto';
import { invalidArgument } from './service-error';
import type { JsonRetryPolicy } from './state';
import { payloadsSize } from './json-proto';

export const Enums = temporal.api.enums.v1;
export const Status = Enums.WorkflowExecutionStatus;

export const ts = timestampFromMs;
export const dur = durationFromMs;

/** Milliseconds of a JSON-form Duration; 0 when absent. */
export function ms(value: { seconds?: number; nanos?: number } | undefined | null): number {
  return msFromProto(value as never) ?? 0;
}

/** INVALID_ARGUMENT unless `value` is a non-empty string of at most `max` characters. */
export function requireId(value: unknown, field: string, max = 1000): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`\`${field}\` is required and must not be empty.`);
  if (value.length > max) throw invalidArgument(`\`${field}\` is ${value.length} characters long; the limit is ${max}.`);
  return value;
}

/** INVALID_ARGUMENT when the payloads of `field` are over the blob size limit. */
export function checkBlobSize(limit: number, field: string, payloads: Parameters<typeof payloadsSize>[0]): void {
  const size = payloadsSize(payloads);
  if (size > limit) {
    throw invalidArgument(`\`${field}\` is ${size} bytes; the blob size limit is ${limit} bytes. Store large data elsewhere and pass a reference.`);
  }
}

/** A Temporal RetryPolicy with Temporal's defaults applied. */
export function normalizeRetryPolicy(p: Record<string, any> | undefined | null, defaultMaxAttempts = 0): JsonRetryPolicy {
  const initial = ms(p?.initialInterval) || 1000;
  return {
    initialIntervalMs: initial,
    backoffCoefficient: p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2,
    maximumIntervalMs: ms(p?.maximumInterval) || initial * 100,
    maximumAttempts: p?.maximumAttempts ?? defaultMaxAttempts,
    nonRetryableErrorTypes: p?.nonRetryableErrorTypes ?? [],
  };
}

export function retryPolicyToJson(p: JsonRetryPolicy): Record<string, unknown> {
  return {
    initialInterval: dur(p.initialIntervalMs),
    backoffCoefficient: p.backoffCoefficient,
    maximumInterval: dur(p.maximumIntervalMs),
    maximumAttempts: p.maximumAttempts,
    nonRetryableErrorTypes: p.nonRetryableErrorTypes,
  };
}

/** Backoff before attempt `nextAttempt` (2 = first retry). */
export function retryBackoffMs(p: JsonRetryPolicy, nextAttempt: number): number {
  const raw = p.initialIntervalMs * Math.pow(p.backoffCoefficient, Math.max(0, nextAttempt - 2));
  return Math.min(raw, p.maximumIntervalMs);
}

/**
 * Whether a failure may be retried under a policy, and the retry state if not.
 * `failure` is a Temporal Failure in JSON form.
 */
export function retryDecision(
  p: JsonRetryPolicy,
  attempt: number,
  failure: Record<string, any> | undefined,
): { retry: true } | { retry: false; retryState: number } {
  const RS = Enums.RetryState;
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable || failure?.serverFailureInfo?.nonRetryable) return { retry: false, retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
  const type = app?.type;
  if (type && p.nonRetryableErrorTypes.includes(type)) return { retry: false, retryState: RS.RETRY_STATE_NON_RETRYABLE_FAILURE };
  if (p.maximumAttempts > 0 && attempt >= p.maximumAttempts) return { retry: false, retryState: RS.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  return { retry: true };
}
