/** @module Text parameters (HTTP query or CLI flags) → filter, group, limit, cursor, format. One parser for both. */
import type { Outcome } from "../usage/record.ts";
import { OUTCOMES } from "../usage/record.ts";
import { FILTER_FIELDS, type RequestFilter } from "./filter.ts";
import { parseTimeRange } from "./time-range.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Reads one named parameter; undefined when absent. */
export type ParamGetter = (name: string) => string | undefined;

export const GROUP_BYS = ["day", "hour", "provider", "model", "key_id", "user", "project"] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** A time bucket paired with a dimension (`hour,model`): the series of a stacked chart. */
export const TIME_GROUPS = ["day", "hour"] as const;
export type TimeGroup = (typeof TIME_GROUPS)[number];
export type Dimension = Exclude<GroupBy, TimeGroup>;
export type Grouping = GroupBy | readonly [TimeGroup, Dimension];
const DIMENSIONS = GROUP_BYS.filter((g): g is Dimension => g !== "day" && g !== "hour");

export const EXPORT_FORMATS = ["csv", "json", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const DEFAULT_GROUP_BY: GroupBy = "model";
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

const quote = (v: string): string => JSON.stringify(v);

/** Filters and time range; `name` lets the CLI say `--key-id` where HTTP says `key_id`. */
export function parseFilter(
  get: ParamGetter,
  now: number,
  name: (field: string) => string = (f) => f,
): Parsed<RequestFilter> {
  const filter: RequestFilter = {};
  for (const field of FILTER_FIELDS) {
    const value = get(field);
    if (value === undefined || value === "") continue;
    if (field === "outcome") {
      if (!(OUTCOMES as readonly string[]).includes(value)) {
        return { ok: false, message: `Invalid ${name(field)} ${quote(value)}: use one of ${OUTCOMES.join(", ")}` };
      }
      filter.outcome = value as Outcome;
    } else {
      filter[field] = value;
    }
  }
  const range = parseTimeRange({ since: get("since"), until: get("until") }, now);
  if (!range.ok) return range;
  if (range.range.since !== null) filter.since = range.range.since;
  if (range.range.until !== null) filter.until = range.range.until;
  return { ok: true, value: filter };
}

function oneOf<T extends string>(label: string, options: readonly T[], fallback: T, text?: string): Parsed<T> {
  if (text === undefined || text === "") return { ok: true, value: fallback };
  if ((options as readonly string[]).includes(text)) return { ok: true, value: text as T };
  return { ok: false, message: `Invalid ${label} ${quote(text)}: use one of ${options.join(", ")}` };
}

export function parseGroupBy(text: string | undefined, label = "group_by"): Parsed<GroupBy> {
  return oneOf(label, GROUP_BYS, DEFAULT_GROUP_BY, text);
}

/** One group (`model`, as parseGroupBy) or a time bucket then a dimension (`hour,model`). */
export function parseGrouping(text: string | undefined, label = "group_by"): Parsed<Grouping> {
  const comma = text === undefined ? -1 : text.indexOf(",");
  if (text === undefined || comma < 0) return parseGroupBy(text, label);
  const [head, tail] = [text.slice(0, comma), text.slice(comma + 1)];
  if (head === "" || tail === "") {
    return { ok: false, message: `Invalid ${label} ${quote(text)}: use a time (day, hour), a comma, then a field` };
  }
  const time = oneOf(`first ${label}`, TIME_GROUPS, "day", head);
  if (!time.ok) return time;
  const by = oneOf(`second ${label}`, DIMENSIONS, DEFAULT_GROUP_BY as Dimension, tail);
  if (!by.ok) return by;
  return { ok: true, value: [time.value, by.value] };
}

export function parseFormat(text: string | undefined, label = "format"): Parsed<ExportFormat> {
  return oneOf(label, EXPORT_FORMATS, "csv", text);
}

export function parseLimit(text: string | undefined): Parsed<number> {
  if (text === undefined || text === "") return { ok: true, value: DEFAULT_LIST_LIMIT };
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_LIST_LIMIT)) {
    return { ok: false, message: `Invalid limit ${quote(text)}: use a whole number from 1 to ${MAX_LIST_LIMIT}` };
  }
  return { ok: true, value: n };
}

/** The cursor is the last row's `ts` (24 characters, canonical) followed by its `id`. */
export function parseCursor(text: string | undefined): Parsed<{ ts: string; id: string } | null> {
  if (text === undefined || text === "") return { ok: true, value: null };
  const ts = text.slice(0, 24);
  if (text.length <= 24 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(ts)) {
    return { ok: false, message: `Invalid before ${quote(text)}: pass the next_before value of a previous page` };
  }
  return { ok: true, value: { ts, id: text.slice(24) } };
}

export function formatCursor(ts: string, id: string): string {
  return ts + id;
}
