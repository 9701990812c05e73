// Issue 23: the unit columns arrive by an appended migration. A file written before the rollup existed (version 6)
// must still migrate: migration 7's backfill runs before the unit columns exist, so it may read only the token
// columns; the rollup it creates already has the unit sums, and migration 9 must not add them twice.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RECORD_COLUMNS } from "../../src/store/columns.ts";
import { ROLLUP_COLUMNS } from "../../src/store/rollup.ts";
import { configure, migrate, MIGRATIONS, SCHEMA_VERSION } from "../../src/store/schema.ts";
import { drivers } from "./helpers.ts";

for (const { name, open, test: t } of await drivers()) {
  t(`${name}: a version-6 file with records migrates to the unit columns, its rollup summed from the tokens`, () => {
    const db = open(":memory:");
    configure(db);
    for (let v = 0; v < 6; v++) {
      const m = MIGRATIONS[v]!;
      db.exec(typeof m === "string" ? m : m.sql);
    }
    db.exec("PRAGMA user_version = 6");
    db.prepare(
      "INSERT INTO requests (id, ts, request_id, provider, model, method, path, status, outcome, streaming, duration_ms, " +
        "input_tokens, output_tokens, total_tokens, usage_source, priced, cost_pico) VALUES " +
        "('a', '2026-11-20T12:00:00.000Z', 'r', 'openai', 'gpt-4o', 'POST', '/', 200, 'ok', 0, 1, 10, 5, 15, 'reported', 1, 7)",
    ).run();
    migrate(db);
    const cols = db.prepare<{ name: string }>("PRAGMA table_info(requests)").all().map((r) => r.name);
    assert.deepEqual(cols, [...RECORD_COLUMNS]);
    const rollupCols = db.prepare<{ name: string }>("PRAGMA table_info(usage_rollup)").all().map((r) => r.name);
    assert.deepEqual([...rollupCols].sort(), [...ROLLUP_COLUMNS].sort());
    const row = db.prepare<Record<string, number>>("SELECT input_tokens, characters, audio_ms, cost_pico FROM usage_rollup").get();
    assert.deepEqual({ ...row }, { input_tokens: 10, characters: 0, audio_ms: 0, cost_pico: 7 });
    db.close();
  });

  t(`${name}: a fresh file gets the unit columns once (migration ${SCHEMA_VERSION} adds none twice)`, () => {
    const db = open(":memory:");
    migrate(db);
    const rollupCols = db.prepare<{ name: string }>("PRAGMA table_info(usage_rollup)").all().map((r) => r.name);
    assert.equal(rollupCols.filter((c) => c === "characters").length, 1);
    db.close();
  });
}

// `compute_ms` (Replicate compute seconds) came after the rollup was clustered (migration 10): a file written at
// version 9 or 10 has a rollup without its sum, and the copy migration 10 makes names today's columns.
for (const { name, open, test: t } of await drivers()) {
  for (const at of [9, 10]) {
    t(`${name}: a version-${at} file whose rollup predates compute_ms migrates, the sum added at 0`, () => {
      const db = open(":memory:");
      configure(db);
      for (let v = 0; v < at; v++) {
        const m = MIGRATIONS[v]!;
        const sql = typeof m === "string" ? m : m.sql;
        if (sql !== "") db.exec(sql);
        if (typeof m !== "string") m.then(db);
      }
      // As that version's Kestrel made it: no compute_ms in the rollup.
      db.exec("ALTER TABLE usage_rollup DROP COLUMN compute_ms");
      db.exec(`PRAGMA user_version = ${at}`);
      db.prepare(
        "INSERT INTO usage_rollup (ts, provider, model, requested_model, key_id, \"user\", project, tags, outcome, requests, " +
          "unpriced_requests, input_tokens, output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, " +
          "cache_write_1h_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, web_search_requests, " +
          "characters, audio_ms, images, search_queries, request_fees, cost_pico) VALUES " +
          "('2026-11-20T12:00:00.000Z', 'openai', 'gpt-4o', 'gpt-4o', '', '', '', '[]', 'ok', 1, 0, 10, 5, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7)",
      ).run();
      migrate(db);
      const cols = db.prepare<{ name: string }>("PRAGMA table_info(requests)").all().map((r) => r.name);
      assert.deepEqual(cols, [...RECORD_COLUMNS]);
      const rollupCols = db.prepare<{ name: string }>("PRAGMA table_info(usage_rollup)").all().map((r) => r.name);
      assert.deepEqual([...rollupCols].sort(), [...ROLLUP_COLUMNS].sort());
      const row = db.prepare<Record<string, number>>("SELECT input_tokens, compute_ms, cost_pico FROM usage_rollup").get();
      assert.deepEqual({ ...row }, { input_tokens: 10, compute_ms: 0, cost_pico: 7 });
      db.close();
    });
  }
}
