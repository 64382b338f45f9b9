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
