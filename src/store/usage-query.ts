/**
 * @module The usage report's SQL (both stores): read from the rollup (src/store/rollup.ts) for every whole
 * quarter hour of the range, and from raw rows only for the edges of a range that does not start or end on a
 * quarter hour, when the rollup's keys cover the query's filters and grouping; from raw rows otherwise. The sums are
 * the same either way (test/properties/rollup-usage.test.ts), but a rollup row stands for many records, so a
 * report reads a fraction of the rows (docs/architecture.md §8).
 */
import type { Db, SqlValue } from "./db.ts";
import { FILTER_FIELDS, type RequestFilter, whereOf } from "./filter.ts";
import { levels, type Query, SPLIT, TOKEN_FIELDS, UNPRICED_SQL, type UsageReport, usageFromRows } from "./queries.ts";
import type { GroupBy, Grouping } from "./query-params.ts";
import { ROLLUP_KEYS, ROLLUP_MS, ROLLUP_SUMS } from "./rollup.ts";

const column = (field: string) => (field === "user" ? `"user"` : field);
const TIME_KEY: Partial<Record<GroupBy, string>> = { day: "substr(ts, 1, 10)", hour: "substr(ts, 1, 13)" };
/** Attributes the rollup keeps as "" when the record had none (a key column cannot be NULL). */
const NULLABLE = new Set(["model", "key_id", "user", "project"]);

function keySql(by: GroupBy, table: Table): string {
  const time = TIME_KEY[by];
  if (time !== undefined) return time;
  return table === "usage_rollup" && NULLABLE.has(by) ? `NULLIF(${column(by)}, '')` : column(by);
}

type Table = "requests" | "usage_rollup";

/** Per-table sums, each named as usageFromRows reads them; the outer query adds the parts up. */
const PART_SUMS: Record<Table, string> = {
  requests: [
    "COUNT(*) AS requests",
    ...TOKEN_FIELDS.map((f) => `COALESCE(SUM(${f}), 0) AS ${f}`),
    `COALESCE(SUM(cost_pico / ${SPLIT}), 0) AS cost_hi`,
    `COALESCE(SUM(cost_pico % ${SPLIT}), 0) AS cost_lo`,
    `SUM(CASE WHEN ${UNPRICED_SQL} THEN 1 ELSE 0 END) AS unpriced_requests`,
  ].join(", "),
  usage_rollup: [
    "SUM(requests) AS requests",
    ...TOKEN_FIELDS.map((f) => `SUM(${f}) AS ${f}`),
    `SUM(cost_pico / ${SPLIT}) AS cost_hi`,
    `SUM(cost_pico % ${SPLIT}) AS cost_lo`,
    "SUM(unpriced_requests) AS unpriced_requests",
  ].join(", "),
};
const OUTER_SUMS = ["requests", ...TOKEN_FIELDS, "cost_hi", "cost_lo", "unpriced_requests"]
  .map((c) => `SUM(${c}) AS ${c}`).join(", ");

/** True when the rollup can answer: every filter and group is one of its keys, every sum one of its sums. */
export function rollupCovers(filter: RequestFilter, grouping: Grouping): boolean {
  const keys: readonly string[] = ROLLUP_KEYS;
  const sums: readonly string[] = ROLLUP_SUMS;
  return FILTER_FIELDS.every((f) => filter[f] === undefined || keys.includes(f)) &&
    levels(grouping).every((g) => g === null || TIME_KEY[g] !== undefined || keys.includes(g)) &&
    TOKEN_FIELDS.every((f) => sums.includes(f));
}

/** The whole rollup buckets inside `[since, until)` (null: open), or null when there is none. */
export function rollupSpan(filter: RequestFilter): { from: string | null; to: string | null } | null {
  const since = filter.since === undefined ? null : Date.parse(filter.since);
  const until = filter.until === undefined ? null : Date.parse(filter.until);
  if (Number.isNaN(since) || Number.isNaN(until)) return null;
  const from = since === null ? null : Math.ceil(since / ROLLUP_MS) * ROLLUP_MS;
  const to = until === null ? null : Math.floor(until / ROLLUP_MS) * ROLLUP_MS;
  if (from !== null && to !== null && from >= to) return null;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { from: iso(from), to: iso(to) };
}

/** One grouped SELECT over `table` for `filter`; its placeholders renamed `$pN_…` so parts can share a statement. */
function part(table: Table, filter: RequestFilter, grouping: Grouping, n: number, params: Record<string, SqlValue>): string {
  const [first, second] = levels(grouping);
  const where = whereOf(filter);
  for (const [name, value] of Object.entries(where.params)) params[`p${n}_${name}`] = value;
  const sql = where.sql.replace(/\$(\w+)/g, (_, name: string) => `$p${n}_${name}`);
  const grp = second === null ? "" : `, ${keySql(second, table)} AS grp`;
  return `SELECT ${keySql(first, table)} AS key${grp}, ${PART_SUMS[table]} FROM ${table} ${sql} GROUP BY 1${second === null ? "" : ", 2"}`;
}

/** One row per group (or pair of groups), unordered: usageFromRows orders them. */
export function usageQuery(filter: RequestFilter, grouping: Grouping): Query {
  const params: Record<string, SqlValue> = {};
  const span = rollupCovers(filter, grouping) ? rollupSpan(filter) : null;
  if (span === null) return { sql: part("requests", filter, grouping, 0, params), params };
  const parts = [part("usage_rollup", withRange(filter, span.from, span.to), grouping, 0, params)];
  // The raw edges: before the first whole bucket, and from the last bucket's end.
  if (span.from !== null && filter.since !== span.from) {
    parts.push(part("requests", withRange(filter, filter.since ?? null, span.from), grouping, 1, params));
  }
  if (span.to !== null && filter.until !== span.to) {
    parts.push(part("requests", withRange(filter, span.to, filter.until ?? null), grouping, 2, params));
  }
  const second = levels(grouping)[1] !== null;
  return {
    sql: `SELECT key${second ? ", grp" : ""}, ${OUTER_SUMS} FROM (${parts.join(" UNION ALL ")}) AS parts GROUP BY 1${
      second ? ", 2" : ""
    }`,
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
