/** The serving process's spend control (src/control/setup.ts): reloads, and the shared-spend timer on PostgreSQL. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startControl } from "../../src/control/setup.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import type { Budget } from "../../src/control/types.ts";
import type { Logger } from "../../src/log.ts";
import type { StoreControl } from "../../src/store/control-store.ts";
import { createPgControlStore } from "../../src/store/pg/control-store.ts";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver } from "../store/helpers.ts";
import { testNeeding } from "../_helpers/host.ts";
import { until } from "../_helpers/poll.ts";
import { freshDb, PG_MISSING } from "../store/pg-control-helpers.ts";
import { fakeStore, pico, settled } from "./_helpers.ts";

const BUDGET = parseBudget({ id: "team-month", scope: { project: "team-a" }, window: "month", limit_usd: "1" });
const alerts = { webhooks: [], spikeFactor: 5, spikeMinUsd: "1" };

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m: string) => lines.push(`INF ${m}`), warn: (m: string) => lines.push(`WRN ${m}`), error: (m: string) => lines.push(`ERR ${m}`) } as unknown as Logger & { lines: string[] };
}

test("a reload that fails is retried at the next poll instead of being forgotten", async () => {
  let version = 0;
  let budgets: Budget[] = [];
  let failLists = 0;
  const store = {
    ...fakeStore(),
    syncConfig: () => Promise.resolve(false),
    definitionsVersion: () => Promise.resolve(version),
    listBudgets: () => (failLists-- > 0 ? Promise.reject(new Error("connection closed")) : Promise.resolve(budgets)),
  } as unknown as StoreControl;
  const log = logger();
  const setup = await startControl({ store, budgets: [], rateLimits: [], alerts, log, fetch, now: Date.now });
  try {
    budgets = [BUDGET];
    version = 1;
    failLists = 1; // the first reload after the change fails
    await until("the budget loaded by a later poll", () => setup.control.budgetStates(Date.now()).length === 1, {
      detail: () => log.lines.join("\n"),
    });
    assert.ok(log.lines.some((l) => /ERR Cannot reload budgets/.test(l)), log.lines.join("\n"));
  } finally {
    await setup.stop();
  }
});

testNeeding("on PostgreSQL each instance's spend reaches the others by the timer, and a stop pushes what is left", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const start = () =>
      startControl({
        store: createPgControlStore(db.connect()), budgets: [BUDGET], rateLimits: [], alerts, log: logger(), fetch,
        now: Date.now, syncEveryMs: 20,
      });
    const a = await start();
    const b = await start();
    const spend = (usd: number) =>
      a.control.settle(settled(Date.now(), pico(usd), 1));
    const seenByB = () => b.control.budgetStates(Date.now())[0]!.spent_pico;
    spend(0.25);
    await until("b sees a's spend", () => seenByB() === BigInt(pico(0.25)));
    await a.stop();
    await b.stop();
    // An instance whose timer never fires (an hour): only its stop can push what it settled.
    const c = await startControl({
      store: createPgControlStore(db.connect()), budgets: [BUDGET], rateLimits: [], alerts, log: logger(), fetch,
      now: Date.now, syncEveryMs: 3_600_000,
    });
    assert.equal(c.control.budgetStates(Date.now())[0]!.spent_pico, BigInt(pico(0.25)));
    c.control.settle(settled(Date.now(), pico(0.1), 1));
    await c.stop();
    const d = await start();
    assert.equal(d.control.budgetStates(Date.now())[0]!.spent_pico, BigInt(pico(0.35)));
    await d.stop();
  } finally {
    await db.close();
  }
});

test("a definition written through the API is applied alone: no re-read of every definition per write (issue 20 item 18)", async () => {
  const { open } = await runtimeDriver();
  const store = createStore(open(":memory:"));
  const many = Array.from({ length: 8000 }, (_, i) =>
    parseBudget({ id: `b${i}`, scope: { project: `p${i}` }, window: "day", limit_usd: "1" })
  );
  for (const b of many) await store.control.putBudget(b);
  let lists = 0;
  const counted: StoreControl = { ...store.control, listBudgets: () => (lists++, store.control.listBudgets()) };
  const setup = await startControl({ store: counted, budgets: [], rateLimits: [], alerts, log: logger(), fetch, now: Date.now });
  try {
    lists = 0;
    for (let i = 0; i < 200; i++) {
      await counted.putBudget({ ...many[i]!, limit_usd: "2" });
      await setup.changed("budget", many[i]!.id);
    }
    assert.equal(lists, 0, "each write read its own definition only");
    assert.equal(setup.control.budgetState("b7", Date.now())!.budget.limit_usd, "2");
    assert.equal(setup.control.budgetStates(Date.now()).length, 8000);
    await counted.deleteBudget("b3");
    await setup.changed("budget", "b3");
    assert.equal(setup.control.budgetState("b3", Date.now()), null);
    assert.equal(lists, 0);
  } finally {
    await setup.stop();
    await store.close();
  }
});
