// Fault: the wall clock steps backwards (NTP, VM resume). Rate limits and rolling budgets keep counting and age
// out normally instead of dropping every new request (unlimited) or staying full until the clock catches up.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RateLimiter } from "../../src/control/rate-limit.ts";
import { BudgetLedger } from "../../src/control/ledger.ts";
import { BucketRing } from "../../src/control/ring.ts";
import type { Budget } from "../../src/control/types.ts";

const T = Date.UTC(2026, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;

test("clock back an hour: a full rate limit stays full for one minute of the new clock, then frees", () => {
  const limiter = new RateLimiter({ id: "l", scope: {}, rpm: 2, tpm: null });
  limiter.admit(T);
  limiter.admit(T + 1000);
  assert.equal(limiter.fullOn(T + 2000), "rpm");
  const back = T - HOUR;
  assert.equal(limiter.fullOn(back), "rpm", "the minute's requests still count");
  assert.equal(limiter.fullOn(back + 61_000), null, "and age out after a minute of the new clock");
  limiter.admit(back + 61_000);
  limiter.admit(back + 62_000);
  assert.equal(limiter.fullOn(back + 63_000), "rpm", "requests after the jump are counted, not dropped");
});

test("clock back a little (inside the window): nothing is lost or double-counted", () => {
  const ring = new BucketRing(60, 1000);
  ring.add(T, 1n, 5, T);
  ring.add(T - 10_000, 1n, 5, T - 10_000); // 10 s back: still inside the minute
  assert.deepEqual([ring.sumA, ring.sumB], [2n, 10]);
  ring.advance(T + 61_000);
  assert.deepEqual([ring.sumA, ring.sumB], [0n, 0]);
});

test("clock back then forward again: sums never go negative", () => {
  const ring = new BucketRing(60, 1000);
  for (let i = 0; i < 30; i++) ring.add(T + i * 1000, 1n, 1, T + i * 1000);
  ring.add(T - HOUR, 1n, 1, T - HOUR);
  for (let i = 0; i < 200; i++) {
    const now = T - HOUR + i * 7_000;
    ring.add(now, 1n, 1, now);
    assert.ok(ring.sumA >= 0n && ring.sumB >= 0 && ring.sumA <= 61n, `at step ${i}: ${ring.sumA}`);
  }
  ring.advance(T + 2 * HOUR);
  assert.deepEqual([ring.sumA, ring.sumB], [0n, 0]);
});

test("clock back across a calendar day's start: spend still counts in the current day, nothing is dropped", () => {
  const budget: Budget = {
    id: "daily",
    scope: {},
    window: "day",
    limit_usd: "1",
    limit_tokens: null,
    action: "block",
    alert_at: [],
    timezone: "UTC",
    unpriced: "allow",
  };
  const midnight = Date.UTC(2026, 5, 2);
  const ledger = new BudgetLedger(budget, midnight + 5_000);
  ledger.add(midnight + 5_000, 300n, 3, midnight + 6_000);
  const back = midnight - 30_000; // the clock steps back into yesterday
  ledger.add(back, 200n, 2, back + 1_000);
  assert.equal(ledger.spentPico, 500n);
  assert.equal(ledger.spentTokens, 5);
  // An exchange that really began yesterday and ends after midnight is still yesterday's (the clock is right).
  ledger.add(midnight - 1_000, 1_000n, 10, midnight + 10_000);
  assert.equal(ledger.spentPico, 500n);
});
