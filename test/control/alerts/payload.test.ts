// Alert payloads and their human line: only the fields that apply, Slack markup escaped, a stored payload read back,
// and the outbox keys for the windows that have no fixed start (total, rolling).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createAlerter } from "../../../src/control/alerts/alerter.ts";
import { alertLine, parsePayload, payload, webhookBody } from "../../../src/control/alerts/payload.ts";
import { allDelivered, BUDGET, fakeLog, fakeStore, state, USD } from "./_fakes.ts";

test("a payload leaves out what does not apply and keeps the issue's field order", () => {
  const p = payload({ type: "budget.threshold", at: "2026-11-20T10:00:00Z", budget: "b", threshold: 1, spent_usd: "3", limit_usd: null, window_start: null, resets_at: null });
  assert.equal(JSON.stringify(p), '{"type":"budget.threshold","at":"2026-11-20T10:00:00Z","budget":"b","threshold":1,"spent_usd":"3"}');
});

test("human lines, one per alert type", () => {
  const at = "2026-11-20T10:00:00Z";
  const rows: [Parameters<typeof alertLine>[0], string][] = [
    // A token-only budget shows its tokens, a budget with both limits both.
    [{ type: "budget.threshold", at, budget: "tokens", threshold: 0.5, spent_usd: "0.2", spent_tokens: 500, limit_tokens: 1000 }, 'Budget "tokens" reached 50% of its limit: 500 of 1000 tokens used'],
    [{ type: "budget.threshold", at, budget: "b", threshold: 0.333, spent_usd: "1", limit_usd: "3" }, 'Budget "b" reached 33.3% of its limit: $1 of $3 spent'],
    [{ type: "budget.blocked", at, budget: "b", spent_usd: "3", limit_usd: "3", spent_tokens: 9, limit_tokens: 10 }, '"b" refused a request: $3 of $3 spent, 9 of 10 tokens used'],
    [{ type: "budget.blocked", at, budget: "b", limit_usd: "3", model: "m", provider: "p" }, '"b" refused model "m" (p): it has no price'],
    [{ type: "rate_limit.blocked", at, rate_limit: "rpm-10", rpm: 10, tpm: 5000, window_start: at }, 'Rate limit "rpm-10" refused a request: 10 requests and 5000 tokens per minute'],
    [{ type: "model.unpriced", at, model: "m", provider: "p" }, 'Model "m" (p) has usage but no price: its cost is not counted'],
  ];
  for (const [p, line] of rows) assert.equal(alertLine(p), line);
});

test("Slack bodies escape Slack's markup characters", () => {
  const body = webhookBody({ type: "model.unpriced", at: "x", model: "<!channel> & co", provider: "p" }, "slack");
  assert.deepEqual(JSON.parse(body), { text: 'Kestrel: Model "&lt;!channel&gt; &amp; co" (p) has usage but no price: its cost is not counted' });
});

test("a stored payload reads back; anything else is refused", () => {
  const p = payload({ type: "spend.spike", at: "a", spent_usd: "2", limit_usd: "1", window_start: "w" });
  assert.deepEqual(parsePayload(JSON.stringify(p)), p);
  for (const bad of ["", "null", "[]", '{"type":"other"}', "{"]) assert.equal(parsePayload(bad), null, bad);
});

test("outbox keys: a total budget's window is 'total', a rolling window's start is rounded to its length", async () => {
  const store = fakeStore();
  const alerter = createAlerter({ store, fetch, log: fakeLog(), now: () => Date.parse("2026-11-20T10:00:00Z"), webhooks: [] });
  const total = { ...BUDGET, id: "all-time", window: "total" as const };
  const rolling = { ...BUDGET, id: "day-rolling", window: "24h" as const };
  alerter.threshold(state(40 * USD, null, null, total), 0.8);
  // Two starts of the same 24-hour period: one key. The next period: another.
  alerter.threshold(state(40 * USD, "2026-11-19T10:00:00.123Z", null, rolling), 0.8);
  alerter.threshold(state(40 * USD, "2026-11-19T23:59:00Z", null, rolling), 0.8);
  alerter.threshold(state(40 * USD, "2026-11-20T00:00:00Z", null, rolling), 0.8);
  await allDelivered(store, 3);
  assert.deepEqual([...store.outbox.keys()], [
    "threshold:all-time:total:usd=50:0.8",
    "threshold:day-rolling:2026-11-19T00:00:00Z:usd=50:0.8",
    "threshold:day-rolling:2026-11-20T00:00:00Z:usd=50:0.8",
  ]);
  assert.deepEqual(JSON.parse(store.outbox.get("threshold:all-time:total:usd=50:0.8")!.payload), {
    type: "budget.threshold",
    at: "2026-11-20T10:00:00Z",
    budget: "all-time",
    threshold: 0.8,
    spent_usd: "40",
    limit_usd: "50",
  });
  // The payload keeps the window start the ledger reported.
  assert.equal(JSON.parse(store.outbox.get("threshold:day-rolling:2026-11-19T00:00:00Z:usd=50:0.8")!.payload).window_start, "2026-11-19T10:00:00.123Z");
  await alerter.stop();
});
