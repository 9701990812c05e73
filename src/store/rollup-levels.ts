/**
 * @module The coarse rollups (docs/architecture.md §8): hour and day (UTC) × provider × model × outcome, with the
 * same sums as the quarter-hour rollup (src/store/rollup.ts). The quarter-hour rollup's key holds key, user, project
 * and tags, so it has ~0.7 rows per record and a 30-day report read millions of rows at 10^7 records; these hold one
 * row per bucket and model and outcome, whatever the traffic. Their key is what a report groups and filters by
 * without attributes (`group_by` day, hour, provider, model; filters provider, model, outcome): `requested_model`
 * is left out, only budgets match on it, and budgets read the quarter-hour rollup.
 *
 * Their increments are the quarter-hour increments regrouped (one derivation), written by the flusher in the same
 * transaction as the raw rows on both stores; a bucket is a prefix of the quarter-hour bucket's ISO text, so the
 * migrations' backfill (SQL over `usage_rollup`) makes the very rows the flusher would have.
 */
import { quote, ROLLUP_KEYS, ROLLUP_SUMS, type RollupRow, sortedRollup, tableDdl, upsertTail } from "./rollup.ts";

export const COARSE_KEYS = ["ts", "provider", "model", "outcome"] as const;
export const COARSE_COLUMNS = [...COARSE_KEYS, ...ROLLUP_SUMS] as const;
const COARSE_COLUMN_SQL = COARSE_COLUMNS.map(quote).join(", ");

export interface Level {
  table: "usage_rollup_day" | "usage_rollup_hour";
  /** The bucket's length. */
  ms: number;
  /** A bucket's text: the quarter hour's first `keep` characters, then `pad`. */
  keep: number;
  pad: string;
}

/** Coarsest first: the usage query takes the first level that covers a range's middle, finer ones its edges. */
export const LEVELS: readonly Level[] = [
  { table: "usage_rollup_day", ms: 86_400_000, keep: 10, pad: "T00:00:00.000Z" },
  { table: "usage_rollup_hour", ms: 3_600_000, keep: 13, pad: ":00:00.000Z" },
];

const FROM_FINE = COARSE_KEYS.map((k) => (ROLLUP_KEYS as readonly string[]).indexOf(k));

/** A quarter-hour batch's increments regrouped for `level`, sorted by key (lock order, as sortedRollup). */
export function coarsen(level: Level, fine: readonly RollupRow[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const f of fine) {
    const keys = FROM_FINE.map((i) => f.keys[i]!);
    keys[0] = keys[0]!.slice(0, level.keep) + level.pad;
    const id = keys.join("\u0000");
    const row = rows.get(id);
    if (row === undefined) {
      rows.set(id, { keys, counts: [...f.counts], cost: f.cost });
      continue;
    }
    for (let i = 0; i < row.counts.length; i++) row.counts[i]! += f.counts[i]!;
    row.cost += f.cost;
  }
  return sortedRollup(rows);
}

/** The level's table: clustered by its key (time first) where the dialect can (SQLite's WITHOUT ROWID). */
export function levelDdl(level: Level, integer: string, tsText: string, clustered: boolean): string {
  const ddl = tableDdl(level.table, COARSE_KEYS, integer, tsText);
  return clustered ? ddl.replace(/;\s*$/, " WITHOUT ROWID;") : ddl;
}

/** SQLite: one row per statement run (values as rollupParams gives them). */
export function levelInsertSql(level: Level): string {
  return `INSERT INTO ${level.table} (${COARSE_COLUMN_SQL}) VALUES (${COARSE_COLUMNS.map(() => "?").join(", ")}) ${
    upsertTail(level.table, COARSE_KEYS)
  }`;
}

/** PostgreSQL: one statement over unnested column arrays (as src/store/pg/rollup-write.ts). */
export function levelUnnestSql(level: Level): string {
  const types = [...COARSE_KEYS.map(() => "text[]"), ...ROLLUP_SUMS.map(() => "int8[]")];
  return `INSERT INTO ${level.table} (${COARSE_COLUMN_SQL}) SELECT * FROM unnest(${
    types.map((t, i) => `$${i + 1}::${t}`).join(", ")
  }) ${upsertTail(level.table, COARSE_KEYS)}`;
}

/** Both stores' migration: the level filled from the quarter-hour rollup, bucket text made as coarsen makes it. */
export function levelBackfillSql(level: Level): string {
  const keys = [`substr(ts, 1, ${level.keep}) || '${level.pad}'`, "provider", "model", "outcome"];
  return `INSERT INTO ${level.table} (${COARSE_COLUMN_SQL}) SELECT ${keys.join(", ")}, ${
    ROLLUP_SUMS.map((c) => `SUM(${c})`).join(", ")
  } FROM usage_rollup GROUP BY 1, 2, 3, 4;`;
}

/**
 * Retention (`--rollup-retention-days`): the oldest bucket wholly before the cut-off `$1`, one bucket per
 * statement; a bucket that straddles the cut-off stays until it is wholly older.
 */
export function levelPruneSql(level: Level): string {
  return `DELETE FROM ${level.table} WHERE ts = (SELECT MIN(ts) FROM ${level.table} WHERE ts < $1)`;
}

/** The cut-off for `level`: the quarter-hour cut-off floored to the level's bucket (a whole bucket, never a part). */
export function levelCutoff(level: Level, cutoff: string): string {
  const ms = Date.parse(cutoff);
  return new Date(ms - (((ms % level.ms) + level.ms) % level.ms)).toISOString();
}
