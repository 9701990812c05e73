/**
 * @module Rollup increments into PostgreSQL: one statement over unnested column arrays, adding to the rows that
 * exist (src/store/rollup.ts makes the increments, sorted, so concurrent writers lock rows in one order).
 */
import type postgres from "postgres";
import { clean } from "./connect.ts";
import { ROLLUP_COLUMN_SQL, ROLLUP_KEYS, ROLLUP_SUMS, ROLLUP_UPSERT_TAIL, type RollupRow } from "../rollup.ts";

const SQL = `INSERT INTO usage_rollup (${ROLLUP_COLUMN_SQL}) SELECT * FROM unnest(${
  [...ROLLUP_KEYS.map((_, i) => `$${i + 1}::text[]`), ...ROLLUP_SUMS.map((_, i) => `$${ROLLUP_KEYS.length + i + 1}::int8[]`)]
    .join(", ")
}) ${ROLLUP_UPSERT_TAIL}`;

export async function writeRollup(sql: postgres.Sql | postgres.TransactionSql, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  const columns: string[][] = [...ROLLUP_KEYS, ...ROLLUP_SUMS].map(() => []);
  for (const row of rows) {
    let c = 0;
    for (const key of row.keys) columns[c++]!.push(clean(key));
    for (const n of row.counts) columns[c++]!.push(String(n));
    columns[c]!.push(String(row.cost));
  }
  await sql.unsafe(SQL, columns as never[], { prepare: true });
}
