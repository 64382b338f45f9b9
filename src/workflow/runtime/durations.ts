/** Durations inside the sandbox: milliseconds, `ms`-package strings (`'10s'`, `'1 minute'`) or protobuf Durations, as in the official SDK. */
import { parseDuration } from '../../common/duration';

export function msFromDurationInSandbox(value: unknown, option: string): number {
  return parseDuration(value, option);
}

/** A `google.protobuf.Duration` for milliseconds. */
export function durationProto(ms: number | undefined): { seconds: number; nanos: number } | undefined {
  if (ms === undefined) return undefined;
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function optionalMs(value: unknown, option: string): number | undefined {
  return value === undefined || value === null ? undefined : parseDuration(value, option);
}

/** A `google.protobuf.Timestamp` as the official SDK's interceptors see one (`seconds` may be a Long). */
export interface Timestamp {
  seconds?: number | string | { toNumber(): number } | null;
  nanos?: number | null;
}

/** A Timestamp for milliseconds since the epoch. */
export function timestampProto(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds since the epoch of a Timestamp (`undefined` when absent). */
export function timestampMs(t: Timestamp | undefined): number | undefined {
  if (!t) return undefined;
  const s = t.seconds;
  const seconds = s === undefined || s === null ? 0 : typeof s === 'object' ? s.toNumber() : Number(s);
  return seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}
