/**
 * Durations in options, exactly as the official Temporal SDK accepts them: a number of
 * milliseconds, a string in any format of the `ms` package (`'500ms'`, `'10s'`, `'1.5h'`,
 * `'1 minute'`, `'2 hrs'`, `'10 sec'`, `'1d'`, a bare `'100'` is milliseconds), or a
 * protobuf `Duration` object (`{ seconds, nanos }`). The official SDK parses with the same
 * `ms` package, so every string it takes Bastion takes. Compiled options hold
 * milliseconds (`…Ms`), so code past validation never parses a duration again.
 */
import ms, { type StringValue } from 'ms';
import { invalidOption } from './errors';

/** A duration as users write it: milliseconds, a string such as `'10s'` or `'1 minute'`, or a protobuf Duration. */
export type Duration = number | string | { seconds?: number | string | { toNumber(): number } | null; nanos?: number | null };

/** Shows at most 40 characters of what the user passed (escaped), for error messages. */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function fromProtoDuration(value: { seconds?: unknown; nanos?: unknown }, option: string): number {
  const raw = value.seconds;
  const seconds =
    raw === undefined || raw === null
      ? 0
      : typeof raw === 'object' && typeof (raw as { toNumber?: unknown }).toNumber === 'function'
        ? (raw as { toNumber(): number }).toNumber()
        : Number(raw);
  const nanos = value.nanos === undefined || value.nanos === null ? 0 : Number(value.nanos);
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos) || seconds < 0 || nanos < 0 || nanos >= 1e9) {
    throw invalidOption(option, 'must be a protobuf Duration with non-negative `seconds` and `nanos` below 1e9.');
  }
  return Math.ceil(seconds * 1000 + nanos / 1e6);
}

/**
 * Converts a duration to whole milliseconds (fractions round up, so `'0.5ms'` is 1).
 *
 * @param value a number of milliseconds, a string in the `ms` package's formats (`'10s'`, `'1 minute'`), or a protobuf Duration
 * @param option the option's name, used in the error message (e.g. `startToCloseTimeout`)
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming the option and the value when it is not a finite, non-negative duration
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
    throw invalidOption(option, `must be a non-negative, finite number of milliseconds or a string such as "10s" or "1 minute"; got ${String(value)}.`);
  }
  if (typeof value === 'string') {
    let millis: number;
    try {
      millis = value.length <= 100 ? ms(value as StringValue) : NaN;
    } catch {
      millis = NaN;
    }
    if (Number.isFinite(millis) && millis >= 0) return Math.ceil(millis);
    throw invalidOption(
      option,
      `must be a duration such as "500ms", "10s", "1 minute", "2 hrs" or a number of milliseconds${Number.isFinite(millis) ? ', not negative' : ''}; got ${shown(value)}.`,
    );
  }
  if (typeof value === 'object' && value !== null && ('seconds' in value || 'nanos' in value)) return fromProtoDuration(value, option);
  throw invalidOption(option, `must be a duration such as "10s" or a number of milliseconds; got ${value === null ? 'null' : typeof value}.`);
}

/** Like {@link parseDuration}, and also rejects zero. */
export function parsePositiveDuration(value: unknown, option: string): number {
  const millis = parseDuration(value, option);
  if (millis === 0) throw invalidOption(option, 'must be longer than zero.');
  return millis;
}
