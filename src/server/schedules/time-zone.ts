/**
 * IANA time zones through Node's built-in Intl: the UTC offset at an instant, the wall
 * clock fields of an instant, and the instants (none, one or two) showing a wall time.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether Intl knows the zone name (`America/New_York`, `UTC`). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const isUtc = (zone: string) => zone === '' || zone === 'UTC' || zone === 'Etc/UTC';

/** The wall clock of `instantMs` in `zone`, as milliseconds of a UTC date with the same fields. */
export function wallMs(instantMs: number, zone: string): number {
  if (isUtc(zone)) return instantMs;
  const base = Math.floor(instantMs / 1000) * 1000;
  const parts = formatter(zone).formatToParts(new Date(base));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  // Years before 1 AD do not occur in schedules; Intl's era handling is ignored.
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) + (instantMs - base);
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function offsetMs(instantMs: number, zone: string): number {
  return wallMs(instantMs, zone) - instantMs;
}

/**
 * The instants whose wall clock in `zone` reads `wall` (milliseconds of a UTC date with
 * the same fields), earliest first: none in a spring-forward gap, two in a fall-back fold.
 */
export function instantsOfWall(wall: number, zone: string): number[] {
  if (isUtc(zone)) return [wall];
  const day = 86_400_000;
  const offsets = new Set([offsetMs(wall - day, zone), offsetMs(wall + day, zone), offsetMs(wall, zone)]);
  const out: number[] = [];
  for (const off of offsets) {
    const instant = wall - off;
    if (offsetMs(instant, zone) === off && !out.includes(instant)) out.push(instant);
  }
  return out.sort((a, b) => a - b);
}
