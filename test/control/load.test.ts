import { test } from "node:test";
import assert from "node:assert/strict";
import { createControl, UNBOUNDED_CAP } from "../../src/control/control.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import { attrs, fakeStore, harness, pico, settled, stored, type StoredRecord } from "./_helpers.ts";

const NOW = Date.parse("2026-11-15T12:00:00Z");
const settledOf = (cost: number) => settled(NOW, cost, 10);
const RECORDS: StoredRecord[] = [
  stored(Date.parse("2026-11-02T10:00:00Z"), attrs(), pico(20), 100),
  stored(Date.parse("2026-11-15T11:30:00Z"), attrs(), pico(10), 50),
  stored(Date.parse("2026-10-31T23:00:00Z"), attrs(), pico(99), 1), // last month
  stored(Date.parse("2026-11-10T10:00:00Z"), attrs({ project: "team-b" }), pico(99), 1),
];
const P = (usd: number) => BigInt(pico(usd));
const MONTH = { id: "m", scope: { project: "team-a" }, window: "month", limit_usd: "50", alert_at: [0.5] };

test("load: spend is rebuilt from the store for the current window only", async () => {
  const h = await harness([MONTH, { id: "roll", scope: { project: "team-a" }, window: "1h", limit_usd: "50" }], [], {
    start: NOW, records: RECORDS,
  });
  const [m, roll] = h.control.budgetStates(NOW);
  assert.equal(m!.spent_pico, P(30));
  assert.equal(m!.spent_tokens, 150);
  assert.equal(roll!.spent_pico, P(10));
  assert.equal(h.control.check(attrs(), NOW).remainingUsd, "20");
  // The rebuilt spend crossed 50 %: reported (the alerter dedupes it on the window start).
  assert.deepEqual(h.thresholds.map((t) => [t.state.budget.id, t.threshold, t.state.window_start]), [
    ["m", 0.5, "2026-11-01T00:00:00Z"],
  ]);
});

test("load: a budget whose spend identity is unchanged keeps its in-memory spend, new limits included; a new scope is rebuilt", async () => {
  const h = await harness([MONTH], [], { start: NOW, records: RECORDS });
  assert.equal(h.store.spendCalls, 1);
  h.spend(pico(5)); // settled in memory, not flushed to the store
  await h.control.load([parseBudget(MONTH)], []);
  assert.equal(h.store.spendCalls, 1);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, BigInt(pico(35)));
  // A new limit or new alerts: what is counted is the same, so the window and its spend stay (issue 20 item 3).
  await h.control.load([parseBudget({ ...MONTH, limit_usd: "60", alert_at: [0.9] })], []);
  assert.equal(h.store.spendCalls, 1);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, BigInt(pico(35)));
  assert.equal(h.check().remainingUsd, "25");
  // A different scope counts something else: rebuilt from the store.
  await h.control.load([parseBudget({ ...MONTH, scope: { project: "team-a", provider: "openai" } })], []);
  assert.equal(h.store.spendCalls, 2);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, P(30));
  assert.equal(h.check().remainingUsd, "20");
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
    store, now: () => NOW,
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
  assert.deepEqual(a, { refusal: null, remainingUsd: null, reservation: null });
  assert.equal(h.control.check(attrs(), NOW), a);
  const unmatched = await harness([MONTH]);
  assert.equal(unmatched.control.check(attrs({ project: "zzz" }), NOW), a);
});

test("bursts: requests in flight hold their estimate, so a burst stops at the limit (issue 20 item 4)", async () => {
  const h = await harness([{ id: "tight", window: "day", limit_usd: "1" }], [], { start: NOW });
  h.spend(pico(0.95));
  const held = [];
  for (let i = 0; i < 100; i++) {
    const v = h.control.check(attrs(), NOW, { pico: P(0.01), tokens: 10, priced: true });
    if (v.refusal === null) held.push(v.reservation!);
    else assert.equal(v.refusal.code, "budget_exceeded");
  }
  // $0.95 spent + 5 × $0.01 held reaches the limit: the 6th and every later one is refused.
  assert.equal(held.length, 5);
  assert.equal(h.control.budgetStates(NOW)[0]!.reserved_pico, P(0.05));
  // Each settles for less than its estimate: the spend stays under the limit, and the room frees up again.
  for (const reservation of held) h.control.settle({ ...settledOf(pico(0.004)), reservation });
  assert.equal(h.control.budgetStates(NOW)[0]!.reserved_pico, 0n);
  assert.equal(h.control.budgetStates(NOW)[0]!.spent_pico, P(0.97));
  assert.equal(h.check().refusal, null);
});

test("bursts: requests whose cost has no bound are let through four at a time per budget", async () => {
  const h = await harness([{ id: "tight", window: "day", limit_usd: "1" }], [], { start: NOW });
  const unbounded = { pico: null, tokens: null, priced: true };
  const held = [];
  for (let i = 0; i < 10; i++) {
    const v = h.control.check(attrs(), NOW, unbounded);
    if (v.refusal === null) held.push(v.reservation!);
    else assert.equal(v.refusal.code, "budget_busy");
  }
  assert.equal(held.length, UNBOUNDED_CAP);
  held[0]!.release();
  assert.equal(h.control.check(attrs(), NOW, unbounded).refusal, null);
});
