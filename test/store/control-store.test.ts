import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { RateLimit } from "../../src/control/types.ts";
import { createStore } from "../../src/store/store.ts";
import { drivers, withTempDir } from "./helpers.ts";
import { checkRetention, checkSpend, spendRecords } from "./spend-cases.ts";
import { BUDGET } from "../control/_helpers.ts";

const LIMIT: RateLimit = { id: "alice-rpm", scope: { user: "alice" }, rpm: 60, tpm: null };
for (const { name, open, test } of await drivers()) {
  test(`${name}: spend sums by scope, since, bucket; blocked records never count`, async () => {
    const store = createStore(open(":memory:"));
    for (const r of spendRecords()) store.add(r);
    await store.flush();
    await checkSpend(store.control);
    await store.close();
  });

  test(`${name}: retention deletes raw records, never a window's spend (issue 20 item 6)`, async () => {
    const store = createStore(open(":memory:"));
    await checkRetention(store, Date.now());
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
