import { test } from "node:test";
import assert from "node:assert/strict";
import { attrs, harness, pico, stored } from "./_helpers.ts";

const T0 = Date.parse("2026-11-15T12:00:00Z");

test("rate limits: rpm is a sliding minute; Retry-After is when the oldest request leaves", async () => {
  const h = await harness([], [{ id: "r", scope: { key_id: "k1" }, rpm: 3 }], { start: T0 });
  for (const s of [0, 10, 20]) assert.equal(h.control.check(attrs(), T0 + s * 1000).refusal, null);
  const r = h.control.check(attrs(), T0 + 30_000).refusal!;
  assert.deepEqual(r, {
    code: "rate_limited", id: "r", message: 'Rate limit "r" reached: 3 requests per minute',
    retryAfterSeconds: 30, details: { rate_limit: "r", rpm: 3, tpm: null },
  });
  assert.equal(h.blocked[0]!.windowStart, "2026-11-15T00:00:00Z");
  // Refused requests do not count, so Retry-After holds however often the client asks meanwhile.
  for (let s = 31; s < 60; s++) assert.equal(h.control.check(attrs(), T0 + s * 1000).refusal?.code, "rate_limited");
  assert.equal(h.control.check(attrs(), T0 + 59_999).refusal?.retryAfterSeconds, 1);
  assert.equal(h.control.check(attrs(), T0 + 60_000).refusal, null);
  assert.equal(h.control.check(attrs(), T0 + 60_001).refusal?.code, "rate_limited");
  assert.equal(h.control.check(attrs({ key_id: "k2" }), T0 + 60_001).refusal, null);
});

test("rate limits: tpm counts tokens when exchanges finish", async () => {
  const h = await harness([], [{ id: "t", tpm: 1000 }], { start: T0 });
  h.spend(pico(0.01), 600);
  h.clock.now = T0 + 20_000;
  assert.equal(h.check(attrs()).refusal, null);
  h.spend(pico(0.01), 500);
  const r = h.check(attrs()).refusal!;
  assert.equal(r.message, 'Rate limit "t" reached: 1000 tokens per minute');
  assert.equal(r.retryAfterSeconds, 40); // the 600 tokens leave at T0 + 60 s: 500 < 1000
  assert.equal(h.control.check(attrs(), T0 + 60_000).refusal, null);
});

test("rate limits: a request refused by a budget does not use up the rate limit", async () => {
  const h = await harness(
    [{ id: "b", scope: { project: "team-a" }, window: "day", limit_usd: "1" }],
    [{ id: "r", rpm: 1 }],
    { start: T0 },
  );
  h.spend(pico(1));
  assert.equal(h.control.check(attrs(), T0).refusal?.code, "budget_exceeded");
  assert.equal(h.control.check(attrs({ project: "team-b" }), T0).refusal, null);
  assert.equal(h.control.check(attrs({ project: "team-b" }), T0).refusal?.code, "rate_limited");
});

test("rate limits: rpm 0 refuses without a Retry-After", async () => {
  const h = await harness([], [{ id: "off", rpm: 0 }], { start: T0 });
  const r = h.control.check(attrs(), T0).refusal!;
  assert.equal(r.code, "rate_limited");
  assert.equal(r.retryAfterSeconds, null);
});

test("rate-limit states: counts in the sliding minute, which limit is full, and when a request fits again", async () => {
  const h = await harness([], [{ id: "r", scope: { key_id: "k1" }, rpm: 2, tpm: 1000 }, { id: "all", tpm: 50 }], { start: T0 });
  const byId = (now: number) => Object.fromEntries(h.control.rateLimitStates(now).map((s) => [s.limit.id, s]));
  assert.deepEqual(byId(T0).r, { limit: { id: "r", scope: { key_id: "k1" }, rpm: 2, tpm: 1000 }, requests: 0, tokens: 0, full_on: null, frees_at: null });
  h.control.check(attrs(), T0);
  h.control.check(attrs(), T0 + 10_000);
  const full = byId(T0 + 20_000).r!;
  assert.deepEqual([full.requests, full.tokens, full.full_on, full.frees_at], [2, 0, "rpm", "2026-11-15T12:01:00Z"]);
  // Tokens count for every limit the exchange matches; the later of two full limits is when a request fits.
  h.clock.now = T0 + 30_000;
  h.spend(pico(0.01), 1200);
  const both = byId(T0 + 30_000);
  assert.deepEqual([both.r!.tokens, both.r!.full_on, both.r!.frees_at], [1200, "rpm", "2026-11-15T12:01:30Z"]);
  assert.deepEqual([both.all!.requests, both.all!.tokens, both.all!.full_on], [2, 1200, "tpm"]);
  // Once the minute has passed, nothing is counted.
  assert.deepEqual(byId(T0 + 91_000).r!, { ...full, requests: 0, tokens: 0, full_on: null, frees_at: null });
});

test("rate-limit states: a limit of 0 is full and never frees up", async () => {
  const h = await harness([], [{ id: "off", rpm: 0 }], { start: T0 });
  const [s] = h.control.rateLimitStates(T0);
  assert.deepEqual([s!.full_on, s!.frees_at], ["rpm", null]);
});

test("rate limits: a restart on SQLite rebuilds the minute's requests and tokens from the records (issue 20 item 19)", async () => {
  const T = Date.parse("2026-11-15T12:00:00Z");
  const records = [10_000, 20_000, 30_000].map((ago) => stored(T - ago, attrs(), 0, 400));
  records.push(stored(T - 90_000, attrs(), 0, 400)); // older than the minute
  records.push(stored(T - 5_000, attrs(), 0, 0, "blocked")); // refused: never let through
  const h = await harness([], [{ id: "rpm", scope: { project: "team-a" }, rpm: 3, tpm: 5000 }], { start: T, records });
  assert.deepEqual(h.control.rateLimitStates(T).map((s) => [s.requests, s.tokens]), [[3, 1200]]);
  assert.equal(h.check().refusal?.code, "rate_limited");
});
