// The alerter's events against a real webhook receiver on 127.0.0.1 and the SQLite outbox in memory: bodies in both
// formats, the outbox keys (once per window and limit, stable across instances and restarts), the payload of each
// alert type, and events that never throw. Delivery itself (retries, give-up, restarts) is test/control/alerts/delivery.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Alerter, type AlerterOptions, createAlerter } from "../../../src/control/alerts/alerter.ts";
import type { Budget, Refusal } from "../../../src/control/types.ts";
import type { Mock } from "../../_helpers/mock-upstream.ts";
import { until } from "../../_helpers/poll.ts";
import { allDelivered, BUDGET, bodies, fakeLog, type FakeStore, fakeStore, receiver, settled, state, USD, withReceivers } from "./_fakes.ts";

const NOV = "2026-11-01T00:00:00Z";
const DEC = "2026-12-01T00:00:00Z";
const JAN = "2027-01-01T00:00:00Z";
const T0 = Date.parse("2026-11-20T10:00:00Z");

function setup(store: FakeStore, hooks: AlerterOptions["webhooks"], extra: Partial<AlerterOptions> = {}) {
  const log = fakeLog();
  const clock = { now: T0 };
  const alerter = createAlerter({ store, fetch, log, now: () => clock.now, webhooks: hooks, retryBaseMs: 1, ...extra });
  return { alerter, log, clock };
}

/** Every event raised before this has been claimed or refused (the pump is first in, first out). */
async function drained(alerter: Alerter, store: FakeStore): Promise<void> {
  const model = `sentinel-${store.claims.length}-${Math.random()}`;
  alerter.settled(settled(T0, { unpriced: true, cost_pico: null, model, attributes: { ...settled(T0).attributes, provider: "sentinel" } }));
  await until("the sentinel's claim", () => store.claims.some((c) => c.key.includes(model)));
}

/** What a receiver got, less the sentinels `drained` raised. */
const real = (mock: Mock) => bodies(mock).filter((b) => b.provider !== "sentinel" && !String(b.text).includes("(sentinel)"));

test("an event only queues: nothing reaches the store on the caller's stack", async () => {
  const store = fakeStore();
  const { alerter, log } = setup(store, []);
  alerter.threshold(state(25 * USD, NOV, DEC), 0.5);
  assert.equal(store.claims.length, 0);
  await allDelivered(store, 1);
  assert.deepEqual(log.lines, [`WRN Alert budget.threshold: Budget "team-a-month" reached 50% of its limit: $25 of $50 spent, resets ${DEC}`]);
  await alerter.stop();
});

test("threshold: the JSON and the Slack webhook each get their exact body once, and one WRN line is logged", async () => {
  const json = await receiver();
  const slack = await receiver();
  await withReceivers([json, slack], async () => {
    const store = fakeStore();
    const { alerter, log } = setup(store, [{ url: `${json.url}/hook`, format: "json" }, { url: slack.url, format: "slack" }]);
    alerter.threshold(state(40_010_000_000_000, NOV, DEC), 0.8);
    await allDelivered(store, 1);
    assert.deepEqual(bodies(json), [{
      type: "budget.threshold",
      at: "2026-11-20T10:00:00Z",
      budget: "team-a-month",
      threshold: 0.8,
      spent_usd: "40.01",
      limit_usd: "50",
      window_start: NOV,
      resets_at: DEC,
    }]);
    assert.deepEqual(bodies(slack), [{ text: `Kestrel: Budget "team-a-month" reached 80% of its limit: $40.01 of $50 spent, resets ${DEC}` }]);
    for (const r of [...json.received, ...slack.received]) {
      assert.equal(r.method, "POST");
      assert.equal(r.headers["content-type"], "application/json");
    }
    assert.equal(json.received[0]!.url, "/hook");
    assert.deepEqual([...store.outbox.keys()], [`threshold:team-a-month:${NOV}:usd=50:0.8`]);
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0]!, /^WRN Alert budget\.threshold: Budget "team-a-month" reached 80%/);
    assert.deepEqual(alerter.stats()["budget.threshold"], { raised: 1, sent: 2, failed: 0, retried: 0 });
    await alerter.stop();
  });
});

test("threshold: once per budget, window and fraction; again in the next window", async () => {
  const hook = await receiver();
  await withReceivers([hook], async () => {
    const store = fakeStore();
    const { alerter, clock } = setup(store, [{ url: hook.url, format: "json" }]);
    alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    alerter.threshold(state(41 * USD, NOV, DEC), 0.8);
    alerter.threshold(state(50 * USD, NOV, DEC), 1);
    alerter.threshold(state(51 * USD, NOV, DEC), 1);
    await drained(alerter, store);
    clock.now = Date.parse("2026-12-03T00:00:00Z");
    alerter.threshold(state(40 * USD, DEC, JAN), 0.8);
    alerter.threshold(state(40 * USD, DEC, JAN), 0.8);
    await drained(alerter, store);
    await allDelivered(store, 3 + 2);
    assert.deepEqual(real(hook).map((b) => `${b.window_start} ${b.threshold} ${b.spent_usd}`), [
      `${NOV} 0.8 40`,
      `${NOV} 1 50`,
      `${DEC} 0.8 40`,
    ]);
    assert.equal(alerter.stats()["budget.threshold"].raised, 3);
    await alerter.stop();
  });
});

test("restart: a new alerter on the same store does not re-send a crossing", async () => {
  const hook = await receiver();
  await withReceivers([hook], async () => {
    const store = fakeStore();
    const first = setup(store, [{ url: hook.url, format: "slack" }]);
    await first.alerter.start();
    first.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await allDelivered(store, 1);
    await first.alerter.stop();

    const second = setup(store, [{ url: hook.url, format: "slack" }]);
    await second.alerter.start();
    second.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    second.alerter.threshold(state(50 * USD, NOV, DEC), 1);
    await drained(second.alerter, store);
    await allDelivered(store, 3);
    assert.equal(real(hook).length, 2);
    assert.match(String(real(hook)[1]!.text), /is exhausted: \$50 of \$50 spent/);
    assert.deepEqual(store.claims.slice(0, 3).map((c) => c.claimed), [true, false, true]);
    assert.ok(!second.log.lines.some((l) => l.includes("80%")), second.log.lines.join("\n"));
    await second.alerter.stop();
  });
});

function refusal(id: string, code: Refusal["code"] = "budget_exceeded"): Refusal {
  return {
    code,
    id,
    message: `Budget "${id}" is exhausted: $50.01 of $50 spent this month`,
    retryAfterSeconds: 60,
    details: code === "budget_exceeded" ? { budget: id, limit_usd: "50", spent_usd: "50.01", resets_at: DEC } : { rate_limit: id, rpm: 10, tpm: null },
  };
}

test("blocked: the first refusal in a window alerts, later ones in it do not", async () => {
  const store = fakeStore();
  const { alerter, clock } = setup(store, []);
  for (let i = 0; i < 3; i++) alerter.blocked(refusal("team-a-month"), NOV, "month");
  await drained(alerter, store);
  clock.now = Date.parse("2026-12-01T00:00:05Z");
  alerter.blocked(refusal("team-a-month"), DEC, "month");
  alerter.blocked(refusal("team-a-month"), DEC, "month");
  await drained(alerter, store);
  const keys = [...store.outbox.keys()].filter((k) => k.startsWith("blocked:"));
  assert.deepEqual(keys, [`blocked:team-a-month:${NOV}:usd=50`, `blocked:team-a-month:${DEC}:usd=50`]);
  assert.deepEqual(JSON.parse(store.outbox.get(`blocked:team-a-month:${DEC}:usd=50`)!.payload), {
    type: "budget.blocked",
    at: "2026-12-01T00:00:05Z",
    budget: "team-a-month",
    spent_usd: "50.01",
    limit_usd: "50",
    window_start: DEC,
    resets_at: DEC,
  });
  await alerter.stop();
});

test("blocked, rolling window: every instance and restart keys the first refusal by the same period", async () => {
  // Issue 20 item 13: the key was the ring's start, which moves every minute, so each one alerted again.
  const store = fakeStore();
  const first = setup(store, []);
  first.alerter.blocked(refusal("day-rolling"), "2026-11-19T10:00:00Z", "24h");
  await drained(first.alerter, store);
  await first.alerter.stop();
  // A restart (or another instance) five minutes on: the ring starts five minutes later, the period is the same.
  const second = setup(store, []);
  second.clock.now = T0 + 5 * 60_000;
  second.alerter.blocked(refusal("day-rolling"), "2026-11-19T10:05:00Z", "24h");
  await drained(second.alerter, store);
  // The next 24-hour period alerts again.
  second.alerter.blocked(refusal("day-rolling"), "2026-11-20T00:01:00Z", "24h");
  await drained(second.alerter, store);
  const claims = store.claims.filter((c) => c.key.startsWith("blocked:"));
  assert.deepEqual(claims, [
    { key: "blocked:day-rolling:2026-11-19T00:00:00Z:usd=50", claimed: true },
    { key: "blocked:day-rolling:2026-11-19T00:00:00Z:usd=50", claimed: false },
    { key: "blocked:day-rolling:2026-11-20T00:00:00Z:usd=50", claimed: true },
  ]);
  // The payload keeps the window start the ledger reported.
  assert.equal(JSON.parse(store.outbox.get(claims[0]!.key)!.payload).window_start, "2026-11-19T10:00:00Z");
  await second.alerter.stop();
});

test("threshold: a limit changed mid-window arms the thresholds again", async () => {
  // Issue 20 item 13: the key ignored the limit, so 80% of a raised limit was never reported in the same window.
  const store = fakeStore();
  const { alerter, log } = setup(store, []);
  alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
  alerter.threshold(state(80 * USD, NOV, DEC, { ...BUDGET, limit_usd: "100" }), 0.8);
  alerter.threshold(state(80 * USD, NOV, DEC, { ...BUDGET, limit_usd: "100" }), 0.8);
  await drained(alerter, store);
  assert.deepEqual([...store.outbox.keys()].filter((k) => k.startsWith("threshold:")), [
    `threshold:team-a-month:${NOV}:usd=50:0.8`,
    `threshold:team-a-month:${NOV}:usd=100:0.8`,
  ]);
  assert.ok(log.lines.includes(`WRN Alert budget.threshold: Budget "team-a-month" reached 80% of its limit: $80 of $100 spent, resets ${DEC}`));
  await alerter.stop();
});

test("rate_limit.blocked: a rate limit's refusal is its own type, once per rate limit and UTC day", async () => {
  // Issue 20 item 14: it arrived as budget.blocked with the rate limit's id in "budget".
  const store = fakeStore();
  const { alerter, clock, log } = setup(store, []);
  const day = (ms: number) => new Date(ms - (ms % 86_400_000)).toISOString().replace(".000Z", "Z");
  alerter.blocked(refusal("rpm-10", "rate_limited"), day(clock.now), null);
  clock.now += 30_000;
  alerter.blocked(refusal("rpm-10", "rate_limited"), day(clock.now), null);
  // A budget with the same id is another alert.
  alerter.blocked(refusal("rpm-10"), NOV, "month");
  await drained(alerter, store);
  clock.now = Date.parse("2026-11-21T00:00:01Z");
  alerter.blocked(refusal("rpm-10", "rate_limited"), day(clock.now), null);
  await drained(alerter, store);
  assert.deepEqual([...store.outbox.keys()].filter((k) => !k.includes("sentinel")), [
    "rate_limit:rpm-10:2026-11-20T00:00:00Z",
    `blocked:rpm-10:${NOV}:usd=50`,
    "rate_limit:rpm-10:2026-11-21T00:00:00Z",
  ]);
  assert.deepEqual(JSON.parse(store.outbox.get("rate_limit:rpm-10:2026-11-20T00:00:00Z")!.payload), {
    type: "rate_limit.blocked",
    at: "2026-11-20T10:00:00Z",
    rate_limit: "rpm-10",
    rpm: 10,
    window_start: "2026-11-20T00:00:00Z",
  });
  assert.ok(log.lines.includes('WRN Alert rate_limit.blocked: Rate limit "rpm-10" refused a request: 10 requests per minute'), log.lines.join("\n"));
  assert.equal(alerter.stats()["rate_limit.blocked"].raised, 2);
  assert.equal(alerter.stats()["budget.blocked"].raised, 1);
  await alerter.stop();
});

test("token budgets: threshold and refusal alerts carry the tokens used and the token limit", async () => {
  // Issue 20 item 14: a tokens-only budget's alert said "$0.2 spent" and nothing about tokens.
  const store = fakeStore();
  const { alerter, log } = setup(store, []);
  const tokens: Budget = { ...BUDGET, id: "ann-daily", window: "day", limit_usd: null, limit_tokens: 200_000 };
  alerter.threshold(state(USD / 5, "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", tokens, 160_000), 0.8);
  alerter.blocked({
    code: "budget_exceeded",
    id: "ann-daily",
    message: 'Budget "ann-daily" is exhausted: 200100 of 200000 tokens used today',
    retryAfterSeconds: 60,
    details: { budget: "ann-daily", limit_tokens: 200_000, spent_tokens: 200_100, resets_at: "2026-11-21T00:00:00Z" },
  }, "2026-11-20T00:00:00Z", "day");
  await drained(alerter, store);
  const payloads = [...store.outbox.values()].map((r) => JSON.parse(r.payload)).filter((p) => p.budget === "ann-daily");
  assert.deepEqual(payloads, [{
    type: "budget.threshold",
    at: "2026-11-20T10:00:00Z",
    budget: "ann-daily",
    threshold: 0.8,
    spent_usd: "0.2",
    spent_tokens: 160_000,
    limit_tokens: 200_000,
    window_start: "2026-11-20T00:00:00Z",
    resets_at: "2026-11-21T00:00:00Z",
  }, {
    type: "budget.blocked",
    at: "2026-11-20T10:00:00Z",
    budget: "ann-daily",
    spent_tokens: 200_100,
    limit_tokens: 200_000,
    window_start: "2026-11-20T00:00:00Z",
    resets_at: "2026-11-21T00:00:00Z",
  }]);
  assert.deepEqual(log.lines.filter((l) => l.includes("ann-daily")), [
    'WRN Alert budget.threshold: Budget "ann-daily" reached 80% of its limit: 160000 of 200000 tokens used, resets 2026-11-21T00:00:00Z',
    'WRN Alert budget.blocked: "ann-daily" refused a request: 200100 of 200000 tokens used, resets 2026-11-21T00:00:00Z',
  ]);
  await alerter.stop();
});

test("unpriced: once per model per UTC day, only with known usage and not for blocked requests", async () => {
  const store = fakeStore();
  const { alerter, clock, log } = setup(store, []);
  const unpriced = (model: string, extra = {}) => settled(clock.now, { unpriced: true, cost_pico: null, model, ...extra });
  alerter.settled(unpriced("mystery-1"));
  alerter.settled(unpriced("mystery-1"));
  alerter.settled(unpriced("mystery-2"));
  alerter.settled(unpriced("no-usage", { total_tokens: null, unpriced: false }));
  alerter.settled(unpriced("refused", { blocked: true, total_tokens: 0 }));
  alerter.settled(settled(clock.now, { unpriced: false, model: "priced" }));
  // The response named no model: the one the request asked for.
  alerter.settled(unpriced("x", { model: null, attributes: { ...settled(0).attributes, requested_model: "asked-for" } }));
  await drained(alerter, store);
  clock.now = Date.parse("2026-11-20T23:59:59Z");
  alerter.settled(unpriced("mystery-1"));
  clock.now = Date.parse("2026-11-21T00:00:00Z");
  alerter.settled(unpriced("mystery-1"));
  alerter.settled(unpriced("mystery-1"));
  await drained(alerter, store);
  const keys = [...store.outbox.keys()].filter((k) => !k.includes("sentinel"));
  assert.deepEqual(keys, [
    "unpriced:openai:mystery-1:2026-11-20",
    "unpriced:openai:mystery-2:2026-11-20",
    "unpriced:openai:asked-for:2026-11-20",
    "unpriced:openai:mystery-1:2026-11-21",
  ]);
  assert.deepEqual(JSON.parse(store.outbox.get("unpriced:openai:mystery-1:2026-11-21")!.payload), {
    type: "model.unpriced",
    at: "2026-11-21T00:00:00Z",
    model: "mystery-1",
    provider: "openai",
  });
  assert.ok(log.lines.includes('WRN Alert model.unpriced: Model "mystery-2" (openai) has usage but no price: its cost is not counted'));
  await alerter.stop();
});

test("events never throw: a failing store or a malformed event is logged, not thrown; the next event claims again", async () => {
  const store = fakeStore();
  const claim = store.claimAlert;
  store.claimAlert = () => Promise.reject(new Error("disk I/O error"));
  const { alerter, log } = setup(store, []);
  alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
  alerter.settled({ unpriced: true, total_tokens: 1, model: null, attributes: null } as never);
  alerter.threshold(null as never, 1);
  await until("the store error", () => log.lines.some((l) => l.includes("disk I/O error")));
  assert.deepEqual(log.lines.filter((l) => l.includes("event dropped")).length, 2, log.lines.join("\n"));
  assert.equal(alerter.stats()["budget.threshold"].failed, 1);
  // Not in the outbox, so not remembered as raised either: the store is back and the next crossing event claims it.
  store.claimAlert = claim;
  alerter.threshold(state(41 * USD, NOV, DEC), 0.8);
  await allDelivered(store, 1);
  assert.equal(alerter.stats()["budget.threshold"].raised, 1);
  await alerter.stop();
});

test("start survives a store that cannot answer", async () => {
  const store = fakeStore();
  store.spend = () => Promise.reject(new Error("no such table: requests"));
  store.requeueAlerts = () => Promise.reject(new Error("no such table: alert_outbox"));
  store.takeAlertDeliveries = () => Promise.reject(new Error("no such table: alert_deliveries"));
  const { alerter, log } = setup(store, []);
  await alerter.start();
  await until("the delivery error", () => log.lines.length === 3);
  assert.equal(log.lines.filter((l) => l.startsWith("ERR")).length, 3, log.lines.join("\n"));
  await alerter.stop();
});
