/**
 * @module Budget windows: calendar windows (day, ISO week, month) in an IANA timezone, `total`, and rolling
 * lengths kept as bucket rings (minute buckets, hour buckets from 2 days on).
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Longest rolling window accepted (hour buckets: 8,784 slots). */
const MAX_ROLLING_MS = 366 * DAY;

export type WindowSpec =
  | { kind: "calendar"; unit: "day" | "week" | "month"; timezone: string }
  | { kind: "total" }
  | { kind: "rolling"; lengthMs: number; bucketMs: number; buckets: number; label: string };

/** The window a budget names, or an error text (for DefinitionError) when it is not one. */
export function parseWindow(window: string, timezone: string): WindowSpec | string {
  if (window === "day" || window === "week" || window === "month") return { kind: "calendar", unit: window, timezone };
  if (window === "total") return { kind: "total" };
  const m = /^([1-9]\d{0,6})([mhd])$/.exec(window);
  if (m === null) return "must be day, week, month, total or a rolling length like 90m, 24h, 7d";
  const lengthMs = Number(m[1]) * (m[2] === "m" ? MINUTE : m[2] === "h" ? HOUR : DAY);
  if (lengthMs > MAX_ROLLING_MS) return "must be at most 366d when rolling";
  // Minute buckets keep short windows precise; long ones use hours so the ring stays small.
  const bucketMs = lengthMs >= 2 * DAY ? HOUR : MINUTE;
  if (lengthMs % bucketMs !== 0) return "must be a whole number of hours when rolling over 2 days or more";
  return { kind: "rolling", lengthMs, bucketMs, buckets: lengthMs / bucketMs, label: window };
}

/** True when `timezone` is an IANA name this runtime knows. */
export function isTimezone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The local wall clock at `t` as if it were UTC (epoch ms, whole seconds). */
function wallClock(t: number, timezone: string): number {
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatter(timezone).formatToParts(t)) {
    const v = Number(p.value);
    if (p.type === "year") y = v;
    else if (p.type === "month") mo = v;
    else if (p.type === "day") d = v;
    else if (p.type === "hour") h = v;
    else if (p.type === "minute") mi = v;
    else if (p.type === "second") s = v;
  }
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function offsetAt(t: number, timezone: string): number {
  return wallClock(t, timezone) - Math.floor(t / 1000) * 1000;
}

/**
 * The first instant of local midnight `wall` (a local date as UTC epoch ms). DST-safe: when midnight happens twice
 * the earlier wins; when it is skipped (a spring-forward at 00:00), the day starts at the transition.
 */
function localMidnight(wall: number, timezone: string): number {
  const before = wall - offsetAt(wall - DAY, timezone);
  const after = wall - offsetAt(wall + DAY, timezone);
  const okBefore = wallClock(before, timezone) === wall;
  const okAfter = wallClock(after, timezone) === wall;
  if (okBefore && okAfter) return Math.min(before, after);
  if (okBefore) return before;
  if (okAfter) return after;
  return before; // skipped midnight: `before` is the transition itself
}

/** The calendar window containing `now`: [start, end) in epoch ms. */
export function calendarWindow(unit: "day" | "week" | "month", timezone: string, now: number): { start: number; end: number } {
  const wall = new Date(wallClock(now, timezone));
  const y = wall.getUTCFullYear(), m = wall.getUTCMonth(), d = wall.getUTCDate();
  let from: number, to: number;
  if (unit === "day") {
    from = Date.UTC(y, m, d);
    to = Date.UTC(y, m, d + 1);
  } else if (unit === "week") {
    const sinceMonday = (wall.getUTCDay() + 6) % 7;
    from = Date.UTC(y, m, d - sinceMonday);
    to = Date.UTC(y, m, d - sinceMonday + 7);
  } else {
    from = Date.UTC(y, m, 1);
    to = Date.UTC(y, m + 1, 1);
  }
  return { start: localMidnight(from, timezone), end: localMidnight(to, timezone) };
}

/** ISO-8601 UTC without milliseconds when they are zero ("2026-12-01T00:00:00Z"). */
export function isoTime(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith(".000Z") ? `${text.slice(0, -5)}Z` : text;
}
