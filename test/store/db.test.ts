import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { drivers, withTempDir } from "./helpers.ts";

const BIG = 9007199254740993n; // 2^53 + 1: the first integer a double cannot hold

for (const { name, open, test } of await drivers()) {
  test(`${name}: rows are plain objects and a miss is undefined`, () => {
    const db = open(":memory:");
    db.exec("CREATE TABLE t (a INTEGER, b TEXT, c REAL, d BLOB)");
    db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").run([1, "x", 1.5, new Uint8Array([1, 2])]);
    const row = db.prepare("SELECT * FROM t").get();
    assert.deepEqual(row, { a: 1, b: "x", c: 1.5, d: new Uint8Array([1, 2]) });
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.equal(db.prepare("SELECT * FROM t WHERE a = 2").get(), undefined);
    db.close();
  });

  test(`${name}: named parameters bind $name from bare keys`, () => {
    const db = open(":memory:");
    db.exec("CREATE TABLE t (a INTEGER, b TEXT)");
    db.prepare("INSERT INTO t VALUES ($a, $b)").run({ a: 7, b: "y" });
    assert.deepEqual(db.prepare("SELECT * FROM t WHERE a = $a").all({ a: 7 }), [{ a: 7, b: "y" }]);
    db.close();
  });

  test(`${name}: integers beyond 2^53 come back as exact bigint, safe ones as number`, () => {
    const db = open(":memory:");
    db.exec("CREATE TABLE t (a INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    insert.run([BIG]);
    insert.run([5]);
    const rows = db.prepare("SELECT a FROM t ORDER BY a").all();
    assert.deepEqual(rows, [{ a: 5 }, { a: BIG }]);
    // A sum past 2^53 is exact (bun:sqlite would round it by default, node:sqlite would throw).
    assert.deepEqual(db.prepare("SELECT SUM(a) AS s FROM t").get(), { s: BIG + 5n });
    db.close();
  });

  test(`${name}: transaction commits, rolls back on throw, nests with savepoints`, () => {
    const db = open(":memory:");
    db.exec("CREATE TABLE t (a INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    const count = () => db.prepare<{ n: number }>("SELECT COUNT(*) AS n FROM t").get()?.n;
    assert.equal(db.transaction(() => (insert.run([1]), "done")), "done");
    assert.equal(count(), 1);
    assert.throws(() => db.transaction(() => (insert.run([2]), assert.fail("boom"))), /boom/);
    assert.equal(count(), 1);
    db.transaction(() => {
      insert.run([3]);
      // The inner failure undoes only the inner work.
      assert.throws(() => db.transaction(() => (insert.run([4]), assert.fail("inner"))));
    });
    assert.deepEqual(db.prepare("SELECT a FROM t ORDER BY a").all(), [{ a: 1 }, { a: 3 }]);
    // An async callback is refused: it would commit before its work ran.
    assert.throws(() => db.transaction(() => Promise.resolve(1)), /synchronous/);
    db.close();
  });

  test(`${name}: iterate yields normalized rows one at a time`, () => {
    const db = open(":memory:");
    db.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3)");
    const seen: unknown[] = [];
    for (const row of db.prepare("SELECT a FROM t ORDER BY a").iterate()) seen.push(row);
    assert.deepEqual(seen, [{ a: 1 }, { a: 2 }, { a: 3 }]);
    db.close();
  });

  test(`${name}: run() reports changes; driver name is exposed`, () => {
    const db = open(":memory:");
    assert.equal(db.driver, name);
    db.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)");
    assert.equal(db.prepare("UPDATE t SET a = a + 1").run().changes, 2);
    db.close();
  });

  test(`${name}: a read-only open reads and refuses writes`, async () => {
    await withTempDir((dir) => {
      const path = join(dir, "ro.db");
      const rw = open(path);
      rw.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)");
      rw.close();
      chmodSync(path, 0o444);
      const ro = open(path, { readonly: true });
      assert.deepEqual(ro.prepare("SELECT a FROM t").all(), [{ a: 1 }]);
      assert.throws(() => ro.prepare("INSERT INTO t VALUES (2)").run(), /readonly/);
      ro.close();
      assert.throws(() => open(join(dir, "missing.db"), { readonly: true }));
    });
  });
}
