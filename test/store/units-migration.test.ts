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
