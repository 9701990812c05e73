/**
 * @module The usage report's SQL (both stores): each part of the range from the coarsest rollup that can answer it.
 * The day and hour rollups (src/store/rollup-levels.ts) take the whole days and hours of the range when their key
 * covers the query's filters and grouping; the quarter-hour rollup (src/store/rollup.ts) the whole quarter hours
 * left at the edges, when its keys cover the query; raw rows the rest (an edge that does not start or end on a
 * quarter hour, or a query no rollup covers). The sums are the same either way (test/properties/rollup-usage.test.ts),
 * but a rollup row stands for many records, so a report reads a fraction of the rows (docs/architecture.md §8).
 */
import type { Db, SqlValue } from "./db.ts";
import { FILTER_FIELDS, type RequestFilter, whereOf } from "./filter.ts";
import { levels, type Query, SPLIT, TOKEN_FIELDS, UNPRICED_SQL, type UsageReport, usageFromRows } from "./queries.ts";
import type { GroupBy, Grouping } from "./query-params.ts";
import { ROLLUP_KEYS, ROLLUP_MS, ROLLUP_SUMS } from "./rollup.ts";
import { COARSE_KEYS, LEVELS } from "./rollup-levels.ts";

const column = (field: string) => (field === "user" ? `"user"` : field);
const TIME_KEY: Partial<Record<GroupBy, string>> = { day: "substr(ts, 1, 10)", hour: "substr(ts, 1, 13)" };
const TIME_MS: Partial<Record<GroupBy, number>> = { day: 86_400_000, hour: 3_600_000 };
/** Attributes the rollups keep as "" when the record had none (a key column cannot be NULL). */
const NULLABLE = new Set(["model", "key_id", "user", "project"]);

/** A table the report can read: its name, its bucket (0: raw rows) and its key columns. */
interface Source {
  table: string;
  ms: number;
  keys: readonly string[];
}
const RAW: Source = { table: "requests", ms: 0, keys: [] };
/** Coarsest first; raw rows after the last. */
const SOURCES: readonly Source[] = [
  ...LEVELS.map((l) => ({ table: l.table, ms: l.ms, keys: COARSE_KEYS })),
  { table: "usage_rollup", ms: ROLLUP_MS, keys: ROLLUP_KEYS },
];

function keySql(by: GroupBy, source: Source): string {
  const time = TIME_KEY[by];
  if (time !== undefined) return time;
  return source !== RAW && NULLABLE.has(by) ? `NULLIF(${column(by)}, '')` : column(by);
}

/** Per-source sums, each named as usageFromRows reads them; the outer query adds the parts up. */
const RAW_SUMS = [
  "COUNT(*) AS requests",
  ...TOKEN_FIELDS.map((f) => `COALESCE(SUM(${f}), 0) AS ${f}`),
  `COALESCE(SUM(cost_pico / ${SPLIT}), 0) AS cost_hi`,
  `COALESCE(SUM(cost_pico % ${SPLIT}), 0) AS cost_lo`,
  `SUM(CASE WHEN ${UNPRICED_SQL} THEN 1 ELSE 0 END) AS unpriced_requests`,
].join(", ");
const ROLLUP_PART_SUMS = [
  "SUM(requests) AS requests",
  ...TOKEN_FIELDS.map((f) => `SUM(${f}) AS ${f}`),
  `SUM(cost_pico / ${SPLIT}) AS cost_hi`,
  `SUM(cost_pico % ${SPLIT}) AS cost_lo`,
  "SUM(unpriced_requests) AS unpriced_requests",
].join(", ");
const OUTER_SUMS = ["requests", ...TOKEN_FIELDS, "cost_hi", "cost_lo", "unpriced_requests"]
  .map((c) => `SUM(${c}) AS ${c}`).join(", ");

/** True when `source` can answer: every filter and group one of its keys (a time group no finer than its bucket). */
function covers(source: Source, filter: RequestFilter, grouping: Grouping): boolean {
  const sums: readonly string[] = ROLLUP_SUMS;
  return FILTER_FIELDS.every((f) => filter[f] === undefined || source.keys.includes(f)) &&
    levels(grouping).every((g) =>
      g === null || (TIME_MS[g] !== undefined ? TIME_MS[g] >= source.ms : source.keys.includes(g))
    ) &&
    TOKEN_FIELDS.every((f) => sums.includes(f));
}

/** True when the quarter-hour rollup can answer (then raw rows serve at most a range's unaligned edges). */
export function rollupCovers(filter: RequestFilter, grouping: Grouping): boolean {
  return covers(SOURCES[SOURCES.length - 1]!, filter, grouping);
}

/** The tables a report for `filter` and `grouping` reads, coarsest first (for tests and benches). */
export function usageSources(filter: RequestFilter, grouping: Grouping): string[] {
  return [...new Set(plan(filter, grouping, 0).map((p) => p.source.table))];
}

/** The whole `ms` buckets inside `[since, until)` (null: open), or null when there is none. */
export function rollupSpan(filter: RequestFilter, ms = ROLLUP_MS): { from: string | null; to: string | null } | null {
  const since = filter.since === undefined ? null : Date.parse(filter.since);
  const until = filter.until === undefined ? null : Date.parse(filter.until);
  if (Number.isNaN(since) || Number.isNaN(until)) return null;
  const from = since === null ? null : Math.ceil(since / ms) * ms;
  const to = until === null ? null : Math.floor(until / ms) * ms;
  if (from !== null && to !== null && from >= to) return null;
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return { from: iso(from), to: iso(to) };
}

/** The range split over sources: the whole buckets of the first source that covers, its edges by the next. */
function plan(filter: RequestFilter, grouping: Grouping, i: number): { source: Source; filter: RequestFilter }[] {
  const source = SOURCES[i];
  if (source === undefined) return [{ source: RAW, filter }];
  const span = covers(source, filter, grouping) ? rollupSpan(filter, source.ms) : null;
  if (span === null) return plan(filter, grouping, i + 1);
  const parts = [{ source, filter: withRange(filter, span.from, span.to) }];
  // The edges: before the first whole bucket, and from the last bucket's end.
  if (span.from !== null && filter.since !== span.from) {
    parts.push(...plan(withRange(filter, filter.since ?? null, span.from), grouping, i + 1));
  }
  if (span.to !== null && filter.until !== span.to) {
    parts.push(...plan(withRange(filter, span.to, filter.until ?? null), grouping, i + 1));
  }
  return parts;
}

/** One grouped SELECT over `source` for `filter`; its placeholders renamed `$pN_…` so parts can share a statement. */
function part(source: Source, filter: RequestFilter, grouping: Grouping, n: number, params: Record<string, SqlValue>): string {
  const [first, second] = levels(grouping);
  const where = whereOf(filter);
  for (const [name, value] of Object.entries(where.params)) params[`p${n}_${name}`] = value;
  const sql = where.sql.replace(/\$(\w+)/g, (_, name: string) => `$p${n}_${name}`);
  const grp = second === null ? "" : `, ${keySql(second, source)} AS grp`;
  const sums = source === RAW ? RAW_SUMS : ROLLUP_PART_SUMS;
  return `SELECT ${keySql(first, source)} AS key${grp}, ${sums} FROM ${source.table} ${sql} GROUP BY 1${second === null ? "" : ", 2"}`;
}

/** One row per group (or pair of groups), unordered: usageFromRows orders them. */
export function usageQuery(filter: RequestFilter, grouping: Grouping): Query {
  const params: Record<string, SqlValue> = {};
  const parts = plan(filter, grouping, 0);
  if (parts.length === 1 && parts[0]!.source === RAW) return { sql: part(RAW, filter, grouping, 0, params), params };
  const second = levels(grouping)[1] !== null;
  const sql = parts.map((p, n) => part(p.source, p.filter, grouping, n, params)).join(" UNION ALL ");
  return {
    sql: `SELECT key${second ? ", grp" : ""}, ${OUTER_SUMS} FROM (${sql}) AS parts GROUP BY 1${second ? ", 2" : ""}`,
    params,
  };
}

function withRange(filter: RequestFilter, since: string | null, until: string | null): RequestFilter {
  const out: RequestFilter = { ...filter };
  delete out.since;
  delete out.until;
  if (since !== null) out.since = since;
  if (until !== null) out.until = until;
  return out;
}

/** The report on a SQLite connection (the main thread's or the reader worker's). */
export function usageReport(db: Db, filter: RequestFilter, grouping: Grouping): UsageReport {
  const q = usageQuery(filter, grouping);
  return usageFromRows(db.prepare(q.sql).all(q.params), grouping);
}
