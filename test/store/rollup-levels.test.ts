// The coarse rollups' migration (src/store/rollup-levels.ts): a database written before them gets them filled from
// the quarter-hour rollup, row for row what the flusher writes, on SQLite (migration 12) and PostgreSQL (the last
// PG migration). Shown by writing records through the store (every level filled by the flusher), keeping the coarse
// tables' rows, then dropping the tables and stepping the version back so the migration runs again.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { connectPg } from "../../src/store/pg/connect.ts";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { PG_SCHEMA_VERSION } from "../../src/store/pg/schema.ts";
import { coarsen, LEVELS, levelCutoff } from "../../src/store/rollup-levels.ts";
import { createStore } from "../../src/store/store.ts";
import { SCHEMA_VERSION } from "../../src/store/schema.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { drivers, makeRecord } from "./helpers.ts";

const DAY = 86_400_000;
const BASE = Date.parse("2026-11-18T22:50:00.000Z");
const RECORDS = Array.from({ length: 200 }, (_, i) =>
  makeRecord(i, {
    ts: new Date(BASE + i * 37 * 60_000).toISOString(), // ~5 days, crossing hours and days at odd minutes
    model: i % 7 === 0 ? null : i % 2 === 0 ? "gpt-4o" : "gpt-4o-mini",
    outcome: i % 5 === 0 ? "upstream_error" : "ok",
    user: `u${i % 3}`,
  })
);
const ORDER = "ORDER BY ts, provider, model, outcome";

for (const { name, open, test: t } of await drivers()) {
  t(`${name}: migration ${SCHEMA_VERSION} fills the day and hour rollups as the flusher does`, async () => {
    const db = open(":memory:");
    const store = createStore(db);
    for (const r of RECORDS) store.add(r);
    await store.flush();
    const written = LEVELS.map((l) => db.prepare(`SELECT * FROM ${l.table} ${ORDER}`).all());
    assert.ok(written.every((rows) => rows.length > 1));
    for (const l of LEVELS) db.exec(`DROP TABLE ${l.table}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION - 1}`);
    const again = createStore(db); // migrates
    assert.deepEqual(LEVELS.map((l) => db.prepare(`SELECT * FROM ${l.table} ${ORDER}`).all()), written);
    await again.close();
  });
}

const missing = pgMissing();
let server: Promise<Postgres> | null = null;
after(async () => {
  if (server !== null) (await server).close();
});

testNeeding("postgres: the coarse rollups' migration fills them as the flusher does", missing, async () => {
  const url = (await (server ??= startPostgres())).createDatabase("levels");
  const store = createPgStore(url, { poolSize: 2 });
  for (const r of RECORDS) store.add(r);
  await store.flush();
  await store.close();
  const sql = connectPg(url, { poolSize: 1 });
  try {
    const read = () => Promise.all(LEVELS.map(async (l) => [...(await sql.unsafe(`SELECT * FROM ${l.table} ${ORDER}`))]));
    const written = await read();
    assert.ok(written.every((rows) => rows.length > 1));
    for (const l of LEVELS) await sql.unsafe(`DROP TABLE ${l.table}`);
    await sql`UPDATE kestrel_schema_version SET version = ${PG_SCHEMA_VERSION - 1}`;
    const again = createPgStore(url, { poolSize: 1 });
    await again.usage({}, "day"); // migrated
    await again.close();
    assert.deepEqual(await read(), written);
  } finally {
    await sql.end();
  }
});

test("coarse buckets are prefixes of the quarter hour; a level's cut-off is its own whole bucket", () => {
  const fine = [
    { keys: ["2026-11-20T23:45:00.000Z", "openai", "m", "m", "k", "u", "p", "[]", "ok"], counts: [1, 0, 5], cost: 7n },
    { keys: ["2026-11-20T23:00:00.000Z", "openai", "m", "r", "k2", "", "", "[]", "ok"], counts: [2, 1, 3], cost: 1n },
  ];
  const [day, hour] = LEVELS.map((l) => coarsen(l, fine));
  assert.deepEqual(day, [{ keys: ["2026-11-20T00:00:00.000Z", "openai", "m", "ok"], counts: [3, 1, 8], cost: 8n }]);
  assert.deepEqual(hour, [{ keys: ["2026-11-20T23:00:00.000Z", "openai", "m", "ok"], counts: [3, 1, 8], cost: 8n }]);
  assert.deepEqual(LEVELS.map((l) => levelCutoff(l, "2026-11-20T10:15:00.000Z")), ["2026-11-20T00:00:00.000Z", "2026-11-20T10:00:00.000Z"]);
  assert.equal(Date.parse(levelCutoff(LEVELS[0]!, new Date(BASE).toISOString())) % DAY, 0);
});
