/** The PostgreSQL control store: the SQLite one's answers, plus claims, leases and counters shared by instances. */
import assert from "node:assert/strict";
import type { RateLimit } from "../../src/control/types.ts";
import { createPgControlStore } from "../../src/store/pg/control-store.ts";
import { testNeeding } from "../_helpers/host.ts";
import { BUDGET } from "../control/_helpers.ts";
import { freshDb, PG_MISSING, type SpendRow } from "./pg-control-helpers.ts";

const LIMIT: RateLimit = { id: "alice-rpm", scope: { user: "alice" }, rpm: 60, tpm: null };
const T0 = Date.parse("2026-11-20T12:00:00.000Z");

/** The SQLite test's records: five a minute apart plus ones that must not count (blocked, other project). */
function spendRows(): SpendRow[] {
  const base = { project: "team-a", user: "alice", key_id: "k1", provider: "openai", model: "gpt-4o" };
  const ts = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
  const rows: SpendRow[] = [0, 1, 2, 3, 4].map((i) => ({
    ...base,
    id: `r${i}`,
    ts: ts(i),
    cost_pico: 1000 * (i + 1),
    total_tokens: 10 * (i + 1),
    tags: i % 2 === 0 ? ["batch", "night"] : ["interactive"],
  }));
  rows.push(
    { ...base, id: "r10", ts: ts(2), cost_pico: 1_000_000, total_tokens: 999, outcome: "blocked" },
    { ...base, id: "r11", ts: ts(2), project: "team-b", cost_pico: 7, total_tokens: 7 },
    { ...base, id: "r12", ts: ts(3), cost_pico: null, total_tokens: 5 },
  );
  return rows;
}

testNeeding("pg: spend sums by scope, since, bucket; blocked records never count", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    await db.insert(spendRows());
    const c = createPgControlStore(db.sql);
    assert.deepEqual(await c.spend({ project: "team-a" }, null, null), [{ at: 0, cost_pico: 15_000, tokens: 155 }]);
    assert.deepEqual(await c.spend({}, null, null), [{ at: 0, cost_pico: 15_007, tokens: 162 }]);
    assert.deepEqual(await c.spend({ project: "nobody" }, T0, null), [{ at: T0, cost_pico: 0, tokens: 0 }]);
    assert.deepEqual(await c.spend({ project: "team-a", user: "alice" }, T0 + 120_000, null), [
      { at: T0 + 120_000, cost_pico: 12_000, tokens: 125 },
    ]);
    assert.deepEqual(await c.spend({ tag: "batch" }, null, null), [{ at: 0, cost_pico: 9000, tokens: 90 }]);
    assert.deepEqual(await c.spend({ tag: "night", key_id: "k1" }, null, null), [{ at: 0, cost_pico: 9000, tokens: 90 }]);
    assert.deepEqual(await c.spend({ tag: "bat" }, null, null), [{ at: 0, cost_pico: 0, tokens: 0 }]);
    assert.deepEqual(await c.spend({ project: "team-a" }, T0 + 60_000, 60_000), [
      { at: T0 + 60_000, cost_pico: 2000, tokens: 20 },
      { at: T0 + 120_000, cost_pico: 3000, tokens: 30 },
      { at: T0 + 180_000, cost_pico: 4000, tokens: 45 },
      { at: T0 + 240_000, cost_pico: 5000, tokens: 50 },
    ]);
    assert.deepEqual(await c.spend({ tag: "interactive" }, T0 - 1800_000, 3_600_000), [
      { at: T0, cost_pico: 6000, tokens: 60 },
    ]);
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

testNeeding("pg: counters are seeded from records once, added to atomically, and dropped when their definition changes", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    await db.insert(spendRows());
    const a = createPgControlStore(db.sql);
    const b = createPgControlStore(db.connect());
    const key = "budget {team-a}";
    const owner = "budget:team-a-month";
    // Two instances open the same budget at once: seeded from `requests` once.
    await Promise.all([
      a.openCounters(key, owner, { project: "team-a" }, T0, null, T0 + 86_400_000),
      b.openCounters(key, owner, { project: "team-a" }, T0, null, T0 + 86_400_000),
    ]);
    const read = [{ key, since: T0, until: T0 + 1 }];
    assert.deepEqual(await a.exchange([], read), [{ key, at: T0, a: 15_000, b: 155 }]);
    // Concurrent pushes from both add up.
    const delta = { key, owner, at: T0, a: 1, b: 2, expires: T0 + 86_400_000 };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).exchange([delta], [])));
    assert.deepEqual(await b.exchange([{ ...delta, a: 100, b: 0 }], read), [{ key, at: T0, a: 15_120, b: 195 }]);
    // Opening again (a restart) does not seed again.
    await a.openCounters(key, owner, { project: "team-a" }, T0, null, T0 + 86_400_000);
    assert.deepEqual(await a.exchange([], read), [{ key, at: T0, a: 15_120, b: 195 }]);
    // Rolling buckets: seeded per bucket.
    const rolling = "budget {rolling}";
    await a.openCounters(rolling, "budget:r", { tag: "interactive" }, T0, 60_000, T0 + 3_660_000);
    assert.deepEqual(await a.exchange([], [{ key: rolling, since: T0, until: Number.MAX_SAFE_INTEGER }]), [
      { key: rolling, at: T0 + 60_000, a: 2000, b: 20 },
      { key: rolling, at: T0 + 180_000, a: 4000, b: 40 },
    ]);
    // Writing the definition clears its counters (its new key starts from the records).
    await a.putBudget({ ...BUDGET, limit_usd: "70" });
    assert.deepEqual(await a.exchange([], read), []);
    await a.openCounters(key, owner, { project: "team-a" }, T0, null, T0 + 86_400_000);
    assert.deepEqual(await a.exchange([], read), [{ key, at: T0, a: 15_000, b: 155 }]);
    // Expired rows are pruned: a rolling bucket a window after it began, a calendar window once it ended.
    await a.pruneCounters(T0 + 3_780_000);
    assert.deepEqual(await a.exchange([], [{ key: rolling, since: 0, until: Number.MAX_SAFE_INTEGER }, ...read]), [
      { key, at: T0, a: 15_000, b: 155 },
      { key: rolling, at: T0 + 180_000, a: 4000, b: 40 },
    ].sort((x, y) => (x.key < y.key ? -1 : 1)));
    await a.pruneCounters(T0 + 86_400_001);
    assert.equal((await db.sql`SELECT count(*)::int AS n FROM spend_counters`)[0]?.n, 0);
  } finally {
    await db.close();
  }
});
