/** @module Reads over a `Db`: newest-first listing, usage aggregation, keyset pages for export. Synchronous. */
import type { UsageRecord } from "../usage/record.ts";
import { COLUMN_SQL, rowToRecord } from "./columns.ts";
import type { Db, SqlValue } from "./db.ts";
import { type RequestFilter, whereOf } from "./filter.ts";
import { formatCursor, type GroupBy } from "./query-params.ts";
import { usd } from "../pricing/money.ts";

export interface ListOptions {
  limit: number;
  /** Keyset cursor: rows strictly older than this (ts, id). */
  before: { ts: string; id: string } | null;
}

export interface RequestPage {
  requests: UsageRecord[];
  /** Pass as `before` for the next page; null on the last page. */
  next_before: string | null;
}

/** Sums over one group (or all groups: `total`). Money is an exact decimal string. */
export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: string;
  unpriced_requests: number;
}

export interface UsageGroup extends UsageTotals {
  /** The group value: `2026-11-27` (day), `2026-11-27T10:00Z` (hour), or the field's value (null when unset). */
  key: string | null;
}

export interface UsageReport {
  groups: UsageGroup[];
  total: UsageTotals;
}

/** Newest first, ordered by (ts, id) so the `requests_*` indexes serve both filter and order. */
export function listRequests(db: Db, filter: RequestFilter, options: ListOptions): RequestPage {
  const extra = options.before === null ? [] : ["(ts, id) < ($bts, $bid)"];
  const where = whereOf(filter, extra);
  const params: Record<string, SqlValue> = { ...where.params, limit: options.limit + 1 };
  if (options.before !== null) Object.assign(params, { bts: options.before.ts, bid: options.before.id });
  const rows = db
    .prepare(`SELECT ${COLUMN_SQL} FROM requests ${where.sql} ORDER BY ts DESC, id DESC LIMIT $limit`)
    .all(params);
  const more = rows.length > options.limit;
  const requests = (more ? rows.slice(0, options.limit) : rows).map(rowToRecord);
  const last = requests[requests.length - 1];
  return { requests, next_before: more && last ? formatCursor(last.ts, last.id) : null };
}

const KEY_SQL: Record<GroupBy, string> = {
  day: "substr(ts, 1, 10)",
  hour: "substr(ts, 1, 13)",
  provider: "provider",
  model: "model",
  key_id: "key_id",
  user: `"user"`,
  project: "project",
};

const TOKEN_FIELDS = [
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
] as const;

// cost_pico is summed in two parts (millions and remainder) so that no SQL SUM can overflow 64 bits; the
// exact total is rebuilt as bigint: hi * 1e6 + lo.
const SPLIT = 1_000_000n;

const USAGE_SELECT = [
  "COUNT(*) AS requests",
  ...TOKEN_FIELDS.map((f) => `COALESCE(SUM(${f}), 0) AS ${f}`),
  `COALESCE(SUM(cost_pico / ${SPLIT}), 0) AS cost_hi`,
  `COALESCE(SUM(cost_pico % ${SPLIT}), 0) AS cost_lo`,
  "SUM(CASE WHEN priced = 0 THEN 1 ELSE 0 END) AS unpriced_requests",
].join(", ");

interface Acc {
  key: string | null;
  pico: bigint;
  counts: Omit<UsageTotals, "cost_usd">;
}

const n = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const big = (v: SqlValue | undefined): bigint => typeof v === "bigint" ? v : typeof v === "number" ? BigInt(v) : 0n;

/** One row per group; chronological for day/hour, else by cost, then requests, descending. */
export function usageReport(db: Db, filter: RequestFilter, groupBy: GroupBy): UsageReport {
  const where = whereOf(filter);
  const rows = db
    .prepare(`SELECT ${KEY_SQL[groupBy]} AS key, ${USAGE_SELECT} FROM requests ${where.sql} GROUP BY 1`)
    .all(where.params);
  const accs: Acc[] = rows.map((row) => ({
    key: row.key === null || row.key === undefined ? null : groupBy === "hour" ? `${row.key}:00Z` : String(row.key),
    pico: big(row.cost_hi) * SPLIT + big(row.cost_lo),
    counts: {
      requests: n(row.requests),
      input_tokens: n(row.input_tokens),
      output_tokens: n(row.output_tokens),
      cache_read_tokens: n(row.cache_read_tokens),
      cache_write_tokens: n(row.cache_write_tokens),
      reasoning_tokens: n(row.reasoning_tokens),
      unpriced_requests: n(row.unpriced_requests),
    },
  }));
  accs.sort(groupBy === "day" || groupBy === "hour" ? (a, b) => compareKeys(a.key, b.key) : byCost);
  const total: Acc = {
    key: null,
    pico: 0n,
    counts: {
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      unpriced_requests: 0,
    },
  };
  for (const acc of accs) {
    total.pico += acc.pico;
    for (const k in acc.counts) {
      const field = k as keyof Acc["counts"];
      total.counts[field] += acc.counts[field];
    }
  }
  const totals = (acc: Acc): UsageTotals => ({ ...acc.counts, cost_usd: usd(acc.pico) });
  return { groups: accs.map((acc) => ({ key: acc.key, ...totals(acc) })), total: totals(total) };
}

function byCost(a: Acc, b: Acc): number {
  if (a.pico !== b.pico) return a.pico < b.pico ? 1 : -1;
  return b.counts.requests - a.counts.requests || compareKeys(a.key, b.key);
}

/** Null keys sort last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Oldest first, `pageSize` records at a time, by keyset on (ts, id): memory stays flat for any row count. */
export function* exportPages(db: Db, filter: RequestFilter, pageSize: number): Generator<UsageRecord[]> {
  let after: { ts: string; id: string } | null = null;
  for (;;) {
    const where = whereOf(filter, after === null ? [] : ["(ts, id) > ($ats, $aid)"]);
    const params: Record<string, SqlValue> = { ...where.params, limit: pageSize };
    if (after !== null) Object.assign(params, { ats: after.ts, aid: after.id });
    const page = db
      .prepare(`SELECT ${COLUMN_SQL} FROM requests ${where.sql} ORDER BY ts, id LIMIT $limit`)
      .all(params)
      .map(rowToRecord);
    if (page.length > 0) yield page;
    const last = page[page.length - 1];
    if (page.length < pageSize || last === undefined) return;
    after = { ts: last.ts, id: last.id };
  }
}
