/**
 * Test helper: fills `usage_rollup` straight through SQL, fast, so a report has many rows to read (read-stall tests).
 * The coarse levels (src/store/rollup-levels.ts) stay empty: a report that must read these rows filters by
 * `project` (BULK_PROJECT), which only the quarter-hour rollup keys.
 */
import type { Db } from "../../src/store/db.ts";
import { ROLLUP_COLUMN_SQL, ROLLUP_KEYS, ROLLUP_SUMS } from "../../src/store/rollup.ts";

export const BULK_PROJECT = "bulk";

/**
 * `rows` rollup rows on the UTC day `day` (YYYY-MM-DD), one user each, spread over its 96 quarter hours and five
 * models; every sum 1. The database must be migrated already.
 */
export function bulkRollup(db: Db, rows: number, day: string): void {
  const keys: Record<string, string> = {
    ts: `strftime('%Y-%m-%dT%H:%M:00.000Z', '${day}', '+' || ((i % 96) * 15) || ' minutes')`,
    provider: "'openai'",
    model: "'model-' || (i % 5)",
    requested_model: "'model-' || (i % 5)",
    user: "'user-' || i",
    project: `'${BULK_PROJECT}'`,
    tags: "'[]'",
    outcome: "'ok'",
  };
  const values = [...ROLLUP_KEYS.map((k) => keys[k] ?? "''"), ...ROLLUP_SUMS.map(() => "1")].join(", ");
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${rows})
    INSERT INTO usage_rollup (${ROLLUP_COLUMN_SQL}) SELECT ${values} FROM n`);
}
