/**
 * @module Store section: `bun bench/child/store.ts RECORDS ROUNDS` prints (last line) one JSON object.
 * Per round: bench/store.ts's sustained rate through Store.add() + the background flusher (bun:sqlite, the Bun
 * entry's driver), its drain rate, and the baseline: the same records inserted directly with the same prepared
 * statement, 1,000 per transaction, no queue (what the store's bookkeeping costs on top of SQLite itself).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../../src/entry/sqlite-bun.ts";
import { COLUMN_SQL, RECORD_COLUMNS, recordToParams } from "../../src/store/columns.ts";
import { configure, migrate } from "../../src/store/schema.ts";
import { makeRecord } from "../../test/store/helpers.ts";
import { run } from "../store.ts";

const TOTAL = Number(process.argv[2] ?? 300_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BATCH = 1000;

function raw(total: number): number {
  const dir = mkdtempSync(join(tmpdir(), "kestrel-bench-raw-"));
  const db = openSqlite(join(dir, "raw.db"));
  configure(db);
  migrate(db);
  const stmt = db.prepare(`INSERT INTO requests (${COLUMN_SQL}) VALUES (${RECORD_COLUMNS.map(() => "?").join(", ")})`);
  const t0 = performance.now();
  for (let at = 0; at < total; at += BATCH) {
    db.transaction(() => {
      for (let i = at; i < Math.min(total, at + BATCH); i++) stmt.run(recordToParams(makeRecord(i)));
    });
  }
  const ms = performance.now() - t0;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return Math.round((total / ms) * 1000);
}

const rounds: { sustained: number; drain: number; raw: number; dropped: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const rates = await run("bun:sqlite", openSqlite, TOTAL);
  rounds.push({ sustained: rates.sustained, drain: rates.drain, raw: raw(TOTAL), dropped: rates.dropped });
}
console.log(JSON.stringify({ total: TOTAL, rounds }));
