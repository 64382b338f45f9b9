/**
 * Durations in options: a number of milliseconds, or a string such as `'500ms'`, `'10s'`,
 * `'1.5m'`, `'2h'`, `'1d'`. Options take either; compiled options hold milliseconds
 * (`…Ms`), so code past validation never parses a duration again.
 */
import { invalidOption } from './errors';

/** A duration as users write it: milliseconds, or a number with a unit (`ms`, `s`, `m`, `h`, `d`). */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/;

/**
 * Converts a duration to whole milliseconds (fractions round up, so `'0.5ms'` is 1).
 *
 * @param value a number of milliseconds, or a string like `'10s'`; a bare numeric string is milliseconds
 * @param option the option's name, used in the error message (e.g. `connectTimeout`)
 * @throws {ConfigError} `ERR_INVALID_OPTION` when the value is not a finite, non-negative duration
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
    throw invalidOption(option, `must be a non-negative, finite number of milliseconds or a string such as "10s"; got ${String(value)}.`);
  }
  if (typeof value === 'string') {
    const m = DURATION_RE.exec(value);
    if (m) return Math.ceil(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    throw invalidOption(option, `must be a duration such as "500ms", "10s", "1m" or a number of milliseconds; got ${JSON.stringify(shown)}.`);
  }
  throw invalidOption(option, `must be a duration such as "10s" or a number of milliseconds; got ${value === null ? 'null' : typeof value}.`);
}

/** Like {@link parseDuration}, and also rejects zero. */
export function parsePositiveDuration(value: unknown, option: string): number {
  const ms = parseDuration(value, option);
  if (ms === 0) throw invalidOption(option, 'must be longer than zero.');
  return ms;
}
