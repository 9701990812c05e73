// `--store` / KESTREL_STORE / "store": where records live, `--db` as its SQLite shorthand, and a PostgreSQL
// password that never comes back in an error or a description.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../src/config.ts";
import { describeStore, maskUrl, parseStoreLocation } from "../src/store/location.ts";
import { pgErrorText } from "../src/store/pg/connect.ts";

const PG = "postgres://kestrel:s3cr%23t@db.internal:5432/usage?sslmode=require";
const files: Record<string, string> = { "pg.json": JSON.stringify({ store: PG, "pg-pool-size": 4 }) };
const parse = (args: string[], env: Record<string, string> = {}) =>
  parseConfig({ args, env, readFile: (p) => files[p] ?? "{}" });

test("default store: SQLite at ./kestrel.db; --db is its shorthand; sqlite:PATH the long form", () => {
  assert.deepEqual(parse([]).store, { kind: "sqlite", path: "./kestrel.db" });
  assert.equal(parse([]).pgPoolSize, 10);
  assert.deepEqual(parse(["--db", "/data/k.db"]).store, { kind: "sqlite", path: "/data/k.db" });
  const long = parse(["--store", "sqlite:/data/k.db"]);
  assert.deepEqual(long.store, { kind: "sqlite", path: "/data/k.db" });
  assert.equal(long.db, "/data/k.db");
});

test("a PostgreSQL store from the flag, the environment or the file; pool size likewise", () => {
  assert.deepEqual(parse(["--store", PG]).store, { kind: "postgres", url: PG });
  assert.deepEqual(parse([], { KESTREL_STORE: PG.replace("postgres:", "postgresql:") }).store.kind, "postgres");
  const fromFile = parse(["--config", "pg.json"]);
  assert.deepEqual(fromFile.store, { kind: "postgres", url: PG });
  assert.equal(fromFile.pgPoolSize, 4);
  assert.equal(parse(["--pg-pool-size", "25"]).pgPoolSize, 25);
  assert.throws(() => parse(["--pg-pool-size", "0"]), ConfigError);
});

test("--db and --store: the stronger source wins; at equal strength --store", () => {
  assert.equal(parse(["--db", "x.db"], { KESTREL_STORE: PG }).store.kind, "sqlite"); // flag beats environment
  assert.equal(parse([], { KESTREL_STORE: PG, KESTREL_DB: "x.db" }).store.kind, "postgres");
  assert.equal(parse(["--db", "x.db", "--store", PG]).store.kind, "postgres");
  assert.equal(parse(["--store", PG], { KESTREL_DB: "x.db" }).store.kind, "postgres");
});

test("a bad --store is refused without quoting the URL back", () => {
  for (const bad of ["postgres://kestrel:s3cret@", "mysql://kestrel:s3cret@h/db", "postgres://kestrel:s3cret@[::1/db"]) {
    assert.throws(() => parse(["--store", bad]), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^--store /);
      assert.ok(!err.message.includes("s3cret"), err.message);
      return true;
    });
  }
  assert.throws(() => parseStoreLocation("sqlite:"), /needs a file/);
});

test("descriptions mask the password and keep what an operator needs", () => {
  assert.equal(maskUrl(PG), "postgres://kestrel:***@db.internal:5432/usage?sslmode=require");
  assert.equal(describeStore({ kind: "postgres", url: PG }), "postgres://kestrel:***@db.internal:5432/usage?sslmode=require");
  assert.equal(describeStore({ kind: "sqlite", path: "./k.db" }), "sqlite:./k.db");
  assert.equal(maskUrl("postgres://h/db"), "postgres://h/db");
  assert.equal(pgErrorText(new Error(`connect to ${PG} failed`)), "connect to postgres://kestrel:***@db.internal:5432/usage?sslmode=require failed");
});
