/** The PostgreSQL control store: the SQLite one's answers, plus claims, leases and counters shared by instances. */
import assert from "node:assert/strict";
import type { RateLimit } from "../../src/control/types.ts";
import { createPgControlStore } from "../../src/store/pg/control-store.ts";
import { testNeeding } from "../_helpers/host.ts";
import { budgetSpendKey } from "../../src/control/identity.ts";
import { BUDGET } from "../control/_helpers.ts";
import { freshDb, PG_MISSING } from "./pg-control-helpers.ts";
import { checkRetention, checkSpend, spendRecords, T0 } from "./spend-cases.ts";
import { createPgStore } from "../../src/store/pg/pg-store.ts";

const LIMIT: RateLimit = { id: "alice-rpm", scope: { user: "alice" }, rpm: 60, tpm: null };
testNeeding("pg: spend sums by scope, since, bucket; blocked records never count", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    await db.insert(spendRecords());
    await checkSpend(createPgControlStore(db.sql));
  } finally {
    await db.close();
  }
});

testNeeding("pg: retention deletes raw records, never a window's spend (issue 20 item 6)", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const store = createPgStore(db.url, { poolSize: 2 });
    await checkRetention(store, Date.now());
    await store.close();
  } finally {
    await db.close();
  }
});

testNeeding("pg: definitions round-trip, replace, delete; the version moves on every change, seen by another client", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const c = createPgControlStore(db.sql);
    const other = createPgControlStore(db.connect());
    const v0 = await c.definitionsVersion();
    await c.putBudget(BUDGET);
    await c.putBudget({ ...BUDGET, id: "a-first", scope: {} });
    assert.deepEqual((await other.listBudgets()).map((b) => b.id), ["a-first", "team-a-month"]);
    assert.deepEqual((await c.listBudgets())[1], BUDGET);
    const v1 = await other.definitionsVersion();
    assert.ok(v1 > v0);
    await c.putBudget(BUDGET); // identical: nothing changes
    assert.equal(await c.definitionsVersion(), v1);
    await other.putBudget({ ...BUDGET, limit_usd: "60" });
    assert.equal((await c.listBudgets())[1]?.limit_usd, "60");
    const v2 = await c.definitionsVersion();
    assert.ok(v2 > v1);
    assert.equal(await c.deleteBudget("team-a-month"), true);
    assert.equal(await c.deleteBudget("team-a-month"), false);
    assert.ok((await c.definitionsVersion()) > v2);
    await c.putRateLimit(LIMIT);
    assert.deepEqual(await c.listRateLimits(), [LIMIT]);
    assert.equal(await c.deleteRateLimit("alice-rpm"), true);
    assert.deepEqual(await c.listRateLimits(), []);
  } finally {
    await db.close();
  }
});

testNeeding("pg: syncConfig from two instances at once changes the version once and keeps API definitions", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const a = createPgControlStore(db.sql);
    const b = createPgControlStore(db.connect());
    const old = { ...BUDGET, id: "old-config" };
    const both = await Promise.all([a.syncConfig([BUDGET, old], [LIMIT]), b.syncConfig([BUDGET, old], [LIMIT])]);
    assert.deepEqual(both.sort(), [false, true]);
    const v = await a.definitionsVersion();
    await a.putBudget({ ...BUDGET, id: "from-api" });
    assert.equal(await b.syncConfig([{ ...BUDGET, limit_usd: "75" }], []), true);
    assert.deepEqual((await a.listBudgets()).map((x) => [x.id, x.limit_usd]), [["from-api", "50"], ["team-a-month", "75"]]);
    assert.deepEqual(await a.listRateLimits(), []);
    assert.ok((await a.definitionsVersion()) > v);
  } finally {
    await db.close();
  }
});

testNeeding("pg: counters are seeded once, hold each instance's running total, and a repeated push counts once", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    await db.insert(spendRecords());
    const a = createPgControlStore(db.sql, Date.now, { instance: "a" });
    const b = createPgControlStore(db.connect(), Date.now, { instance: "b" });
    const key = "budget:team-a-month {team-a}";
    const owner = "budget:team-a-month";
    const day = T0 + 86_400_000;
    // Two instances open the same budget at once: seeded from the records once.
    const opened = await Promise.all([
      a.openCounters(key, owner, { project: "team-a" }, T0, null, day),
      b.openCounters(key, owner, { project: "team-a" }, T0, null, day),
    ]);
    assert.deepEqual(opened.sort(), [false, true]);
    const read = [{ key, since: T0, until: T0 + 1 }];
    const row = (a: number, b: number) => [{ key, at: T0, a: BigInt(a), b }];
    assert.deepEqual(await a.exchange([], read), row(15_000, 155));
    // Each instance writes its running total; the same total written again (a retry after a lost reply) is no
    // change, and concurrent writers never lose one another's (issue 20 item 8).
    const total = (n: number, tokens: number) => ({ key, owner, at: T0, a: BigInt(n), b: tokens, expires: day });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a.exchange([total(10, 2)], []) : b.exchange([total(5, 1)], []))));
    assert.deepEqual(await b.exchange([total(5, 1)], read), row(15_015, 158));
    assert.deepEqual(await a.exchange([total(12, 3)], read), row(15_017, 159));
    assert.deepEqual(await a.exchange([total(12, 3)], read), row(15_017, 159));
    // Opening again (a restart) does not seed again.
    assert.equal(await a.openCounters(key, owner, { project: "team-a" }, T0, null, day), false);
    assert.deepEqual(await a.exchange([], read), row(15_017, 159));
    // Rolling buckets: seeded per bucket.
    const rolling = "budget:r {rolling}";
    await a.openCounters(rolling, "budget:r", { tag: "interactive" }, T0, 60_000, T0 + 3_660_000);
    assert.deepEqual(await a.exchange([], [{ key: rolling, since: T0, until: Number.MAX_SAFE_INTEGER }]), [
      { key: rolling, at: T0 + 60_000, a: 2000n, b: 20 },
      { key: rolling, at: T0 + 180_000, a: 4000n, b: 40 },
    ]);
    // Expired rows are pruned: a rolling bucket a window after it began, a calendar window once it ended.
    await a.pruneCounters(T0 + 3_780_000);
    assert.deepEqual(await a.exchange([], [{ key: rolling, since: 0, until: Number.MAX_SAFE_INTEGER }]), [
      { key: rolling, at: T0 + 180_000, a: 4000n, b: 40 },
    ]);
    await a.pruneCounters(day + 1);
    assert.equal((await db.sql`SELECT count(*)::int AS n FROM spend_counters`)[0]?.n, 0);
  } finally {
    await db.close();
  }
});

testNeeding("pg: a definition keeps its counters when re-saved unchanged or with new limits, and drops them when its scope changes", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const a = createPgControlStore(db.sql, Date.now, { instance: "a" });
    await a.putBudget(BUDGET);
    const key = budgetSpendKey(BUDGET);
    const owner = "budget:team-a-month";
    await a.openCounters(key, owner, BUDGET.scope, T0, null, T0 + 86_400_000);
    await a.exchange([{ key, owner, at: T0, a: 5n, b: 1, expires: T0 + 86_400_000 }], []);
    const rows = async () => Number((await db.sql`SELECT count(*)::int AS n FROM spend_counters`)[0]?.n);
    await a.putBudget(BUDGET); // re-saved unchanged (issue 20 item 3)
    await a.putBudget({ ...BUDGET, scope: { project: "team-a" } }); // the same scope written again
    await a.syncConfig([BUDGET], []); // now from the config file: only the source changes
    await a.putBudget({ ...BUDGET, limit_usd: "70" }, "config"); // new limit: same spend
    assert.equal(await rows(), 1);
    await a.putBudget({ ...BUDGET, scope: { project: "team-b" } }, "config");
    assert.equal(await rows(), 0);
  } finally {
    await db.close();
  }
});
