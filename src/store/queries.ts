/**
 * @module Reads: newest-first listing, usage aggregation, keyset pages for export. Each is SQL both backends run
 * (built here) plus the shaping of its rows; the `Db` versions are SQLite's, synchronous.
 */
import type { UsageRecord } from "../usage/record.ts";
import { UNIT_FIELDS } from "../usage/types.ts";
import { COLUMN_SQL, rowToRecord } from "./columns.ts";
import type { Db, Row, SqlValue } from "./db.ts";
import { type RequestFilter, whereOf } from "./filter.ts";
import { formatCursor, type GroupBy, type Grouping } from "./query-params.ts";
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
  cache_write_1h_tokens: number;
  audio_input_tokens: number;
  audio_output_tokens: number;
  /** Units that are not tokens (docs/architecture.md §21); `audio_ms` in milliseconds. */
  characters: number;
  audio_ms: number;
  images: number;
  search_queries: number;
  request_fees: number;
  /** Compute time billed per second (Replicate), in milliseconds. */
  compute_ms: number;
  cost_usd: string;
  unpriced_requests: number;
}

export interface UsageGroup extends UsageTotals {
  /**
   * The group value: `2026-11-27` (day), `2026-11-27T10:00Z` (hour), or the field's value (null when unset).
   * With a two-level grouping (`hour,model`) this is the time bucket and `group` the dimension's value.
   */
  key: string | null;
  group?: string | null;
}

export interface UsageReport {
  groups: UsageGroup[];
  total: UsageTotals;
}

/** A statement with `$name` placeholders: SQLite binds them by name, PostgreSQL after `positional` (pg-store.ts). */
export interface Query {
  sql: string;
  params: Record<string, SqlValue>;
}

/**
 * Newest first, ordered by (ts, id) so the `requests_*` indexes serve both filter and order. The cursor is written
 * as a bound on `ts` plus a tie-break rather than a row value: SQLite seeks an index only on a plain column bound, and
 * with `(ts, id) < (…)` beside `since` it walked from `since` to the cursor on every page (pages got slower the
 * deeper they went). The cursor's `ts` replaces `until`, which it is always below.
 */
export function listQuery(filter: RequestFilter, options: ListOptions): Query {
  const before = options.before;
  const bounded: RequestFilter = { ...filter };
  if (before !== null) delete bounded.until;
  const where = whereOf(bounded, before === null ? [] : ["ts <= $bts", "(ts < $bts OR id < $bid)"]);
  const params: Record<string, SqlValue> = { ...where.params, limit: options.limit + 1 };
  if (before !== null) Object.assign(params, { bts: before.ts, bid: before.id });
  return { sql: `SELECT ${COLUMN_SQL} FROM requests ${where.sql} ORDER BY ts DESC, id DESC LIMIT $limit`, params };
}

/** The page from listQuery's rows (one more than the limit tells that there is a next page). */
export function listPage(rows: readonly Row[], options: ListOptions): RequestPage {
  const more = rows.length > options.limit;
  const requests = (more ? rows.slice(0, options.limit) : rows).map(rowToRecord);
  const last = requests[requests.length - 1];
  return { requests, next_before: more && last ? formatCursor(last.ts, last.id) : null };
}

export function listRequests(db: Db, filter: RequestFilter, options: ListOptions): RequestPage {
  const q = listQuery(filter, options);
  return listPage(db.prepare(q.sql).all(q.params), options);
}

export const GET_SQL = `SELECT ${COLUMN_SQL} FROM requests WHERE id = $id`;

/** One record by its id, or null. */
export function getRequest(db: Db, id: string): UsageRecord | null {
  const row = db.prepare(GET_SQL).get({ id });
  return row === undefined ? null : rowToRecord(row);
}

/** The token sums a usage report carries (each a rollup sum too: src/store/rollup.ts). */
export const TOKEN_FIELDS = [
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cache_write_1h_tokens",
  "audio_input_tokens",
  "audio_output_tokens",
  ...UNIT_FIELDS, // summed too, though not tokens (docs/architecture.md §21)
] as const;

type Counts = Omit<UsageTotals, "cost_usd">;

/**
 * The SQL form of `isUnpriced` (src/usage/record.ts): usage known, no price. Every SQL view counts unpriced
 * requests with this, so a blocked request or an upstream error (no usage) is never reported as unpriced.
 */
export const UNPRICED_SQL = "(priced = 0 AND usage_source <> 'none')";

// cost_pico is summed in two parts (millions and remainder) so that no SQL SUM can overflow 64 bits; the
// exact total is rebuilt as bigint: hi * 1e6 + lo.
export const SPLIT = 1_000_000n;

interface Acc {
  key: string | null;
  group: string | null;
  pico: bigint;
  counts: Counts;
}

const n = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const big = (v: SqlValue | undefined): bigint => typeof v === "bigint" ? v : typeof v === "number" ? BigInt(v) : 0n;
const keyText = (v: SqlValue | undefined, by: GroupBy): string | null =>
  v === null || v === undefined ? null : by === "hour" ? `${v}:00Z` : String(v);

function zeroCounts(): Counts {
  const counts = { requests: 0, unpriced_requests: 0 } as Counts;
  for (const f of TOKEN_FIELDS) counts[f] = 0;
  return counts;
}

export const levels = (grouping: Grouping): readonly [GroupBy, GroupBy | null] =>
  typeof grouping === "string" ? [grouping, null] : grouping;

/**
 * One row per group; chronological for day/hour, else by cost, then requests, descending. A two-level grouping
 * (`["hour", "model"]`) gives one row per time bucket and value, chronological, then by cost within a bucket.
 */
export function usageFromRows(rows: readonly Row[], grouping: Grouping): UsageReport {
  const [first, second] = levels(grouping);
  const accs: Acc[] = rows.map((row) => {
    const counts = zeroCounts();
    for (const f in counts) counts[f as keyof Counts] = n(row[f]);
    return {
      key: keyText(row.key, first),
      group: second === null ? null : keyText(row.grp, second),
      pico: big(row.cost_hi) * SPLIT + big(row.cost_lo),
      counts,
    };
  });
  const timeFirst = first === "day" || first === "hour";
  accs.sort(
    second !== null
      ? (a, b) => compareKeys(a.key, b.key) || byCost(a, b)
      : timeFirst
      ? (a, b) => compareKeys(a.key, b.key)
      : byCost,
  );
  const total: Acc = { key: null, group: null, pico: 0n, counts: zeroCounts() };
  for (const acc of accs) {
    total.pico += acc.pico;
    for (const k in acc.counts) {
      const field = k as keyof Counts;
      total.counts[field] += acc.counts[field];
    }
  }
  const totals = (acc: Acc): UsageTotals => ({ ...acc.counts, cost_usd: usd(acc.pico) });
  const groups = accs.map((acc): UsageGroup =>
    second === null ? { key: acc.key, ...totals(acc) } : { key: acc.key, group: acc.group, ...totals(acc) }
  );
  return { groups, total: totals(total) };
}

function byCost(a: Acc, b: Acc): number {
  if (a.pico !== b.pico) return a.pico < b.pico ? 1 : -1;
  return b.counts.requests - a.counts.requests || compareKeys(a.group ?? a.key, b.group ?? b.key);
}

/** Null keys sort last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** One export page: records strictly after `after` (null: from the start), oldest first. */
export function exportPageQuery(
  filter: RequestFilter,
  after: { ts: string; id: string } | null,
  pageSize: number,
): Query {
  // As in listQuery: the cursor's `ts` is the range's start (it is never before `since`), plus a tie-break.
  const bounded: RequestFilter = { ...filter };
  if (after !== null) delete bounded.since;
  const where = whereOf(bounded, after === null ? [] : ["ts >= $ats", "(ts > $ats OR id > $aid)"]);
  const params: Record<string, SqlValue> = { ...where.params, limit: pageSize };
  if (after !== null) Object.assign(params, { ats: after.ts, aid: after.id });
  return { sql: `SELECT ${COLUMN_SQL} FROM requests ${where.sql} ORDER BY ts, id LIMIT $limit`, params };
}

/** One page of exportPageQuery (the reader worker asks for pages one by one). */
export function exportPage(
  db: Db,
  filter: RequestFilter,
  after: { ts: string; id: string } | null,
  pageSize: number,
): UsageRecord[] {
  const q = exportPageQuery(filter, after, pageSize);
  return db.prepare(q.sql).all(q.params).map(rowToRecord);
}

/**
 * Oldest first, `pageSize` records at a time, by keyset on (ts, id): memory stays flat for any row count. `page`
 * reads one page (synchronously on a connection, or from the reader worker).
 */
export async function* pagesOf(
  page: (after: { ts: string; id: string } | null) => UsageRecord[] | Promise<UsageRecord[]>,
  pageSize: number,
): AsyncGenerator<UsageRecord[]> {
  let after: { ts: string; id: string } | null = null;
  for (;;) {
    const rows = await page(after);
    if (rows.length > 0) yield rows;
    const last = rows[rows.length - 1];
    if (rows.length < pageSize || last === undefined) return;
    after = { ts: last.ts, id: last.id };
  }
}

/**
 * Keyset pages asked one ahead: the next page's query goes out (its cursor is in this page) before this page is handed
 * on, so the source reads page N + 1 while the consumer formats and writes page N; at most two pages exist at once.
 * `next(p)` is the cursor after `p`, null when `p` was the last; `out(p)` is what is handed on (null: nothing).
 */
export async function* pagesOneAhead<P, T>(
  page: (after: { ts: string; id: string } | null) => Promise<P>,
  next: (p: P) => { ts: string; id: string } | null,
  out: (p: P) => T | null,
): AsyncGenerator<T> {
  let ahead: Promise<P> | null = page(null);
  while (ahead !== null) {
    const current: P = await ahead;
    const after = next(current);
    ahead = after === null ? null : page(after);
    // Marked handled at once: it may fail while this page is still being written (awaiting it still throws), or
    // never be awaited when the consumer leaves early.
    ahead?.catch(() => {});
    const value = out(current);
    if (value !== null) yield value;
  }
}
