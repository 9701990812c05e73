import { test } from "node:test";
import assert from "node:assert/strict";
import { createControl } from "../../src/control/control.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import { attrs, fakeStore, harness, pico, type StoredRecord } from "./_helpers.ts";

const NOW = Date.parse("2026-11-15T12:00:00Z");
const RECORDS: StoredRecord[] = [
  { at: Date.parse("2026-11-02T10:00:00Z"), attributes: attrs(), cost_pico: pico(20), tokens: 100 },
  { at: Date.parse("2026-11-15T11:30:00Z"), attributes: attrs(), cost_pico: pico(10), tokens: 50 },
  { at: Date.parse("2026-10-31T23:00:00Z"), attributes: attrs(), cost_pico: pico(99), tokens: 1 }, // last month
  { at: Date.parse("2026-11-10T10:00:00Z"), attributes: attrs({ project: "team-b" }), cost_pico: pico(99), tokens: 1 },
];
const MONTH = { id: "m", scope: { project: "team-a" }, window: "month", limit_usd: "50", alert_at: [0.5] };

test("load: spend is rebuilt from the store for the current window only", async () => {
  const h = await harness([MONTH, { id: "roll", scope: { project: "team-a" }, window: "1h", limit_usd: "50" }], [], {
    start: NOW, records: RECORDS,
  });
  const [m, roll] = h.control.budgetStates(NOW);
  assert.equal(m!.spent_pico, pico(30));
  assert.equal(m!.spent_tokens, 150);
  assert.equal(roll!.spent_pico, pico(10));
  assert.equal(h.control.check(attrs(), NOW).remainingUsd, "20");
  // The rebuilt spend crossed 50 %: reported (the alerter dedupes it on the window start).
  assert.deepEqual(h.thresholds.map((t) => [t.state.budget.id, t.threshold, t.state.window_start]), [
    ["m", 0.5, "2026-11-01T00:00:00Z"],
  ]);
});

test("load: unchanged budgets keep their in-memory spend; changed ones are rebuilt", async () => {
  const h = await harness([MONTH], [], { start: NOW, records: RECORDS });
  assert.equal(h.store.spendCalls, 1);
  h.spend(pico(5)); // settled in memory, not flushed to the store
  await h.control.load([parseBudget(MONTH)], []);
  assert.equal(h.store.spendCalls, 1);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, pico(35));
  await h.control.load([parseBudget({ ...MONTH, limit_usd: "60" })], []);
  assert.equal(h.store.spendCalls, 2);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, pico(30));
  assert.equal(h.control.check(attrs(), NOW).remainingUsd, "30");
  await h.control.load([], []);
  assert.equal(h.control.active, false);
  assert.deepEqual(h.control.budgetStates(NOW), []);
});

test("load: loads apply in call order even when an earlier rebuild is slower", async () => {
  const store = fakeStore(RECORDS);
  const spend = store.spend;
  let calls = 0;
  store.spend = async (...args) => {
    if (calls++ === 0) await new Promise((r) => setTimeout(r, 30));
    return spend(...args);
  };
  const control = createControl({
    store, now: () => NOW, isPriced: () => true,
    events: { threshold() {}, blocked() {}, settled() {} },
  });
  const first = control.load([parseBudget(MONTH)], []);
  const second = control.load([parseBudget({ ...MONTH, id: "other" })], []);
  await Promise.all([first, second]);
  assert.deepEqual(control.budgetStates(NOW).map((s) => s.budget.id), ["other"]);
});

test("load: nothing defined → inactive, and check answers the same shared verdict", async () => {
  const h = await harness([]);
  assert.equal(h.control.active, false);
  const a = h.control.check(attrs(), NOW);
  assert.deepEqual(a, { refusal: null, remainingUsd: null });
  assert.equal(h.control.check(attrs(), NOW), a);
  const unmatched = await harness([MONTH]);
  assert.equal(unmatched.control.check(attrs({ project: "zzz" }), NOW), a);
});

test("overshoot: N requests let through before any settles exceed the limit by at most their own costs", async () => {
  const h = await harness([{ id: "tight", window: "day", limit_usd: "1" }], [], { start: NOW });
  h.spend(pico(0.95));
  const inFlight: number[] = [];
  for (let i = 0; i < 100; i++) {
    if (h.control.check(attrs(), NOW).refusal === null) inFlight.push(pico(0.001) * (1 + (i % 7)));
  }
  assert.equal(inFlight.length, 100); // nothing settled yet: all let through
  for (const cost of inFlight) h.spend(cost);
  const spent = h.control.budgetStates(NOW)[0]!.spent_pico;
  const limit = pico(1);
  assert.ok(spent > limit);
  assert.ok(spent - limit <= inFlight.reduce((a, b) => a + b, 0));
  assert.equal(h.control.check(attrs(), NOW).refusal?.code, "budget_exceeded");
  // Once exhausted, nothing more gets through, so the overshoot cannot grow.
  for (let i = 0; i < 10; i++) assert.notEqual(h.control.check(attrs(), NOW).refusal, null);
});
