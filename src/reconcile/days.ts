/** @module UTC days as `YYYY-MM-DD` text: the unit both providers bucket by and reconciliation compares in. */
import { parseTimeRange } from "../store/time-range.ts";

export const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Epoch ms of the day's start; NaN for text that is not a day. */
export const dayStart = (day: string): number => (DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN);

export const addDays = (day: string, n: number): string => dayOf(dayStart(day) + n * DAY_MS);

/** The days `[fromDay, toDay)`, oldest first. */
export function daysIn(fromDay: string, toDay: string): string[] {
  const out: string[] = [];
  for (let d = fromDay; d < toDay; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * `since` (default 7 days ago) and `until` (default now), as parsed for every report (src/store/time-range.ts), →
 * the whole UTC days they touch: `[fromDay, toDay)`. An error names the bound and quotes the value.
 */
export function dayRange(
  since: string | undefined,
  until: string | undefined,
  now: number,
): { ok: true; fromDay: string; toDay: string } | { ok: false; message: string } {
  const range = parseTimeRange({ since: since ?? "7d", until }, now);
  if (!range.ok) return range;
  const untilMs = range.range.until === null ? now : Date.parse(range.range.until);
  const last = dayOf(untilMs);
  return {
    ok: true,
    fromDay: dayOf(Date.parse(range.range.since as string)),
    toDay: dayStart(last) === untilMs ? last : addDays(last, 1),
  };
}
