/**
 * A schedule's spec: the request's spec (cron strings, string calendars, structured
 * calendars, intervals) canonicalised the way Temporal Server stores and describes it
 * (structured calendars and intervals only, the zone in `timezoneName`), and compiled to
 * find the next action times in the spec's time zone, with start/end bounds, exclusions
 * and jitter.
 */
import { createHash } from 'node:crypto';
import { ms } from '../common';
import { timestampFromMs, durationFromMs } from '../../common/proto';
import { CompiledCalendar, normalizeStructured, parseCron, specError, structuredFromCalendar, type StructuredCalendar } from './calendar';
import { instantsOfWall, isKnownTimeZone, offsetMs, wallMs } from './time-zone';

/** The spec as stored: JSON form of temporal.api.schedule.v1.ScheduleSpec, canonical. */
export type JsonSpec = Record<string, any>;

const tsMs = (t: { seconds?: number; nanos?: number } | undefined | null) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined);

/**
 * Validates a request's spec and returns it canonical: cron strings and calendars become
 * structured calendars (or intervals for `@every`), the zone moves to `timezoneName`.
 * @throws INVALID_ARGUMENT "Invalid schedule spec: …" naming the field
 */
export function canonicalSpec(spec: JsonSpec | undefined | null): JsonSpec {
  const s = spec ?? {};
  const structured: StructuredCalendar[] = (s.structuredCalendar ?? []).map((c: never) => normalizeStructured(c));
  const intervals: Array<{ everyMs: number; phaseMs: number }> = (s.interval ?? []).map((i: Record<string, any>) => ({
    everyMs: ms(i.interval),
    phaseMs: ms(i.phase),
  }));
  let timezone: string = s.timezoneName ?? '';
  for (const c of s.calendar ?? []) structured.push(structuredFromCalendar(c));
  for (const cron of s.cronString ?? []) {
    const parsed = parseCron(cron);
    if (parsed.timezone) {
      if (timezone && timezone !== parsed.timezone)
        throw specError(`cron string "${cron}" names time zone ${parsed.timezone} but \`timezoneName\` is ${timezone}; give one.`);
      timezone = parsed.timezone;
    }
    if ('calendar' in parsed) structured.push(parsed.calendar);
    else intervals.push(parsed.interval);
  }
  for (const i of intervals) {
    if (!(i.everyMs >= 1000)) throw specError('`interval.interval` must be at least 1 second.');
    if (i.phaseMs < 0 || i.phaseMs >= i.everyMs) throw specError('`interval.phase` must be at least 0 and shorter than `interval.interval`.');
  }
  if (s.timezoneData) throw specError('`timezoneData` (a TZif file) is not supported by the Bastion dev server; pass `timezoneName`.');
  if (timezone && !isKnownTimeZone(timezone))
    throw specError(`unknown time zone "${timezone}" in \`timezoneName\`; use an IANA name such as "America/New_York" or "UTC".`);
  const excludes = [...(s.excludeStructuredCalendar ?? []).map((c: never) => normalizeStructured(c)), ...(s.excludeCalendar ?? []).map(structuredFromCalendar)];
  const jitterMs = ms(s.jitter);
  if (jitterMs < 0) throw specError('`jitter` must not be negative.');
  const start = tsMs(s.startTime);
  const end = tsMs(s.endTime);
  if (start !== undefined && end !== undefined && end < start) throw specError('`endTime` is before `startTime`.');
  return {
    structuredCalendar: structured,
    interval: intervals.map((i) => ({ interval: durationFromMs(i.everyMs), phase: i.phaseMs ? durationFromMs(i.phaseMs) : undefined })),
    excludeStructuredCalendar: excludes.length ? excludes : undefined,
    startTime: s.startTime,
    endTime: s.endTime,
    jitter: jitterMs ? s.jitter : undefined,
    timezoneName: timezone || undefined,
  };
}

/** One action time: the spec's `nominal` time and the `actual` time after jitter. */
export interface ActionTime {
  nominal: number;
  actual: number;
}

/** A canonical spec compiled for computing times. */
export class CompiledSpec {
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly intervals: Array<{ everyMs: number; phaseMs: number }>;
  private readonly zone: string;
  private readonly startMs?: number;
  private readonly endMs?: number;
  private readonly jitterMs: number;

  /** `seed` makes jitter differ between schedules yet repeat for one schedule (the schedule id). */
  constructor(
    spec: JsonSpec,
    private readonly seed = '',
  ) {
    this.calendars = (spec.structuredCalendar ?? []).map((c: StructuredCalendar) => new CompiledCalendar(c));
    this.excludes = (spec.excludeStructuredCalendar ?? []).map((c: StructuredCalendar) => new CompiledCalendar(c));
    this.intervals = (spec.interval ?? []).map((i: Record<string, any>) => ({ everyMs: ms(i.interval), phaseMs: ms(i.phase) }));
    this.zone = spec.timezoneName ?? '';
    this.startMs = tsMs(spec.startTime);
    this.endMs = tsMs(spec.endTime);
    this.jitterMs = ms(spec.jitter);
  }

  /** The first nominal time strictly after `afterMs`, or undefined when the spec has no more. */
  nextNominal(afterMs: number): number | undefined {
    let t = afterMs;
    if (this.startMs !== undefined && t < this.startMs) t = this.startMs - 1;
    for (let guard = 0; guard < 10_000; guard++) {
      let best: number | undefined;
      for (const c of this.calendars) {
        const n = this.nextCalendar(c, t);
        if (n !== undefined && (best === undefined || n < best)) best = n;
      }
      for (const i of this.intervals) {
        const n = i.phaseMs + i.everyMs * (Math.floor((t - i.phaseMs) / i.everyMs) + 1);
        if (best === undefined || n < best) best = n;
      }
      if (best === undefined || (this.endMs !== undefined && best > this.endMs)) return undefined;
      const wall = wallMs(best, this.zone);
      if (!this.excludes.some((x) => x.matches(wall))) return best;
      t = best;
    }
    return undefined;
  }

  /** The next action time after `afterMs` (nominal, and actual with jitter). */
  next(afterMs: number): ActionTime | undefined {
    const nominal = this.nextNominal(afterMs);
    if (nominal === undefined) return undefined;
    return { nominal, actual: nominal + this.jitterFor(nominal) };
  }

  /**
   * Jitter: a repeatable pseudo-random delay below `jitter` and below the gap to the next
   * nominal time, so jittered actions keep their order.
   */
  private jitterFor(nominal: number): number {
    if (!this.jitterMs) return 0;
    const following = this.nextNominal(nominal);
    const limit = following === undefined ? this.jitterMs : Math.min(this.jitterMs, following - nominal);
    if (limit <= 1) return 0;
    const h = createHash('sha256').update(`${this.seed}\u0000${nominal}`).digest();
    return h.readUInt32BE(0) % limit;
  }

  /**
   * The next match of a calendar after `afterMs`, in the spec's zone. Wall clock times
   * match literally: a time in a spring-forward gap is skipped, one in a fall-back fold
   * matches twice. Time is walked in stretches of constant UTC offset.
   */
  private nextCalendar(c: CompiledCalendar, afterMs: number): number | undefined {
    let from = afterMs;
    let exclusive = true;
    for (let guard = 0; guard < 1000; guard++) {
      const off = offsetMs(from, this.zone);
      const wall = c.nextWall(from + off + (exclusive ? 1 : 0));
      if (wall === undefined) return undefined;
      const instant = wall - off;
      const change = this.firstOffsetChange(from, instant, off);
      if (change === undefined) return instant;
      from = change;
      exclusive = false;
    }
    return undefined;
  }

  /** The first instant in (from, to] whose offset differs from `off`, to the second. */
  private firstOffsetChange(from: number, to: number, off: number): number | undefined {
    if (!this.zone || this.zone === 'UTC') return undefined;
    const WEEK = 7 * 86_400_000;
    let lo = from;
    while (lo < to) {
      const hi = Math.min(lo + WEEK, to);
      if (offsetMs(hi, this.zone) !== off) {
        let a = lo;
        let b = hi;
        while (b - a > 1000) {
          const mid = a + Math.floor((b - a) / 2000) * 1000;
          if (offsetMs(mid, this.zone) !== off) b = mid;
          else a = mid;
        }
        return b;
      }
      lo = hi;
    }
    return undefined;
  }

  /** Action times (actual, with jitter) in [startMs, endMs], at most `limit`. */
  between(startMs: number, endMs: number, limit = 1000): number[] {
    const out: number[] = [];
    let t = startMs - 1;
    while (out.length < limit) {
      const n = this.next(t);
      if (!n || n.nominal > endMs) break;
      out.push(n.actual);
      t = n.nominal;
    }
    return out;
  }
}

export const timestamp = timestampFromMs;
export { instantsOfWall };
