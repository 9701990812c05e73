/** @module `since` / `until` parsing: ISO dates, ISO datetimes and relative ages, against a given `now`. Pure. */

export type TimeBound = "since" | "until";

/** A half-open range `[since, until)` in canonical ISO form (comparable as text with stored `ts`). */
export interface TimeRange {
  since: string | null;
  until: string | null;
}

export type TimeRangeResult = { ok: true; range: TimeRange } | { ok: false; message: string };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY_MS = 86_400_000;
const RELATIVE = /^(\d{1,9})(s|m|h|d|w)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
// Keeps `toISOString()` in its 24-character form, which is what stored timestamps compare against.
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * One bound in epoch ms, or null when the text is not understood. A relative age (`90m`, `24h`, `7d`, `2w`)
 * counts back from `now`; `now` is now. A date is midnight UTC, except that an `until` date includes its
 * whole day (`--until 2026-11-30` ends at Dec 1 00:00). A datetime without a zone is UTC.
 */
export function parseTimeBound(text: string, now: number, bound: TimeBound): number | null {
  const value = text.trim();
  if (value.toLowerCase() === "now") return now;
  const rel = RELATIVE.exec(value);
  if (rel) return clamp(now - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number));
  const date = DATE.exec(value);
  if (date) {
    const ms = utc([date[1], date[2], date[3]], undefined);
    return ms === null ? null : clamp(bound === "until" ? ms + DAY_MS : ms);
  }
  const dt = DATETIME.exec(value);
  if (!dt) return null;
  const ms = utc([dt[1], dt[2], dt[3], dt[4], dt[5], dt[6]], dt[7]);
  if (ms === null) return null;
  const zone = dt[8];
  if (zone === undefined || zone.toUpperCase() === "Z") return clamp(ms);
  const sign = zone.startsWith("-") ? -1 : 1;
  const hh = Number(zone.slice(1, 3));
  const mm = Number(zone.slice(-2));
  if (hh > 23 || mm > 59) return null;
  return clamp(ms - sign * (hh * 60 + mm) * 60_000);
}

/** Both bounds; an error names the parameter and quotes the value. `since` must be before `until`. */
export function parseTimeRange(
  input: { since?: string | undefined; until?: string | undefined },
  now: number,
): TimeRangeResult {
  const range: TimeRange = { since: null, until: null };
  for (const bound of ["since", "until"] as const) {
    const text = input[bound];
    if (text === undefined || text === "") continue;
    const ms = parseTimeBound(text, now, bound);
    if (ms === null) {
      return {
        ok: false,
        message: `Invalid ${bound} ${JSON.stringify(text)}: use a date (2026-11-27), a datetime ` +
          `(2026-11-27T10:00Z) or an age (90m, 24h, 7d)`,
      };
    }
    range[bound] = new Date(ms).toISOString();
  }
  if (range.since !== null && range.until !== null && range.since >= range.until) {
    return {
      ok: false,
      message: `Since ${JSON.stringify(input.since)} is not before until ${JSON.stringify(input.until)}`,
    };
  }
  return { ok: true, range };
}

function clamp(ms: number): number {
  return Math.min(MAX_MS, Math.max(MIN_MS, ms));
}

/** Epoch ms for calendar fields, or null when one is out of range (2026-02-30 is rejected, not rolled over). */
function utc(fields: readonly (string | undefined)[], frac: string | undefined): number | null {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields.map((f) => Number(f ?? "0"));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const milli = frac === undefined ? 0 : Number(frac.padEnd(3, "0").slice(0, 3));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  // A day past the month's end rolls over in Date.UTC; so do years 0–99 (mapped to 19xx). Reject both.
  const back = new Date(ms);
  return back.getUTCDate() === day && back.getUTCFullYear() === year ? ms : null;
}
