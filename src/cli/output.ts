/**
 * Text output of the operator commands: aligned tables, times (ISO and "N s ago"),
 * short enum names, and one-line previews of payloads and failures.
 */
import { toNumber } from '../common/proto';
import { defaultPayloadConverter, failureToError, type Payload, type ProtoFailure } from '../converter';
import { decodeUtf8 } from '../common/payload';

/** Longest payload preview in text output, in characters. */
export const PREVIEW_LENGTH = 60;

/** Writes to stdout (tests stub `process.stdout.write`). */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Pretty JSON for `--output json`. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Rows as columns padded to the widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Name/value lines, names padded to the longest. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>, indent = '  '): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n');
}

interface Timestamp {
  seconds?: unknown;
  nanos?: number | null;
}

/** Milliseconds since the epoch of a `google.protobuf.Timestamp`, or undefined when unset. */
export function timestampMs(ts: Timestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  const ms = toNumber(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

/** ISO 8601 time of a timestamp, or `-`. */
export function isoTime(ts: Timestamp | null | undefined): string {
  const ms = timestampMs(ts);
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** "3 s ago", "4 min ago", "2 h ago", "5 d ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A `google.protobuf.Duration` as "10s" / "1.5s". */
export function durationText(d: Timestamp | null | undefined): string {
  if (!d) return '-';
  const ms = toNumber(d.seconds) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
  return `${ms / 1000}s`;
}

/**
 * An enum value's short name: `WORKFLOW_EXECUTION_STATUS_RUNNING` with prefix
 * `WORKFLOW_EXECUTION_STATUS_` becomes `Running`, as the Temporal CLI prints it.
 */
export function shortEnumName(enumObject: Record<string, unknown>, value: unknown, prefix: string): string {
  const name = typeof value === 'number' ? (enumObject[value] as string | undefined) : typeof value === 'string' ? value : undefined;
  if (!name) return String(value ?? '-');
  return name
    .replace(prefix, '')
    .toLowerCase()
    .replace(/(^|_)([a-z0-9])/g, (_m, _u: string, c: string) => c.toUpperCase());
}

/** Cuts `text` to `max` characters, marking the cut. */
export function truncate(text: string, max = PREVIEW_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function encodingOf(payload: Payload): string {
  const e = payload.metadata?.encoding;
  return e ? decodeUtf8(e) : '?';
}

/**
 * A short preview of a payload: json/plain decoded with the default payload converter,
 * json/protobuf as its JSON text, anything else (encrypted, binary) as its encoding and size.
 */
export function payloadPreview(payload: Payload | null | undefined, max = PREVIEW_LENGTH): string {
  if (!payload) return '-';
  const encoding = encodingOf(payload);
  const size = payload.data?.length ?? 0;
  try {
    if (encoding === 'json/plain' || encoding === 'binary/null') {
      const value = defaultPayloadConverter.fromPayload<unknown>(payload);
      return truncate(value === undefined ? 'undefined' : JSON.stringify(value), max);
    }
    if (encoding === 'json/protobuf' && payload.data) return truncate(decodeUtf8(payload.data), max);
  } catch {
    // Not what its encoding says; fall through to the description.
  }
  return `<${encoding}, ${size} bytes>`;
}

/** Previews of the payloads of a `Payloads` message, as a list. */
export function payloadsPreview(payloads: { payloads?: Payload[] | null } | null | undefined, max = PREVIEW_LENGTH): string {
  const list = payloads?.payloads ?? [];
  if (list.length === 1) return payloadPreview(list[0], max);
  return truncate(`[${list.map((p) => payloadPreview(p, max)).join(', ')}]`, max);
}

/** A failure in one line: its class and type (`ApplicationFailure(CardDeclined)`) and message. */
export function failureText(failure: ProtoFailure | null | undefined, max = 120): string {
  if (!failure) return '-';
  try {
    const err = failureToError(failure, defaultPayloadConverter) as Error & { type?: unknown };
    const type = typeof err.type === 'string' && err.type ? `(${err.type})` : '';
    return truncate(`${err.name}${type}: ${err.message}`, max);
  } catch {
    return truncate(String(failure.message ?? ''), max);
  }
}

/**
 * Writes a command's result in `format`: `json` pretty, `jsonl` one compact line (a list
 * one line per item), `none` nothing, `text` through `text()`.
 */
export function emit(format: 'text' | 'json' | 'jsonl' | 'none', value: unknown, text: () => string | void): void {
  if (format === 'none') return;
  if (format === 'json') printJson(value);
  else if (format === 'jsonl') {
    for (const item of Array.isArray(value) ? value : [value]) print(JSON.stringify(item));
  } else {
    const t = text();
    if (typeof t === 'string') print(t);
  }
}
