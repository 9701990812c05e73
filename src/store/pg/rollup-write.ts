/**
 * @module Rollup increments into PostgreSQL, adding to the rows that exist (src/store/rollup.ts makes the increments,
 * sorted, so concurrent writers lock rows in one order): the flusher's quarter-hour rows (thousands a batch) through
 * COPY and a staging table (src/store/pg/copy-in.ts), the coarse levels' few hundred and the migration's backfill as
 * one statement over unnested column arrays.
 */
import type postgres from "postgres";
import { clean } from "./connect.ts";
import { copyInsert, copyLine } from "./copy-in.ts";
import { ROLLUP_COLUMN_SQL, ROLLUP_KEYS, ROLLUP_SUMS, ROLLUP_UPSERT_TAIL, rollupParams, type RollupRow } from "../rollup.ts";
import { coarsen, LEVELS, levelUnnestSql } from "../rollup-levels.ts";

const SQL = `INSERT INTO usage_rollup (${ROLLUP_COLUMN_SQL}) SELECT * FROM unnest(${
  [...ROLLUP_KEYS.map((_, i) => `$${i + 1}::text[]`), ...ROLLUP_SUMS.map((_, i) => `$${ROLLUP_KEYS.length + i + 1}::int8[]`)]
    .join(", ")
}) ${ROLLUP_UPSERT_TAIL}`;

const LEVEL_SQL = LEVELS.map(levelUnnestSql);

type Tx = postgres.Sql | postgres.TransactionSql;

function rollupText(rows: readonly RollupRow[]): string {
  let text = "";
  for (const row of rows) text += copyLine(rollupParams(row));
  return text;
}

/** The quarter-hour rollup alone (migration 7's backfill, which runs before the coarse levels exist). */
export async function writeRollup(sql: Tx, rows: readonly RollupRow[]): Promise<void> {
  await unnest(sql, SQL, rows);
}

/**
 * The quarter-hour rollup, then each coarse level (src/store/rollup-levels.ts), in the caller's transaction: every
 * writer takes the tables in this order and each table's rows sorted, so concurrent flushes cannot deadlock.
 */
export async function writeRollups(tx: postgres.TransactionSql, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length > 0) await copyInsert(tx, "usage_rollup", ROLLUP_COLUMN_SQL, rollupText(rows), ROLLUP_UPSERT_TAIL);
  for (let i = 0; i < LEVELS.length; i++) await unnest(tx, LEVEL_SQL[i]!, coarsen(LEVELS[i]!, rows));
}

async function unnest(sql: Tx, text: string, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  const columns: string[][] = [...rows[0]!.keys, ...rows[0]!.counts, 0].map(() => []);
  for (const row of rows) {
    let c = 0;
    for (const key of row.keys) columns[c++]!.push(clean(key));
    for (const n of row.counts) columns[c++]!.push(String(n));
    columns[c]!.push(String(row.cost));
  }
  await sql.unsafe(text, columns as never[], { prepare: true });
}
