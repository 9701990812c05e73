import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { RECORD_COLUMNS } from "../../src/store/columns.ts";
import { readFileSync } from "node:fs";
import { configure, migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from "../../src/store/schema.ts";
import { drivers, withTempDir } from "./helpers.ts";

for (const { name, open, test } of await drivers()) {
  test(`${name}: migrate is idempotent and records the version`, async () => {
    await withTempDir((dir) => {
      const path = join(dir, "k.db");
      const db = open(path);
      configure(db);
      assert.equal(schemaVersion(db), 0);
      migrate(db);
      migrate(db);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      db.prepare(
        "INSERT INTO requests (id, ts, request_id, provider, method, path, status, outcome, streaming, " +
          "duration_ms, usage_source, priced) VALUES ('a', 't', 'r', 'p', 'POST', '/', 200, 'ok', 0, 1, 'none', 0)",
      ).run();
      db.close();
      // A second process (or a restart) migrating the same file changes nothing and keeps the data.
      const again = open(path);
      migrate(again);
      assert.equal(schemaVersion(again), SCHEMA_VERSION);
      assert.deepEqual(again.prepare("SELECT id, tags FROM requests").all(), [{ id: "a", tags: "[]" }]);
      assert.deepEqual(again.prepare("PRAGMA journal_mode").get(), { journal_mode: "wal" });
      again.close();
    });
  });

  test(`${name}: upgrading deletes the plain key hints earlier versions stored, leaving none of their text in the file`, async () => {
    await withTempDir((dir) => {
      const path = join(dir, "k.db");
      const db = open(path);
      configure(db);
      const digestsAt = MIGRATIONS.findIndex((m) => (typeof m === "string" ? m : m.sql).includes("RENAME COLUMN hint TO digests"));
      for (let v = 0; v < digestsAt; v++) db.exec(MIGRATIONS[v] as string);
      db.exec(`PRAGMA user_version = ${digestsAt}`);
      const hint = "sk-ant-api03-R2D...igAA";
      db.prepare("INSERT INTO reconcile_key_hints (provider, fingerprint, hint, first_seen) VALUES ('anthropic', 'fp1', $h, 't')").run({ h: hint });
      db.prepare("INSERT INTO reconcile_keys (provider, api_key_id, hint, name, project) VALUES ('anthropic', 'k1', $h, NULL, '')").run({ h: hint });
      migrate(db);
      assert.deepEqual(db.prepare("SELECT * FROM reconcile_key_hints").all(), []);
      assert.deepEqual(db.prepare("SELECT * FROM reconcile_keys").all(), []);
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.close();
      const file = readFileSync(path).toString("latin1");
      assert.ok(!file.includes("sk-ant-api03-R2D"), "the old hint's text is gone from the file");
    });
  });

  test(`${name}: one column per UsageRecord field, same names, in contract order`, () => {
    const db = open(":memory:");
    migrate(db);
    const cols = db.prepare<{ name: string }>("PRAGMA table_info(requests)").all().map((r) => r.name);
    assert.deepEqual(cols, [...RECORD_COLUMNS]);
    db.close();
  });

  test(`${name}: a file from a newer Kestrel is refused, not downgraded`, () => {
    const db = open(":memory:");
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    assert.throws(() => migrate(db), /newer than this Kestrel supports/);
    db.close();
  });

  test(`${name}: listing, export and prune use an index instead of sorting`, () => {
    const db = open(":memory:");
    migrate(db);
    const plan = (sql: string) =>
      db.prepare<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all({}).map((r) => r.detail).join("; ");
    const cases: [sql: string, index: RegExp][] = [
      // newest-first page after a cursor
      ["SELECT id FROM requests WHERE (ts, id) < ('t', 'i') ORDER BY ts DESC, id DESC LIMIT 10", /requests_ts/],
      // export page with a time range
      ["SELECT id FROM requests WHERE ts >= 'a' AND (ts, id) > ('t', 'i') ORDER BY ts, id LIMIT 10", /requests_ts/],
      // filtered by user
      [`SELECT id FROM requests WHERE "user" = 'u' ORDER BY ts DESC, id DESC LIMIT 10`, /requests_user_ts/],
      // filtered by model and time
      ["SELECT id FROM requests WHERE model = 'm' AND ts >= 'a' ORDER BY ts, id LIMIT 10", /requests_model_ts/],
    ];
    for (const [sql, index] of cases) {
      const detail = plan(sql);
      assert.match(detail, index, sql);
      assert.doesNotMatch(detail, /TEMP B-TREE/, sql);
    }
    db.close();
  });
}
