// The alerter against a real webhook receiver on 127.0.0.1 and an in-memory outbox: bodies in both formats,
// retries, give-up, once per window, no re-send after a restart, resume of undelivered alerts, a stop that never hangs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Alerter, type AlerterOptions, createAlerter } from "../../../src/control/alerts/alerter.ts";
import type { Refusal } from "../../../src/control/types.ts";
import { type Mock, startMock } from "../../_helpers/mock-upstream.ts";
import { until } from "../../_helpers/poll.ts";
import { allDelivered, bodies, fakeLog, type FakeStore, fakeStore, receiver, settled, state, USD } from "./_fakes.ts";

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
  alerter.settled(settled(T0, { priced: false, cost_pico: null, model, attributes: { ...settled(T0).attributes, provider: "sentinel" } }));
  await until("the sentinel's claim", () => store.claims.some((c) => c.key.includes(model)));
}

/** What a receiver got, less the sentinels `drained` raised. */
const real = (mock: Mock) => bodies(mock).filter((b) => b.provider !== "sentinel" && !String(b.text).includes("(sentinel)"));

async function withReceivers(mocks: Mock[], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    for (const m of mocks) await m.close();
  }
}

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
    assert.deepEqual([...store.outbox.keys()], [`threshold:team-a-month:${NOV}:0.8`]);
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

test("retries with backoff until the webhook takes it", async () => {
  const hook = await receiver(2);
  await withReceivers([hook], async () => {
    const store = fakeStore();
    const { alerter, log } = setup(store, [{ url: hook.url, format: "json" }]);
    alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await allDelivered(store, 1);
    assert.equal(hook.received.length, 3);
    assert.equal(new Set(hook.received.map((r) => r.body.toString())).size, 1, "every attempt sends the same body");
    assert.deepEqual(alerter.stats()["budget.threshold"], { raised: 1, sent: 1, failed: 0, retried: 2 });
    assert.ok(!log.lines.some((l) => l.startsWith("ERR")), log.lines.join("\n"));
    await alerter.stop();
  });
});

test("gives up after 5 attempts: counted, one ERR line without the webhook's secret path; the next start resumes it", async () => {
  const broken = await receiver(Infinity);
  const healthy = await receiver();
  await withReceivers([broken, healthy], async () => {
    const store = fakeStore();
    const first = setup(store, [{ url: `${broken.url}/services/T000/B000/SECRETTOKEN`, format: "json" }]);
    first.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await until("the give-up", () => first.alerter.stats()["budget.threshold"].failed === 1);
    assert.equal(broken.received.length, 5);
    assert.deepEqual(first.alerter.stats()["budget.threshold"], { raised: 1, sent: 0, failed: 1, retried: 4 });
    const errors = first.log.lines.filter((l) => l.startsWith("ERR"));
    assert.deepEqual(errors, [`ERR Alert budget.threshold to ${new URL(broken.url).host} failed after 5 attempts: HTTP 500`]);
    assert.equal(store.outbox.get(`threshold:team-a-month:${NOV}:0.8`)!.delivered_at, null);
    await first.alerter.stop();

    const second = setup(store, [{ url: healthy.url, format: "json" }]);
    await second.alerter.start();
    await allDelivered(store, 1);
    assert.deepEqual(healthy.received.map((r) => r.body.toString()), [broken.received[0]!.body.toString()]);
    assert.deepEqual(second.log.lines, [], "a resumed alert was logged when it was raised");
    await second.alerter.stop();
  });
});

test("stop never hangs on a webhook that does not answer, and the next start resumes the alert", async () => {
  const silent = await startMock(() => {/* never answers */});
  const healthy = await receiver();
  await withReceivers([silent, healthy], async () => {
    const store = fakeStore();
    const first = setup(store, [{ url: silent.url, format: "json" }], { stopGraceMs: 50, timeoutMs: 600_000 });
    first.alerter.blocked(refusal("team-a-month"), NOV);
    await until("the webhook request", () => silent.received.length === 1);
    await first.alerter.stop();
    assert.deepEqual(first.alerter.stats()["budget.blocked"], { raised: 1, sent: 0, failed: 0, retried: 0 });
    // Events after a stop are dropped, not queued.
    first.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    assert.deepEqual([...store.outbox.keys()], [`blocked:team-a-month:${NOV}`]);

    const second = setup(store, [{ url: healthy.url, format: "json" }]);
    await second.alerter.start();
    await allDelivered(store, 1);
    assert.deepEqual(bodies(healthy), [{
      type: "budget.blocked",
      at: "2026-11-20T10:00:00Z",
      budget: "team-a-month",
      spent_usd: "50.01",
      limit_usd: "50",
      window_start: NOV,
      resets_at: DEC,
    }]);
    await second.alerter.stop();
  });
});

function refusal(id: string, code: Refusal["code"] = "budget_exceeded"): Refusal {
  return {
    code,
    id,
    message: `Budget "${id}" is exhausted: $50.01 of $50 spent this month`,
    retryAfterSeconds: 60,
    details: code === "budget_exceeded" ? { budget: id, limit_usd: "50", spent_usd: "50.01", resets_at: DEC } : {},
  };
}

test("blocked: the first refusal in a window alerts, later ones in it do not", async () => {
  const store = fakeStore();
  const { alerter, clock } = setup(store, []);
  for (let i = 0; i < 3; i++) alerter.blocked(refusal("team-a-month"), NOV);
  // A rate limit's sliding window reports no start: its window is the minute.
  alerter.blocked(refusal("rpm-10", "rate_limited"), null);
  clock.now += 30_000;
  alerter.blocked(refusal("rpm-10", "rate_limited"), null);
  await drained(alerter, store);
  clock.now = Date.parse("2026-12-01T00:00:05Z");
  alerter.blocked(refusal("team-a-month"), DEC);
  alerter.blocked(refusal("team-a-month"), DEC);
  alerter.blocked(refusal("rpm-10", "rate_limited"), null);
  await drained(alerter, store);
  const keys = [...store.outbox.keys()].filter((k) => k.startsWith("blocked:"));
  assert.deepEqual(keys, [
    `blocked:team-a-month:${NOV}`,
    "blocked:rpm-10:2026-11-20T10:00:00Z",
    `blocked:team-a-month:${DEC}`,
    "blocked:rpm-10:2026-12-01T00:00:00Z",
  ]);
  assert.deepEqual(JSON.parse(store.outbox.get("blocked:rpm-10:2026-11-20T10:00:00Z")!.payload), {
    type: "budget.blocked",
    at: "2026-11-20T10:00:00Z",
    budget: "rpm-10",
    window_start: "2026-11-20T10:00:00Z",
  });
  await alerter.stop();
});

test("unpriced: once per model per UTC day, only with known usage and not for blocked requests", async () => {
  const store = fakeStore();
  const { alerter, clock, log } = setup(store, []);
  const unpriced = (model: string, extra = {}) => settled(clock.now, { priced: false, cost_pico: null, model, ...extra });
  alerter.settled(unpriced("mystery-1"));
  alerter.settled(unpriced("mystery-1"));
  alerter.settled(unpriced("mystery-2"));
  alerter.settled(unpriced("no-usage", { total_tokens: null }));
  alerter.settled(unpriced("refused", { blocked: true, total_tokens: 0 }));
  alerter.settled(settled(clock.now, { priced: true, model: "priced" }));
  // The response named no model: the one the request asked for.
  alerter.settled(unpriced("x", { model: null, attributes: { ...settled(0).attributes, model: "asked-for" } }));
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

test("events never throw: a failing store or a malformed event is logged, not thrown", async () => {
  const store = fakeStore();
  store.claimAlert = () => Promise.reject(new Error("disk I/O error"));
  const { alerter, log } = setup(store, []);
  alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
  alerter.settled({ priced: false, total_tokens: 1, model: null, attributes: null } as never);
  alerter.threshold(null as never, 1);
  await until("the store error", () => log.lines.some((l) => l.includes("disk I/O error")));
  assert.deepEqual(log.lines.filter((l) => l.includes("event dropped")).length, 2, log.lines.join("\n"));
  assert.equal(alerter.stats()["budget.threshold"].failed, 1);
  await alerter.stop();
});

test("start survives a store that cannot answer", async () => {
  const store = fakeStore();
  store.spend = () => Promise.reject(new Error("no such table: requests"));
  store.undeliveredAlerts = () => Promise.reject(new Error("no such table: alert_outbox"));
  const { alerter, log } = setup(store, []);
  await alerter.start();
  assert.equal(log.lines.filter((l) => l.startsWith("ERR")).length, 2, log.lines.join("\n"));
  await alerter.stop();
});

test("an unreachable webhook: the ERR line names its host, never its path (a Slack URL's path is its secret)", async () => {
  const gone = await receiver();
  await gone.close();
  const url = `${gone.url}/services/T000/B000/SECRETTOKEN`;
  const store = fakeStore();
  const { alerter, log } = setup(store, [{ url, format: "slack" }]);
  alerter.settled(settled(T0, { priced: false, cost_pico: null, model: "mystery" }));
  await until("the give-up", () => alerter.stats()["model.unpriced"].failed === 1, { detail: () => log.lines.join("\n") });
  const errors = log.lines.filter((l) => l.startsWith("ERR"));
  assert.equal(errors.length, 1, log.lines.join("\n"));
  assert.ok(errors[0]!.startsWith(`ERR Alert model.unpriced to ${new URL(gone.url).host} failed after 5 attempts: `), errors[0]);
  assert.ok(!errors[0]!.includes("SECRETTOKEN"), errors[0]);
  await alerter.stop();
});

test("a fetch error quoting the webhook's URL is logged with the URL's path removed", async () => {
  const url = "http://hooks.example/services/T000/B000/SECRETTOKEN";
  // Deno 1.x words a refused connection this way.
  const quoting = ((input: string) => Promise.reject(new TypeError(`error sending request for url (${input}): connection refused`))) as typeof fetch;
  const store = fakeStore();
  const { alerter, log } = setup(store, [{ url, format: "json" }], { fetch: quoting, attempts: 2 });
  alerter.settled(settled(T0, { priced: false, cost_pico: null, model: "mystery" }));
  await until("the give-up", () => alerter.stats()["model.unpriced"].failed === 1);
  assert.deepEqual(log.lines.filter((l) => l.startsWith("ERR")), [
    "ERR Alert model.unpriced to hooks.example failed after 2 attempts: error sending request for url (hooks.example): connection refused",
  ]);
  await alerter.stop();
});
