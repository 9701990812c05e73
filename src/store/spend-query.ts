/**
 * @module The spend sums spend control rebuilds its windows from (ControlStore.spend), as one SQL text per dialect
 * generated from the scope table (src/attributes/scopes.ts), and the shaping of its rows. The sums come from the
 * rollup (src/store/rollup.ts), which retention never deletes; raw rows serve only where they must:
 * - a window whose start falls inside a rollup bucket reads that bucket's part from the raw rows (a rolling window
 *   in minutes, which is under two days long: retention keeps at least two days of raw rows, src/config.ts);
 * - windows in minute buckets read raw rows only (a quarter-hour rollup row cannot be split into minutes).
 * Blocked records are left out: they were not let through and cost nothing.
 */
import { type Dialect, type Scope, SCOPE_KEYS, scopeCondition } from "../attributes/scopes.ts";
import type { SpendBucket } from "../control/types.ts";
import type { Db, Row, SqlValue } from "./db.ts";
import type { Query } from "./queries.ts";
import { ROLLUP_MS } from "./rollup.ts";

/** cost_pico summed in two parts (millions and remainder) so that no SQL SUM can overflow 64 bits. */
const SPLIT = 1_000_000n;

function epochMs(dialect: Dialect): string {
  return dialect === "sqlite"
    ? "(CAST(strftime('%s', ts) AS INTEGER) * 1000)"
    : "(floor(extract(epoch FROM ts::timestamptz))::bigint * 1000)";
}

function conditions(scope: Scope, table: string, dialect: Dialect, params: Record<string, SqlValue>): string[] {
  const where = ["outcome <> 'blocked'"];
  for (const key of SCOPE_KEYS) {
    const value = scope[key];
    if (value === undefined) continue;
    params[`s_${key}`] = value;
    where.push(scopeCondition(key, `s_${key}`, table, dialect));
  }
  return where;
}

/** The first rollup bucket wholly at or after `since`. */
const ceilBucket = (since: number) => Math.ceil(since / ROLLUP_MS) * ROLLUP_MS;
const iso = (ms: number) => new Date(ms).toISOString();

export function spendQuery(dialect: Dialect, scope: Scope, sinceMs: number | null, bucketMs: number | null): Query {
  const params: Record<string, SqlValue> = {};
  const size = bucketMs === null ? null : Math.max(1, Math.trunc(bucketMs));
  const at = size === null ? "0" : `(${epochMs(dialect)} / ${size}) * ${size}`;
  const parts: string[] = [];
  const fromRollup = size === null || size % ROLLUP_MS === 0;
  const rollupSince = sinceMs === null ? null : fromRollup ? ceilBucket(sinceMs) : null;
  if (fromRollup) {
    const where = conditions(scope, "usage_rollup", dialect, params);
    if (rollupSince !== null) {
      params.rollup_since = iso(rollupSince);
      where.push("ts >= $rollup_since");
    }
    parts.push(`SELECT ${at} AS at, cost_pico, total_tokens AS tokens, requests FROM usage_rollup WHERE ${where.join(" AND ")}`);
  }
  if (!fromRollup || (sinceMs !== null && rollupSince! > sinceMs)) {
    const where = conditions(scope, "requests", dialect, params);
    if (sinceMs !== null) {
      params.since = iso(sinceMs);
      where.push("ts >= $since");
    }
    if (fromRollup) where.push("ts < $rollup_since");
    parts.push(
      `SELECT ${at} AS at, COALESCE(cost_pico, 0) AS cost_pico, COALESCE(total_tokens, 0) AS tokens, 1 AS requests
       FROM requests WHERE ${where.join(" AND ")}`,
    );
  }
  return {
    sql: `SELECT at, COALESCE(SUM(cost_pico / ${SPLIT}), 0) AS cost_hi, COALESCE(SUM(cost_pico % ${SPLIT}), 0) AS cost_lo,
      COALESCE(SUM(tokens), 0) AS tokens, COALESCE(SUM(requests), 0) AS requests
      FROM (${parts.join(" UNION ALL ")}) AS spend GROUP BY at ORDER BY at`,
    params,
  };
}

const big = (v: SqlValue | undefined): bigint =>
  typeof v === "bigint" ? v : typeof v === "number" ? BigInt(Math.trunc(v)) : typeof v === "string" ? BigInt(v) : 0n;
const num = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

/** The query's rows as buckets; unbucketed: one bucket at the range's start (none summed: zeros). */
export function spendBuckets(rows: readonly Row[], sinceMs: number | null, bucketMs: number | null): SpendBucket[] {
  const out = rows.map((r): SpendBucket => ({
    at: bucketMs === null ? sinceMs ?? 0 : num(r.at),
    cost_pico: big(r.cost_hi) * SPLIT + big(r.cost_lo),
    tokens: num(r.tokens),
    requests: num(r.requests),
  }));
  if (bucketMs === null && out.length === 0) out.push({ at: sinceMs ?? 0, cost_pico: 0n, tokens: 0, requests: 0 });
  return out;
}

/** The spend sums on a SQLite connection (the main thread's, or the reader worker's: src/store/worker/reads.ts). */
export function sqliteSpend(db: Db, scope: Scope, sinceMs: number | null, bucketMs: number | null): SpendBucket[] {
  const q = spendQuery("sqlite", scope, sinceMs, bucketMs);
  return spendBuckets(db.prepare(q.sql).all(q.params), sinceMs, bucketMs);
}
