import { test } from "node:test";
import assert from "node:assert/strict";
import { DefinitionError, parseBudget, parseRateLimit } from "../../src/control/definitions.ts";

test("definitions: a budget gets its defaults", () => {
  assert.deepEqual(parseBudget({ id: "b1", window: "month", limit_usd: "50" }), {
    id: "b1", scope: {}, window: "month", limit_usd: "50", limit_tokens: null, action: "block", alert_at: [],
    timezone: "UTC", unpriced: "allow",
  });
});

test("definitions: the issue's example parses as written", () => {
  const b = {
    id: "team-a-month", scope: { project: "team-a" }, window: "month", limit_usd: "50", limit_tokens: null,
    action: "block", alert_at: [0.5, 0.8, 1], timezone: "UTC", unpriced: "allow",
  };
  assert.deepEqual(parseBudget(b), b);
});

test("definitions: limit_usd is exact and normalised; alert_at sorted", () => {
  const b = parseBudget({ id: "x", window: "24h", limit_usd: "50.10", alert_at: [1, 0.5, 0.5] });
  assert.equal(b.limit_usd, "50.1");
  assert.deepEqual(b.alert_at, [0.5, 1]);
  assert.equal(parseBudget({ id: "x", window: "day", limit_usd: "1000000000000" }).limit_usd, "1000000000000");
  assert.equal(parseBudget({ id: "x", window: "7d", limit_tokens: 1000 }).limit_usd, null);
});

const BAD_BUDGETS: [unknown, string][] = [
  [[], "budget"],
  [{ window: "day", limit_usd: "1" }, "id"],
  [{ id: "has space", window: "day", limit_usd: "1" }, "id"],
  [{ id: "a", limit_usd: "1" }, "window"],
  [{ id: "a", window: "fortnight", limit_usd: "1" }, "window"],
  [{ id: "a", window: "0h", limit_usd: "1" }, "window"],
  [{ id: "a", window: "367d", limit_usd: "1" }, "window"],
  [{ id: "a", window: "2881m", limit_usd: "1" }, "window"],
  [{ id: "a", window: "day" }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "abc" }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "-1" }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "0.0000000000001" }, "limit_usd"],
  // Issue 20 item 17: a JSON number (documented as a string; digits past 2^53 are already lost), unbounded digits,
  // unbounded thresholds.
  [{ id: "a", window: "day", limit_usd: 0.25 }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "1".repeat(400) }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "1000000000000.000000000001" }, "limit_usd"],
  [{ id: "a", window: "day", limit_usd: "1", alert_at: Array.from({ length: 21 }, (_, i) => (i + 1) / 21) }, "alert_at"],
  [{ id: "a", window: "day", limit_usd: "1", scope: { model: "x".repeat(300) } }, "scope.model"],
  [{ id: "a", window: "day", limit_tokens: 1.5 }, "limit_tokens"],
  [{ id: "a", window: "day", limit_usd: "1", action: "warn" }, "action"],
  [{ id: "a", window: "day", limit_usd: "1", alert_at: [0] }, "alert_at"],
  [{ id: "a", window: "day", limit_usd: "1", alert_at: [1.5] }, "alert_at"],
  [{ id: "a", window: "day", limit_usd: "1", timezone: "Mars/Olympus" }, "timezone"],
  [{ id: "a", window: "day", limit_usd: "1", unpriced: "deny" }, "unpriced"],
  [{ id: "a", window: "day", limit_usd: "1", scope: { team: "x" } }, "scope.team"],
  [{ id: "a", window: "day", limit_usd: "1", scope: { project: 3 } }, "scope.project"],
  [{ id: "a", window: "day", limit_usd: "1", limit: "2" }, "limit"],
];
for (const [value, field] of BAD_BUDGETS) {
  test(`definitions: bad budget names "${field}" (${JSON.stringify(value)})`, () => {
    assert.throws(() => parseBudget(value), (e: unknown) => {
      assert.ok(e instanceof DefinitionError);
      assert.equal(e.field, field);
      assert.ok(e.message.includes(`"${field}"`), e.message);
      return true;
    });
  });
}

test("definitions: rate limits", () => {
  assert.deepEqual(parseRateLimit({ id: "r", rpm: 60 }), { id: "r", scope: {}, rpm: 60, tpm: null });
  assert.deepEqual(parseRateLimit({ id: "r", scope: { key_id: "k" }, tpm: 1000 }), {
    id: "r", scope: { key_id: "k" }, rpm: null, tpm: 1000,
  });
  for (const [value, field] of [
    [{ id: "r" }, "rpm"],
    [{ rpm: 1 }, "id"],
    [{ id: "r", rpm: -1 }, "rpm"],
    [{ id: "r", tpm: "5" }, "tpm"],
    [{ id: "r", rpm: 1, burst: 2 }, "burst"],
  ] as [unknown, string][]) {
    assert.throws(() => parseRateLimit(value), (e: unknown) => e instanceof DefinitionError && e.field === field);
  }
});
