/**
 * @module The rollup (docs/architecture.md §12, §17): every record's counts summed per 15 minutes × provider ×
 * model × requested model × key × user × project × tags × outcome, written by the flusher in the same transaction
 * as the raw rows (only for rows that were inserted, so a retried batch counts once), on both stores, and kept when
 * retention deletes raw rows. Spend control rebuilds its windows from it, so no retention setting can erase a
 * window's spend. The sums are made here, in TypeScript, for both stores: one derivation.
 *
 * Why 15 minutes and not an hour: every calendar window starts on a quarter hour in every timezone (offsets such
 * as +05:30 and +05:45 are whole quarters), so a budget's window is a whole number of rollup buckets, exactly.
 */
import type { SqlValue } from "./db.ts";
import { isUnpriced, type UsageRecord } from "../usage/record.ts";
import { USAGE_FIELDS } from "../usage/types.ts";
import { canonicalTs } from "./columns.ts";

export const ROLLUP_MS = 15 * 60_000;

/** The grouping columns, in key order. A null attribute is stored as "" (a key column cannot be NULL and unique). */
export const ROLLUP_KEYS = ["ts", "provider", "model", "requested_model", "key_id", "user", "project", "tags", "outcome"] as const;
/** The summed columns: counts, every token field, then cost (pico-USD). */
export const ROLLUP_SUMS = ["requests", "unpriced_requests", ...USAGE_FIELDS, "cost_pico"] as const;
export const ROLLUP_COLUMNS = [...ROLLUP_KEYS, ...ROLLUP_SUMS] as const;

/** One rollup row's increment: key values, then sums (cost last, a bigint: a quarter hour's spend has no bound). */
export interface RollupRow {
  keys: string[];
  counts: number[];
  cost: bigint;
}

/** The bucket a record falls in: its start time floored to 15 minutes, canonical ISO. */
export function rollupBucket(ts: string): string {
  const ms = Date.parse(canonicalTs(ts));
  return Number.isNaN(ms) ? ts : new Date(ms - (((ms % ROLLUP_MS) + ROLLUP_MS) % ROLLUP_MS)).toISOString();
}

const orEmpty = (v: string | null | undefined) => v ?? "";
const safe = (v: number | null | undefined) => (Number.isSafeInteger(v) ? v as number : 0);

/**
 * Adds one inserted record to the batch's increments, keyed by its grouping values; `sign` -1 takes one out (a
 * repriced record: its old form out, its new form in).
 */
export function addToRollup(rows: Map<string, RollupRow>, r: UsageRecord, sign: 1 | -1 = 1): void {
  const keys = [
    rollupBucket(r.ts),
    r.provider,
    orEmpty(r.model),
    orEmpty(r.requested_model),
    orEmpty(r.key_id),
    orEmpty(r.user),
    orEmpty(r.project),
    JSON.stringify(r.tags ?? []),
    r.outcome,
  ];
  const id = keys.join("\u0000");
  let row = rows.get(id);
  if (row === undefined) {
    row = { keys, counts: new Array<number>(2 + USAGE_FIELDS.length).fill(0), cost: 0n };
    rows.set(id, row);
  }
  row.counts[0]! += sign;
  if (isUnpriced(r)) row.counts[1]! += sign;
  for (let i = 0; i < USAGE_FIELDS.length; i++) row.counts[2 + i]! += sign * safe(r[USAGE_FIELDS[i]!]);
  row.cost += BigInt(sign * safe(r.cost_pico));
}

/** A row's values in ROLLUP_COLUMNS order. */
export function rollupParams(row: RollupRow): SqlValue[] {
  return [...row.keys, ...row.counts, row.cost];
}

export const quote = (c: string) => (c === "user" ? `"user"` : c);

/** `ON CONFLICT … DO UPDATE` adding every sum: the same text on SQLite and PostgreSQL. */
export function upsertTail(table: string, keys: readonly string[]): string {
  return `ON CONFLICT (${keys.map(quote).join(", ")}) DO UPDATE SET ${
    ROLLUP_SUMS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ")
  }`;
}

export const ROLLUP_UPSERT_TAIL = upsertTail("usage_rollup", ROLLUP_KEYS);

export const ROLLUP_COLUMN_SQL = ROLLUP_COLUMNS.map(quote).join(", ");

/**
 * A rollup table's DDL for a dialect: key columns text (`ts` compared bytewise, as `requests.ts` is), sums
 * integers. The primary key, time first, serves the spend queries, which filter by time range first.
 */
export function tableDdl(table: string, keys: readonly string[], integer: string, tsText: string): string {
  return `CREATE TABLE ${table} (
    ${keys.map((c) => `${quote(c)} ${c === "ts" ? tsText : "TEXT"} NOT NULL`).join(",\n    ")},
    ${ROLLUP_SUMS.map((c) => `${c} ${integer} NOT NULL`).join(",\n    ")},
    PRIMARY KEY (${keys.map(quote).join(", ")})
  );`;
}

/** The quarter-hour rollup's DDL (migration 7 on both stores). */
export const rollupDdl = (integer: string, tsText: string): string => tableDdl("usage_rollup", ROLLUP_KEYS, integer, tsText);

/** Rows sorted by key: two writers upserting the same rows lock them in one order and cannot deadlock. */
export function sortedRollup(rows: Map<string, RollupRow>): RollupRow[] {
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** SQLite: one row per statement run (prepared once per connection). */
export const ROLLUP_INSERT_SQL = `INSERT INTO usage_rollup (${ROLLUP_COLUMN_SQL}) VALUES (${
  ROLLUP_COLUMNS.map(() => "?").join(", ")
}) ${ROLLUP_UPSERT_TAIL}`;

/** The rollup change when `updates` replace fields of stored records (`old`, as read back): old out, new in. */
export function repriceRollup<U extends { id: string }>(old: readonly UsageRecord[], updates: readonly U[]): RollupRow[] {
  const byId = new Map(updates.map((u) => [u.id, u]));
  const rows = new Map<string, RollupRow>();
  for (const record of old) {
    const u = byId.get(record.id);
    if (u === undefined) continue;
    addToRollup(rows, record, -1);
    addToRollup(rows, { ...record, ...u });
  }
  return sortedRollup(rows);
}

/** Retention: the oldest bucket before the cut-off `$1`, one bucket per statement (small transactions, both stores). */
export const PRUNE_ROLLUP_SQL = `DELETE FROM usage_rollup WHERE ts = (SELECT MIN(ts) FROM usage_rollup WHERE ts < $1)`;
