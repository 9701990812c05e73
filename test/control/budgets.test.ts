import { test } from "node:test";
import assert from "node:assert/strict";
import { isoTime } from "../../src/control/window.ts";
import { usd } from "../../src/pricing/money.ts";
import { attrs, harness, pico, settled } from "./_helpers.ts";

const TEAM_A = { id: "team-a-month", scope: { project: "team-a" }, window: "month", limit_usd: "50" };

test("budgets: the request after exhaustion gets the issue's exact refusal", async () => {
  const h = await harness([TEAM_A]);
  h.spend(pico(50.01));
  const now = h.clock.now;
  const v = h.control.check(attrs(), now);
  assert.equal(v.remainingUsd, "0"); // the refusing budget's, for the 429's header (issue 20 item 16)
  assert.deepEqual(v.refusal, {
    code: "budget_exceeded",
    id: "team-a-month",
    message: 'Budget "team-a-month" is exhausted: $50.01 of $50 spent this month',
    retryAfterSeconds: Math.ceil((Date.parse("2026-12-01T00:00:00Z") - now) / 1000),
    details: { budget: "team-a-month", limit_usd: "50", spent_usd: "50.01", reserved_usd: "0", resets_at: "2026-12-01T00:00:00Z" },
  });
  assert.equal(JSON.stringify(v.refusal!.details),
    '{"budget":"team-a-month","limit_usd":"50","spent_usd":"50.01","reserved_usd":"0","resets_at":"2026-12-01T00:00:00Z"}');
  assert.equal(h.blocked.length, 1);
  assert.equal(h.blocked[0]!.windowStart, "2026-11-01T00:00:00Z");
});

test("budgets: exhausted means spent ≥ limit; below it the remaining USD is exact", async () => {
  const h = await harness([TEAM_A]);
  h.spend(pico(49.99));
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "0.01" });
  h.spend(1); // one pico-dollar
  assert.equal(h.check(attrs()).remainingUsd, "0.009999999999");
  h.spend(pico(0.01) - 1);
  assert.equal(h.check(attrs()).refusal?.code, "budget_exceeded");
});

test("budgets: scope must match; another project is not limited and gets no header", async () => {
  const h = await harness([TEAM_A]);
  h.spend(pico(60));
  assert.deepEqual(h.check(attrs({ project: "team-b" })), { refusal: null, remainingUsd: null });
  assert.deepEqual(h.check(attrs({ project: null })), { refusal: null, remainingUsd: null });
});

test("budgets: the tightest matching USD budget gives the remaining; alert budgets never refuse, never negative", async () => {
  const h = await harness([
    TEAM_A,
    { id: "key", scope: { key_id: "k1", provider: "openai" }, window: "day", limit_usd: "20" },
    { id: "watch", scope: {}, window: "week", limit_usd: "5", action: "alert" },
  ]);
  h.spend(pico(4));
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "1" });
  h.spend(pico(6));
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "0" });
  assert.equal(h.check(attrs({ key_id: "k2", project: "x" })).remainingUsd, "0");
});

test("budgets: token limits refuse with token wording and details", async () => {
  const h = await harness([{ id: "tok", window: "day", limit_tokens: 1000 }]);
  h.spend(null, 600);
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: null });
  h.spend(null, 600);
  const r = h.check(attrs()).refusal!;
  assert.equal(r.message, 'Budget "tok" is exhausted: 1200 of 1000 tokens used today');
  assert.deepEqual(r.details, { budget: "tok", limit_tokens: 1000, spent_tokens: 1200, reserved_tokens: 0, resets_at: "2026-11-16T00:00:00Z" });
  assert.equal(r.retryAfterSeconds, 12 * 3600);
});

test("budgets: unpriced block refuses unpriced models under a USD limit; allow counts tokens only", async () => {
  const h = await harness([
    { id: "strict", scope: { project: "team-a" }, window: "month", limit_usd: "50", unpriced: "block" },
    { id: "lax", scope: { project: "team-b" }, window: "month", limit_usd: "50", limit_tokens: 100 },
    { id: "tokens-only", scope: { project: "team-c" }, window: "month", limit_tokens: 100, unpriced: "block" },
  ], [], { unpriced: ["mystery"] });
  const r = h.check(attrs({ model: "mystery" })).refusal!;
  assert.equal(r.code, "unpriced_model");
  assert.equal(r.retryAfterSeconds, null);
  assert.deepEqual(r.details, { budget: "strict", provider: "openai", model: "mystery", limit_usd: "50" });
  assert.equal(h.check(attrs()).refusal, null);
  const b = attrs({ project: "team-b", model: "mystery" });
  assert.deepEqual(h.check(b), { refusal: null, remainingUsd: "50" });
  h.spend(null, 100, b);
  assert.equal(h.check(b).refusal?.message,
    'Budget "lax" is exhausted: 100 of 100 tokens used this month');
  assert.equal(h.check(attrs({ project: "team-c", model: "mystery" })).refusal, null);
});

test("budgets: total windows never reset (no Retry-After, no resets_at)", async () => {
  const h = await harness([{ id: "all", window: "total", limit_usd: "1" }]);
  h.spend(pico(1));
  const r = h.check(attrs()).refusal!;
  assert.equal(r.message, 'Budget "all" is exhausted: $1 of $1 spent in total');
  assert.equal(r.retryAfterSeconds, null);
  assert.equal(r.details.resets_at, null);
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.window_start, null);
});

test("budgets: a day in America/New_York rolls over at local midnight across the DST change", async () => {
  const h = await harness([{ id: "ny", window: "day", timezone: "America/New_York", limit_usd: "1" }], [], {
    start: Date.parse("2026-03-08T12:00:00Z"),
  });
  h.spend(pico(1));
  const r = h.check(attrs()).refusal!;
  assert.equal(r.details.resets_at, "2026-03-09T04:00:00Z"); // midnight EDT: the 23-hour day
  assert.equal(r.retryAfterSeconds, 16 * 3600);
  h.clock.now = Date.parse("2026-03-09T03:59:59Z");
  assert.equal(h.check(attrs()).refusal?.code, "budget_exceeded");
  h.clock.now = Date.parse("2026-03-09T04:00:00Z");
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "1" });
  const s = h.control.budgetStates(h.clock.now)[0]!;
  assert.equal(s.window_start, "2026-03-09T04:00:00Z");
  assert.equal(s.resets_at, "2026-03-10T04:00:00Z");
});

test("budgets: a month in Asia/Kolkata rolls over at 18:30 UTC", async () => {
  const h = await harness([{ id: "in", window: "month", timezone: "Asia/Kolkata", limit_usd: "2" }], [], {
    start: Date.parse("2026-11-30T18:29:00Z"),
  });
  h.spend(pico(2));
  assert.equal(h.check(attrs()).refusal?.details.resets_at, "2026-11-30T18:30:00Z");
  assert.equal(h.check(attrs()).refusal?.retryAfterSeconds, 60);
  h.clock.now = Date.parse("2026-11-30T18:30:00Z");
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "2" });
});

test("budgets: an ISO week rolls over on Monday", async () => {
  const h = await harness([{ id: "wk", window: "week", limit_usd: "1" }], [], { start: Date.parse("2026-11-15T23:00:00Z") });
  h.spend(pico(1));
  assert.equal(h.check(attrs()).refusal?.message, 'Budget "wk" is exhausted: $1 of $1 spent this week');
  h.clock.now = Date.parse("2026-11-16T00:00:00Z");
  assert.equal(h.check(attrs()).refusal, null);
});

test("budgets: a rolling window lets spend leave bucket by bucket; Retry-After says when enough has left", async () => {
  const t0 = Date.parse("2026-11-15T12:00:00Z");
  const h = await harness([{ id: "roll", window: "90m", limit_usd: "1" }], [], { start: t0 });
  h.spend(pico(0.6));
  h.clock.now = t0 + 30 * 60_000;
  h.spend(pico(0.6));
  const r = h.check(attrs()).refusal!;
  assert.equal(r.message, 'Budget "roll" is exhausted: $1.2 of $1 spent in the last 90m');
  assert.equal(r.retryAfterSeconds, 60 * 60); // the first $0.6 leaves at t0 + 90 min
  assert.equal(r.details.resets_at, null);
  h.clock.now = t0 + 90 * 60_000 - 1;
  assert.equal(h.check(attrs()).refusal?.code, "budget_exceeded");
  h.clock.now = t0 + 90 * 60_000;
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "0.4" });
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.window_start, "2026-11-15T12:01:00Z");
});

test("budgets: thresholds fire once per window, in order, and again in the next window", async () => {
  const h = await harness([{ id: "t", window: "day", limit_usd: "1", alert_at: [0.5, 0.8, 1] }]);
  h.spend(pico(0.3));
  assert.equal(h.thresholds.length, 0);
  h.spend(pico(0.3));
  h.spend(pico(0.3));
  h.spend(pico(0.3));
  h.spend(pico(0.3));
  assert.deepEqual(h.thresholds.map((t) => t.threshold), [0.5, 0.8, 1]);
  assert.equal(h.thresholds[0]!.state.spent_pico, BigInt(pico(0.6)));
  assert.equal(h.thresholds[0]!.state.window_start, "2026-11-15T00:00:00Z");
  h.clock.now += 86_400_000;
  h.spend(pico(0.9));
  assert.deepEqual(h.thresholds.slice(3).map((t) => [t.threshold, t.state.window_start]), [
    [0.5, "2026-11-16T00:00:00Z"], [0.8, "2026-11-16T00:00:00Z"],
  ]);
});

test("budgets: an exchange that started in the previous window does not count in the new one", async () => {
  const h = await harness([{ id: "d", window: "day", limit_usd: "1" }]);
  const started = h.clock.now;
  h.clock.now = Date.parse("2026-11-16T00:00:01Z");
  h.control.settle(settled(started, pico(5), 5));
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.spent_pico, 0n);
});

test("budgets: a blocked settle adds no spend but is reported", async () => {
  const h = await harness([TEAM_A]);
  h.control.settle({ ...settled(h.clock.now, pico(5), 9), blocked: true });
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.spent_pico, 0n);
  assert.equal(h.settled.length, 1);
});

test("budgets: a tag scope matches a request carrying that tag once, however often it is repeated", async () => {
  const h = await harness([{ id: "batch", scope: { tag: "batch" }, window: "day", limit_usd: "1" }]);
  h.spend(pico(0.25), null, attrs({ tags: ["x", "batch", "batch"] }));
  h.spend(pico(0.25), null, attrs({ tags: ["x"] }));
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.spent_pico, BigInt(pico(0.25)));
  assert.equal(h.check(attrs({ tags: ["batch"] })).remainingUsd, "0.75");
});

test("budgets: a rolling window's threshold fires again only after the spend fell back below it", async () => {
  const t0 = Date.parse("2026-11-15T12:00:00Z");
  const h = await harness([{ id: "r", window: "1h", limit_usd: "1", alert_at: [0.5], action: "alert" }], [], { start: t0 });
  h.spend(pico(0.6));
  h.clock.now = t0 + 30 * 60_000;
  h.spend(pico(0.6));
  assert.equal(h.thresholds.length, 1);
  h.clock.now = t0 + 61 * 60_000; // the first 0.6 left; 0.6 remains: still above, no new alert
  h.spend(pico(0.1));
  assert.equal(h.thresholds.length, 1);
  h.clock.now = t0 + 200 * 60_000; // everything left: re-armed
  h.spend(pico(0.6));
  assert.equal(h.thresholds.length, 2);
  assert.equal(h.thresholds[1]!.state.window_start, isoTime(t0 + 141 * 60_000));
});

test("budgets: amounts past 2^53 pico-USD (about $9,007) still format exactly", async () => {
  const h = await harness([{ id: "big", window: "month", limit_usd: "100000" }]);
  h.spend(99_999.5e12);
  assert.deepEqual(h.check(attrs()), { refusal: null, remainingUsd: "0.5" });
  h.spend(1e12);
  assert.equal(h.check(attrs()).refusal?.message,
    'Budget "big" is exhausted: $100000.5 of $100000 spent this month');
});

test("budgets: an exchange longer than a rolling window still counts in it, in its oldest bucket (issue 20 item 9)", async () => {
  const h = await harness([{ id: "minute", window: "1m", limit_usd: "1" }]);
  const started = h.clock.now;
  h.clock.now += 65_000; // a 65 s stream against a one-minute window
  h.control.settle(settled(started, pico(2), 10));
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.spent_pico, BigInt(pico(2)));
  assert.equal(h.check().refusal?.code, "budget_exceeded");
  h.clock.now += 60_000; // and it ages out with that bucket
  assert.equal(h.check().refusal, null);
});

test("budgets: money is exact past 2^53 pico-USD (about $9,007) in a window (issue 20 item 10)", async () => {
  const h = await harness([{ id: "company", window: "month", limit_usd: "1000000" }]);
  for (let i = 0; i < 3; i++) h.spend(Number.MAX_SAFE_INTEGER); // three requests of ~$9,007 each
  assert.equal(h.control.budgetStates(h.clock.now)[0]!.spent_pico, 3n * BigInt(Number.MAX_SAFE_INTEGER));
  assert.equal(h.check().remainingUsd, usd(10n ** 18n - 3n * BigInt(Number.MAX_SAFE_INTEGER)));
  assert.equal(h.check().remainingUsd, "972978.402235777027");
});

test("budgets: a model scope names the family, and every spelling of it matches (issue 20 item 5)", async () => {
  const h = await harness([{ id: "mini", scope: { model: "GPT-4o-mini-2024-07-18" }, window: "day", limit_usd: "1" }]);
  assert.deepEqual(h.control.budgetStates(h.clock.now)[0]!.budget.scope, { model: "gpt-4o-mini" });
  h.spend(pico(1), 10, attrs({ model: "gpt-4o-mini" }));
  assert.equal(h.check(attrs({ model: "gpt-4o-mini" })).refusal?.code, "budget_exceeded");
  // A request whose model could not be read matches every model scope: refused while one is exhausted.
  assert.equal(h.check(attrs({ model: null, model_known: false })).refusal?.code, "budget_exceeded");
  assert.equal(h.check(attrs({ model: "gpt-4o" })).refusal, null);
});

test("budgets: unpriced \"block\" refuses a request whose model is unknown, not only one without a price (issue 20 item 5)", async () => {
  const h = await harness([{ id: "strict", window: "day", limit_usd: "1", unpriced: "block" }]);
  const v = h.control.check(attrs({ model: null, model_known: false }), h.clock.now, { pico: null, tokens: null, priced: false });
  assert.equal(v.refusal?.code, "unpriced_model");
  assert.match(v.refusal!.message, /refuses model "\(not readable from the request\)"/);
});
