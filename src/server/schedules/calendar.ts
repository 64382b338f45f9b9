/**
 * Calendar specs as Temporal Server reads them: the string form (`CalendarSpec`, "1-5/2,
 * mon") and cron strings compile into the structured form (ranges with a step), which is
 * what the server stores and what Describe returns; a compiled calendar finds the next
 * matching wall-clock time.
 */
import { invalidArgument } from '../service-error';

export interface Range {
  start: number;
  end: number;
  step: number;
}

export interface StructuredCalendar {
  second: Range[];
  minute: Range[];
  hour: Range[];
  dayOfMonth: Range[];
  month: Range[];
  year: Range[];
  dayOfWeek: Range[];
  comment?: string;
}

export type CalendarField = Exclude<keyof StructuredCalendar, 'comment'>;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Bounds, the default when a string field is empty, and value names, per field. */
const FIELDS: Record<CalendarField, { min: number; max: number; dflt: string; names?: string[]; namesFrom?: number }> = {
  second: { min: 0, max: 59, dflt: '0' },
  minute: { min: 0, max: 59, dflt: '0' },
  hour: { min: 0, max: 23, dflt: '0' },
  dayOfMonth: { min: 1, max: 31, dflt: '*' },
  month: { min: 1, max: 12, dflt: '*', names: MONTHS, namesFrom: 1 },
  year: { min: 1970, max: 2999, dflt: '*' },
  dayOfWeek: { min: 0, max: 7, dflt: '*', names: DAYS, namesFrom: 0 },
};

/** The error a bad spec gets: the official client turns this prefix into a TypeError. */
export const specError = (what: string) => invalidArgument(`Invalid schedule spec: ${what}`);

function parseValue(field: CalendarField, text: string): number {
  const f = FIELDS[field];
  const lower = text.toLowerCase();
  if (f.names) {
    const i = f.names.findIndex((n) => lower.startsWith(n) && (lower.length === 3 || fullNameMatches(lower, n)));
    if (i >= 0) return i + f.namesFrom!;
  }
  if (!/^\d+$/.test(text)) throw specError(`\`${field}\` value "${text}" is not a number${f.names ? ' or a name' : ''}.`);
  const v = Number(text);
  if (v < f.min || v > f.max) throw specError(`\`${field}\` value ${v} is out of range ${f.min}-${f.max}.`);
  return v;
}

const FULL_NAMES = ['january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const fullNameMatches = (text: string, prefix: string) => [...FULL_NAMES, ...FULL_DAYS].some((n) => n === text && n.startsWith(prefix));

/** Parses one field of a CalendarSpec or cron string ("*", "1-5", "*\/15", "mon-fri", "1,3"). */
export function parseField(field: CalendarField, text: string | undefined | null): Range[] {
  const f = FIELDS[field];
  const source = text && text.trim() ? text.trim() : f.dflt;
  const out: Range[] = [];
  for (const item of source.split(',')) {
    const [body, stepText, extra] = item.trim().split('/');
    if (extra !== undefined || !body) throw specError(`\`${field}\` item "${item}" is malformed; use a value, a range a-b, or * with an optional /step.`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw specError(`\`${field}\` step "${stepText}" must be a positive integer.`);
      step = Number(stepText);
    }
    if (body === '*' || body === '?') {
      if (field === 'year' && step === 1) return [];
      out.push({ start: field === 'year' ? 1970 : f.min, end: field === 'dayOfWeek' ? 6 : field === 'year' ? 2999 : f.max, step });
      continue;
    }
    const [a, b, more] = body.split('-');
    if (more !== undefined) throw specError(`\`${field}\` range "${body}" is malformed.`);
    const start = parseValue(field, a!);
    // "5/10" means from 5 to the field's end, every 10.
    const end = b !== undefined ? parseValue(field, b) : stepText !== undefined ? f.max : start;
    if (end < start) throw specError(`\`${field}\` range "${body}" ends before it starts.`);
    out.push({ start, end, step });
  }
  return out;
}

/** A CalendarSpec (string fields) in structured form. */
export function structuredFromCalendar(c: Record<string, string | undefined>): StructuredCalendar {
  const s = {} as StructuredCalendar;
  for (const field of Object.keys(FIELDS) as CalendarField[]) s[field] = parseField(field, c[field]);
  if (c.comment) s.comment = c.comment;
  return s;
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export type CronParsed = { calendar: StructuredCalendar; timezone?: string } | { interval: { everyMs: number; phaseMs: number }; timezone?: string };

function parseEveryDuration(text: string, cron: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw specError(`cron string "${cron}": \`@every\` takes a duration such as 30s, 5m, 2h or 1d.`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's']!;
}

/**
 * A cron string as Temporal reads it: 5 fields (minute hour day-of-month month
 * day-of-week), 6 (… year) or 7 (second … year); @yearly…@hourly; `@every 10m[/5m]`;
 * an optional `CRON_TZ=` or `TZ=` prefix and a `#` comment.
 */
export function parseCron(cron: string): CronParsed {
  let text = cron.trim();
  let comment: string | undefined;
  const hash = text.indexOf('#');
  if (hash >= 0) {
    comment = text.slice(hash + 1).trim();
    text = text.slice(0, hash).trim();
  }
  let timezone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (tz) {
    timezone = tz[1];
    text = text.slice(tz[0].length).trim();
  }
  if (text.startsWith('@every')) {
    const [, spec, more] = text.split(/\s+/);
    if (!spec || more) throw specError(`cron string "${cron}": write \`@every <interval>[/<phase>]\`.`);
    const [every, phase] = spec.split('/');
    return { interval: { everyMs: parseEveryDuration(every!, cron), phaseMs: phase ? parseEveryDuration(phase, cron) : 0 }, timezone };
  }
  const expanded = SHORTHANDS[text.toLowerCase()] ?? text;
  const parts = expanded.split(/\s+/).filter(Boolean);
  let fields: Record<string, string>;
  if (parts.length === 5) fields = { minute: parts[0]!, hour: parts[1]!, dayOfMonth: parts[2]!, month: parts[3]!, dayOfWeek: parts[4]! };
  else if (parts.length === 6) fields = { minute: parts[0]!, hour: parts[1]!, dayOfMonth: parts[2]!, month: parts[3]!, dayOfWeek: parts[4]!, year: parts[5]! };
  else if (parts.length === 7)
    fields = { second: parts[0]!, minute: parts[1]!, hour: parts[2]!, dayOfMonth: parts[3]!, month: parts[4]!, dayOfWeek: parts[5]!, year: parts[6]! };
  else throw specError(`cron string "${cron}" has ${parts.length} fields; expected 5, 6 or 7 (or @daily, @hourly, @every 5m).`);
  const calendar = structuredFromCalendar({ second: '0', ...fields });
  if (comment) calendar.comment = comment;
  return { calendar, timezone };
}

/** Checks a structured calendar's ranges (as the official client sends them) and fills defaults. */
export function normalizeStructured(c: Partial<Record<CalendarField, Array<Partial<Range>>>> & { comment?: string }): StructuredCalendar {
  const s = {} as StructuredCalendar;
  for (const field of Object.keys(FIELDS) as CalendarField[]) {
    const f = FIELDS[field];
    const ranges = c[field] ?? [];
    if (ranges.length === 0 && field !== 'year') {
      s[field] = parseField(field, undefined);
      continue;
    }
    s[field] = ranges.map((r) => {
      const start = r.start ?? 0;
      const end = Math.max(r.end ?? start, start);
      if (start < f.min || end > f.max) throw specError(`\`${field}\` range ${start}-${end} is out of bounds ${f.min}-${f.max}.`);
      return { start, end, step: r.step && r.step > 0 ? r.step : 1 };
    });
  }
  if (c.comment) s.comment = c.comment;
  return s;
}

const inRanges = (ranges: Range[], v: number) => ranges.some((r) => v >= r.start && v <= r.end && (v - r.start) % r.step === 0);

/** A calendar compiled for matching: value lists for the clock fields, tests for the date fields. */
export class CompiledCalendar {
  private readonly seconds: number[];
  private readonly minutes: number[];
  private readonly hours: number[];
  private readonly days: boolean[];
  private readonly months: boolean[];
  private readonly weekdays: boolean[];
  private readonly years: Range[];

  constructor(c: StructuredCalendar) {
    const list = (ranges: Range[], max: number) => Array.from({ length: max + 1 }, (_, i) => i).filter((v) => inRanges(ranges, v));
    this.seconds = list(c.second, 59);
    this.minutes = list(c.minute, 59);
    this.hours = list(c.hour, 23);
    this.days = Array.from({ length: 32 }, (_, i) => inRanges(c.dayOfMonth, i));
    this.months = Array.from({ length: 13 }, (_, i) => inRanges(c.month, i));
    this.weekdays = Array.from({ length: 7 }, (_, i) => inRanges(c.dayOfWeek, i) || (i === 0 && inRanges(c.dayOfWeek, 7)));
    this.years = c.year;
  }

  private yearMatches(y: number): boolean {
    return this.years.length === 0 || inRanges(this.years, y);
  }

  /** Whether a wall-clock time (ms of a UTC date with the same fields) matches. */
  matches(wall: number): boolean {
    const d = new Date(wall);
    return (
      d.getUTCMilliseconds() === 0 &&
      this.yearMatches(d.getUTCFullYear()) &&
      this.months[d.getUTCMonth() + 1]! &&
      this.days[d.getUTCDate()]! &&
      this.weekdays[d.getUTCDay()]! &&
      this.hours.includes(d.getUTCHours()) &&
      this.minutes.includes(d.getUTCMinutes()) &&
      this.seconds.includes(d.getUTCSeconds())
    );
  }

  /** The first matching wall-clock time at or after `minWall`, or undefined when there is none. */
  nextWall(minWall: number): number | undefined {
    if (!this.seconds.length || !this.minutes.length || !this.hours.length) return undefined;
    let t = Math.ceil(minWall / 1000) * 1000;
    const maxYear = this.years.length ? Math.max(...this.years.map((r) => r.end)) : 2999;
    for (let guard = 0; guard < 100_000; guard++) {
      const d = new Date(t);
      const y = d.getUTCFullYear();
      if (y > maxYear) return undefined;
      if (!this.yearMatches(y)) {
        t = Date.UTC(y + 1, 0, 1);
        continue;
      }
      const mo = d.getUTCMonth();
      if (!this.months[mo + 1]) {
        t = Date.UTC(y, mo + 1, 1);
        continue;
      }
      const day = d.getUTCDate();
      if (!this.days[day] || !this.weekdays[d.getUTCDay()]) {
        t = Date.UTC(y, mo, day + 1);
        continue;
      }
      const hh = d.getUTCHours();
      const h = this.hours.find((v) => v >= hh);
      if (h === undefined) {
        t = Date.UTC(y, mo, day + 1);
        continue;
      }
      if (h > hh) {
        t = Date.UTC(y, mo, day, h);
        continue;
      }
      const mm = d.getUTCMinutes();
      const m = this.minutes.find((v) => v >= mm);
      if (m === undefined) {
        t = Date.UTC(y, mo, day, h + 1);
        continue;
      }
      if (m > mm) {
        t = Date.UTC(y, mo, day, h, m);
        continue;
      }
      const ss = d.getUTCSeconds();
      const s = this.seconds.find((v) => v >= ss);
      if (s === undefined) {
        t = Date.UTC(y, mo, day, h, m + 1);
        continue;
      }
      return Date.UTC(y, mo, day, h, m, s);
    }
    return undefined;
  }
}
