import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { RateLimit } from "../../src/control/types.ts";
import { createStore } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { drivers, makeRecord, withTempDir } from "./helpers.ts";
import { BUDGET } from "../control/_helpers.ts";

const LIMIT: RateLimit = { id: "alice-rpm", scope: { user: "alice" }, rpm: 60, tpm: null };
const BLOCKED = "blocked" as unknown as UsageRecord["outcome"];
const T0 = Date.parse("2026-11-20T12:00:00.000Z");

/** Five records a minute apart (cost 1000·(i+1) pico, 10·(i+1) tokens) plus ones that must not count. */
function spendRecords(): UsageRecord[] {
  const at = (i: number, minutes: number) => ({ ts: new Date(T0 + minutes * 60_000).toISOString(), id: `r${i}` });
  const base = { project: "team-a", user: "alice", key_id: "k1", provider: "openai", model: "gpt-4o" };
  const records = [0, 1, 2, 3, 4].map((i) =>
    makeRecord(i, {
      ...base,
      ...at(i, i),
      cost_pico: 1000 * (i + 1),
      total_tokens: 10 * (i + 1),
      tags: i % 2 === 0 ? ["batch", "night"] : ["interactive"],
    })
  );
  records.push(
    makeRecord(10, { ...base, ...at(10, 2), cost_pico: 1_000_000, total_tokens: 999, outcome: BLOCKED }),
    makeRecord(11, { ...base, ...at(11, 2), project: "team-b", cost_pico: 7, total_tokens: 7 }),
    // Unpriced: its tokens count, its cost is unknown.
    makeRecord(12, { ...base, ...at(12, 3), cost_pico: null, cost_usd: null, priced: false, total_tokens: 5 }),
  );
  return records;
}

for (const { name, open, test } of await drivers()) {
  test(`${name}: spend sums by scope, since, bucket; blocked records never count`, async () => {
    const store = createStore(open(":memory:"));
    for (const r of spendRecords()) store.add(r);
    await store.flush();
    const c = store.control;

    assert.deepEqual(await c.spend({ project: "team-a" }, null, null), [{ at: 0, cost_pico: 15_000, tokens: 155 }]);
    assert.deepEqual(await c.spend({}, null, null), [{ at: 0, cost_pico: 15_007, tokens: 162 }]);
    assert.deepEqual(await c.spend({ project: "nobody" }, T0, null), [{ at: T0, cost_pico: 0, tokens: 0 }]);
    // Since minute 2 (inclusive).
    assert.deepEqual(await c.spend({ project: "team-a", user: "alice" }, T0 + 120_000, null), [
      { at: T0 + 120_000, cost_pico: 12_000, tokens: 125 },
    ]);
    // A tag matches when it is one of the record's tags.
    assert.deepEqual(await c.spend({ tag: "batch" }, null, null), [{ at: 0, cost_pico: 9000, tokens: 90 }]);
    assert.deepEqual(await c.spend({ tag: "night", key_id: "k1" }, null, null), [{ at: 0, cost_pico: 9000, tokens: 90 }]);
    assert.deepEqual(await c.spend({ tag: "bat" }, null, null), [{ at: 0, cost_pico: 0, tokens: 0 }]);
    assert.deepEqual(await c.spend({ model: "gpt-4o", provider: "anthropic" }, null, null), [
      { at: 0, cost_pico: 0, tokens: 0 },
    ]);

    // Minute buckets: empty ones are left out; the blocked record at minute 2 is not in its bucket.
    assert.deepEqual(await c.spend({ project: "team-a" }, T0 + 60_000, 60_000), [
      { at: T0 + 60_000, cost_pico: 2000, tokens: 20 },
      { at: T0 + 120_000, cost_pico: 3000, tokens: 30 },
      { at: T0 + 180_000, cost_pico: 4000, tokens: 45 },
      { at: T0 + 240_000, cost_pico: 5000, tokens: 50 },
    ]);
    // Hour buckets align to the epoch, not to `since`.
    assert.deepEqual(await c.spend({ tag: "interactive" }, T0 - 1800_000, 3_600_000), [
      { at: T0, cost_pico: 6000, tokens: 60 },
    ]);
    await store.close();
  });

  test(`${name}: definitions round-trip, replace, delete; the version moves on every change`, async () => {
    const store = createStore(open(":memory:"));
    const c = store.control;
    const v0 = await c.definitionsVersion();
    assert.deepEqual(await c.listBudgets(), []);
    await c.putBudget(BUDGET);
    await c.putBudget({ ...BUDGET, id: "a-first", scope: {} });
    assert.deepEqual((await c.listBudgets()).map((b) => b.id), ["a-first", "team-a-month"]);
    assert.deepEqual((await c.listBudgets())[1], BUDGET);
    const v1 = await c.definitionsVersion();
    assert.ok(v1 > v0);
    await c.putBudget(BUDGET); // identical: nothing changes
    assert.equal(await c.definitionsVersion(), v1);
    await c.putBudget({ ...BUDGET, limit_usd: "60" });
    assert.equal((await c.listBudgets())[1]?.limit_usd, "60");
    const v2 = await c.definitionsVersion();
    assert.ok(v2 > v1);
    assert.equal(await c.deleteBudget("team-a-month"), true);
    assert.equal(await c.deleteBudget("team-a-month"), false);
    const v3 = await c.definitionsVersion();
    assert.ok(v3 > v2);

    await c.putRateLimit(LIMIT);
    assert.deepEqual(await c.listRateLimits(), [LIMIT]);
    const v4 = await c.definitionsVersion();
    assert.ok(v4 > v3);
    assert.equal(await c.deleteRateLimit("alice-rpm"), true);
    assert.equal(await c.deleteRateLimit("alice-rpm"), false);
    assert.deepEqual(await c.listRateLimits(), []);
    assert.ok((await c.definitionsVersion()) > v4);
    await store.close();
  });

  test(`${name}: syncConfig upserts the file's definitions and drops config rows the file lost, keeping API ones`, async () => {
    const store = createStore(open(":memory:"));
    const c = store.control;
    const old = { ...BUDGET, id: "old-config" };
    assert.equal(await c.syncConfig([BUDGET, old], [LIMIT]), true);
    await c.putBudget({ ...BUDGET, id: "from-api" });
    await c.putRateLimit({ ...LIMIT, id: "api-limit" });
    const v = await c.definitionsVersion();
    assert.equal(await c.syncConfig([BUDGET, old], [LIMIT]), false); // a restart with the same file
    assert.equal(await c.definitionsVersion(), v);

    // The file loses old-config and the rate limit, and changes team-a-month.
    assert.equal(await c.syncConfig([{ ...BUDGET, limit_usd: "75" }], []), true);
    assert.deepEqual((await c.listBudgets()).map((b) => [b.id, b.limit_usd]), [
      ["from-api", "50"],
      ["team-a-month", "75"],
    ]);
    assert.deepEqual((await c.listRateLimits()).map((l) => l.id), ["api-limit"]);
    assert.ok((await c.definitionsVersion()) > v);
    await store.close();
  });

  test(`${name}: a write by another connection (the CLI) changes definitionsVersion`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "k.db");
      const server = createStore(open(path));
      const cli = createStore(open(path), { busyTimeoutMs: 5000 });
      const before = await server.control.definitionsVersion();
      await cli.control.putBudget(BUDGET);
      const after = await server.control.definitionsVersion();
      assert.notEqual(after, before);
      assert.deepEqual(await server.control.listBudgets(), [BUDGET]);
      await cli.control.putRateLimit(LIMIT);
      assert.ok((await server.control.definitionsVersion()) > after);
      await cli.close();
      await server.close();
    });
  });
}
