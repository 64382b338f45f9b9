/**
 * Converting `client.schedule`'s option shapes to the wire (temporal.api.schedule.v1) and
 * back, as the official client does: calendars go as structured calendars, months and
 * days of the week by name, durations as protobuf Durations.
 */
import { invalidOption } from '../common/errors';
import { parseDuration, parsePositiveDuration } from '../common/duration';
import { temporal } from '../common/proto';
import {
  DAYS_OF_WEEK,
  MONTHS,
  ScheduleOverlapPolicy,
  type CalendarSpec,
  type CalendarSpecDescription,
  type ScheduleSpec,
  type ScheduleSpecDescription,
} from './schedule-types';

const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;

const OVERLAP_WIRE: Record<string, number> = {
  SKIP: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP,
  BUFFER_ONE: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
  BUFFER_ALL: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
  CANCEL_OTHER: Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
  TERMINATE_OTHER: Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
  ALLOW_ALL: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
};

/** An overlap policy name (or `SCHEDULE_OVERLAP_POLICY_…`, or the number) as its wire value. */
export function encodeOverlap(policy: unknown, option = 'policies.overlap'): number | undefined {
  if (policy === undefined || policy === null) return undefined;
  if (typeof policy === 'number' && Object.values(OVERLAP_WIRE).includes(policy)) return policy;
  const name = typeof policy === 'string' ? policy.replace(/^SCHEDULE_OVERLAP_POLICY_/, '') : '';
  const wire = OVERLAP_WIRE[name];
  if (wire === undefined) throw invalidOption(option, `must be one of ${Object.keys(OVERLAP_WIRE).join(', ')}; got ${String(policy)}.`);
  return wire;
}

export function decodeOverlap(wire: number | null | undefined): ScheduleOverlapPolicy {
  const name = Object.keys(OVERLAP_WIRE).find((k) => OVERLAP_WIRE[k] === wire);
  return (name as ScheduleOverlapPolicy) ?? ScheduleOverlapPolicy.SKIP;
}

export const dur = (ms: number | undefined) => (ms === undefined ? undefined : { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
export const tsOf = (d: Date | undefined) => (d ? { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1e6 } : undefined);
export const dateOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined =>
  t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)) : undefined;
export const msOf = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined => (d ? dateOf(d)!.getTime() : undefined);

type Field = keyof Omit<CalendarSpec, 'comment'>;
const BOUNDS: Record<Field, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  year: [0, Number.MAX_SAFE_INTEGER],
  dayOfWeek: [0, 6],
};
/** Wire ranges when a field is left out: 0 for the clock fields, every value for the date fields (no range = every year). */
const DEFAULTS: Record<Field, Array<{ start: number; end: number; step: number }>> = {
  second: [{ start: 0, end: 0, step: 1 }],
  minute: [{ start: 0, end: 0, step: 1 }],
  hour: [{ start: 0, end: 0, step: 1 }],
  dayOfMonth: [{ start: 1, end: 31, step: 1 }],
  month: [{ start: 1, end: 12, step: 1 }],
  year: [],
  dayOfWeek: [{ start: 0, end: 6, step: 1 }],
};

function valueOf(field: Field, v: unknown, option: string): number {
  let n: number | undefined;
  if (field === 'month') n = typeof v === 'string' ? MONTHS.indexOf(v as never) + 1 || undefined : undefined;
  else if (field === 'dayOfWeek') n = typeof v === 'string' && DAYS_OF_WEEK.includes(v as never) ? DAYS_OF_WEEK.indexOf(v as never) : undefined;
  else n = typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  const [min, max] = BOUNDS[field];
  if (n === undefined || n < min || n > max) {
    const form = field === 'month' ? 'a month name such as "JANUARY"' : field === 'dayOfWeek' ? 'a day name such as "MONDAY"' : `an integer ${min}-${max}`;
    throw invalidOption(option, `must be ${form}, a range { start, end, step } of those, a list, or '*'; got ${JSON.stringify(v)}.`);
  }
  return n;
}

function encodeField(field: Field, input: unknown, option: string): Array<{ start: number; end: number; step: number }> {
  if (input === undefined) return DEFAULTS[field];
  if (input === '*') return field === 'year' ? [] : [{ start: BOUNDS[field][0], end: BOUNDS[field][1], step: 1 }];
  return (Array.isArray(input) ? input : [input]).map((item) => {
    if (item && typeof item === 'object' && 'start' in item) {
      const start = valueOf(field, item.start, option);
      const end = item.end === undefined ? start : valueOf(field, item.end, option);
      const step = typeof item.step === 'number' && item.step > 0 ? item.step : 1;
      return { start, end, step };
    }
    const v = valueOf(field, item, option);
    return { start: v, end: v, step: 1 };
  });
}

function decodeField(field: Field, ranges: Array<{ start?: number | null; end?: number | null; step?: number | null }> | null | undefined): Range[] {
  const name = (n: number) => (field === 'month' ? MONTHS[n - 1] : field === 'dayOfWeek' ? DAYS_OF_WEEK[n] : n);
  return (ranges ?? []).map((r) => {
    const start = r.start ?? 0;
    const end = r.end && r.end > start ? r.end : start;
    return { start: name(start), end: name(end), step: r.step && r.step > 0 ? r.step : 1 };
  });
}
type Range = { start: number | string; end: number | string; step: number };

const FIELDS: Field[] = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'];

function encodeCalendars(specs: CalendarSpec[] | undefined, option: string) {
  return specs?.map((c, i) => {
    const out: Record<string, unknown> = { comment: c.comment };
    for (const f of FIELDS) out[f] = encodeField(f, c[f], `${option}[${i}].${f}`);
    return out;
  });
}

function decodeCalendars(specs: Array<Record<string, any>> | null | undefined): CalendarSpecDescription[] {
  return (specs ?? []).map((c) => {
    const out: Record<string, unknown> = {};
    for (const f of FIELDS) out[f] = decodeField(f, c[f]);
    if (c.comment) out.comment = c.comment;
    return out as unknown as CalendarSpecDescription;
  });
}

/** A ScheduleSpec in wire form. @throws {ConfigError} `ERR_INVALID_OPTION` naming the field */
export function encodeScheduleSpec(spec: ScheduleSpec | undefined) {
  if (!spec || typeof spec !== 'object') throw invalidOption('spec', 'is required: give `intervals`, `calendars` or `cronExpressions`.');
  return {
    structuredCalendar: encodeCalendars(spec.calendars, 'spec.calendars'),
    interval: spec.intervals?.map((i, n) => ({
      interval: dur(parsePositiveDuration(i.every, `spec.intervals[${n}].every`)),
      phase: i.offset === undefined ? undefined : dur(parseDuration(i.offset, `spec.intervals[${n}].offset`)),
    })),
    cronString: spec.cronExpressions,
    excludeStructuredCalendar: encodeCalendars(spec.skip, 'spec.skip'),
    startTime: tsOf(spec.startAt),
    endTime: tsOf(spec.endAt),
    jitter: spec.jitter === undefined ? undefined : dur(parseDuration(spec.jitter, 'spec.jitter')),
    timezoneName: spec.timezone,
  };
}

export function decodeScheduleSpec(pb: Record<string, any>): ScheduleSpecDescription {
  return {
    calendars: decodeCalendars(pb.structuredCalendar),
    intervals: (pb.interval ?? []).map((i: Record<string, any>) => ({ every: msOf(i.interval) ?? 0, offset: msOf(i.phase) ?? 0 })),
    skip: decodeCalendars(pb.excludeStructuredCalendar),
    startAt: dateOf(pb.startTime),
    endAt: dateOf(pb.endTime),
    jitter: msOf(pb.jitter),
    timezone: pb.timezoneName || undefined,
  };
}

export function decodeRecentActions(pb: Array<Record<string, any>> | null | undefined) {
  return (pb ?? []).map((r) => ({
    scheduledAt: dateOf(r.scheduleTime)!,
    takenAt: dateOf(r.actualTime)!,
    action: {
      type: 'startWorkflow' as const,
      workflow: { workflowId: r.startWorkflowResult?.workflowId ?? '', firstExecutionRunId: r.startWorkflowResult?.runId ?? '' },
    },
  }));
}
