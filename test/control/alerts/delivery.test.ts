// Alert delivery from the outbox (src/control/alerts/dispatch.ts) against webhook receivers on 127.0.0.1 and the
// SQLite outbox in memory: retries with a capped backoff until the webhook takes it, give-up only past the maximum
// age, an alert claimed before a stop or crash delivered by the next start, redirects not followed, at most
// `perHook` attempts in flight per webhook, and log lines that never show a webhook's secret path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type AlerterOptions, createAlerter } from "../../../src/control/alerts/alerter.ts";
import { sleep, startMock } from "../../_helpers/mock-upstream.ts";
import { until } from "../../_helpers/poll.ts";
import { allDelivered, fakeLog, type FakeStore, fakeStore, healable, receiver, settled, state, USD, withReceivers } from "./_fakes.ts";

const NOV = "2026-11-01T00:00:00Z";
const DEC = "2026-12-01T00:00:00Z";
const T0 = Date.parse("2026-11-20T10:00:00Z");
const KEY = `threshold:team-a-month:${NOV}:usd=50:0.8`;

/** The real clock: the outbox's due times, leases and ages are on the store's clock, which is real here. */
function setup(store: FakeStore, hooks: AlerterOptions["webhooks"], extra: Partial<AlerterOptions> = {}) {
  const log = fakeLog();
  const alerter = createAlerter({ store, fetch, log, now: Date.now, webhooks: hooks, retryBaseMs: 1, retryMaxMs: 20, ...extra });
  return { alerter, log };
}

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
    assert.deepEqual(store.deliveries().map((d) => [d.alert_key, d.attempts, d.outcome]), [[KEY, 3, "delivered"]]);
    assert.ok(!log.lines.some((l) => l.startsWith("ERR")), log.lines.join("\n"));
    await alerter.stop();
  });
});

test("a webhook down for longer than five attempts still gets the alert", async () => {
  // Issue 20 item 12: after 5 attempts (~15 s) an alert was given up for good; a minute-long outage lost it.
  const hook = await receiver(12);
  await withReceivers([hook], async () => {
    const store = fakeStore();
    const { alerter, log } = setup(store, [{ url: hook.url, format: "json" }]);
    alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await allDelivered(store, 1);
    assert.equal(hook.received.length, 13);
    assert.deepEqual(alerter.stats()["budget.threshold"], { raised: 1, sent: 1, failed: 0, retried: 12 });
    // One line when a delivery starts failing, none per retry.
    const failing = log.lines.filter((l) => l.includes("failed"));
    assert.equal(failing.length, 1, log.lines.join("\n"));
    assert.match(failing[0]!, /^WRN Alert budget\.threshold to 127\.0\.0\.1:\d+ failed: HTTP 500; retried until \d{4}-\d\d-\d\dT[\d:]+Z$/);
    await alerter.stop();
  });
});

test("past the maximum age a delivery is given up: counted once, one ERR line without the webhook's secret path", async () => {
  const broken = await receiver(Infinity);
  await withReceivers([broken], async () => {
    const store = fakeStore();
    const url = `${broken.url}/services/T000/B000/SECRETTOKEN`;
    const { alerter, log } = setup(store, [{ url, format: "json" }], { maxAgeMs: 300 });
    alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await until("the give-up", () => alerter.stats()["budget.threshold"].failed === 1);
    const [row] = store.deliveries();
    assert.equal(row!.outcome, "expired");
    assert.equal(broken.received.length, row!.attempts);
    assert.ok(row!.attempts > 5, `${row!.attempts} attempts within the maximum age`);
    const host = new URL(broken.url).host;
    assert.deepEqual(log.lines.filter((l) => l.startsWith("ERR")), [
      `ERR Alert budget.threshold to ${host} given up after ${row!.attempts} attempts in 300 ms: HTTP 500`,
    ]);
    assert.ok(!log.lines.some((l) => l.includes("SECRETTOKEN")), log.lines.join("\n"));
    assert.equal(store.outbox.get(KEY)!.delivered_at, null);
    await sleep(50);
    assert.equal(alerter.stats()["budget.threshold"].failed, 1, "given up once");
    await alerter.stop();
  });
});

test("an alert claimed before a stop is delivered by the next start, though the start raised it again first", async () => {
  // Issue 20 item 11: the restart re-reported the crossing (marking its key seen), its claim found the key taken,
  // and the resume skipped it as seen: delivered by nobody, ever.
  const hook = await healable();
  await withReceivers([hook], async () => {
    const store = fakeStore();
    const hooks = [{ url: `${hook.url}/hook`, format: "json" as const }];
    const first = setup(store, hooks);
    first.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await until("a failed attempt", () => hook.received.length >= 2);
    await first.alerter.stop();
    hook.failing = false;

    const second = setup(store, hooks);
    // As src/control/setup.ts does: the rebuilt ledger reports its crossings before the alerter starts.
    second.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await second.alerter.start();
    await until("the delivery", () => hook.taken.length === 1, { timeoutMs: 5000 });
    await allDelivered(store, 1);
    await sleep(50);
    assert.deepEqual(hook.taken.map((b) => [b.type, b.threshold]), [["budget.threshold", 0.8]]);
    assert.deepEqual(store.claims.map((c) => c.claimed), [true, false]);
    assert.deepEqual(second.log.lines, [], "the alert was logged when it was raised");
    await second.alerter.stop();
  });
});

test("stop never hangs on a webhook that does not answer; the next start sends the alert to its webhooks", async () => {
  const silent = await startMock(() => {/* never answers */});
  const healthy = await receiver();
  await withReceivers([silent, healthy], async () => {
    const store = fakeStore();
    const first = setup(store, [{ url: silent.url, format: "json" }], { stopGraceMs: 50, timeoutMs: 600_000 });
    first.alerter.blocked({
      code: "budget_exceeded",
      id: "team-a-month",
      message: "exhausted",
      retryAfterSeconds: 60,
      details: { budget: "team-a-month", limit_usd: "50", spent_usd: "50.01", resets_at: DEC },
    }, NOV, "month");
    await until("the webhook request", () => silent.received.length === 1);
    await first.alerter.stop();
    assert.deepEqual(first.alerter.stats()["budget.blocked"], { raised: 1, sent: 0, failed: 0, retried: 0 });
    // Events after a stop are dropped, not queued.
    first.alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    assert.deepEqual([...store.outbox.keys()], [`blocked:team-a-month:${NOV}:usd=50`]);

    // The configuration now names another webhook: an alert no webhook took yet goes to it.
    const second = setup(store, [{ url: healthy.url, format: "json" }]);
    await second.alerter.start();
    await until("the delivery", () => healthy.received.length === 1);
    assert.equal(JSON.parse(healthy.received[0]!.body.toString()).type, "budget.blocked");
    await second.alerter.stop();
  });
});

test("a redirect is a failed attempt, never followed: a redirect loop gets one request per attempt", async () => {
  // Issue 20 item 12: fetch followed redirects, ~127 requests per attempt (193,040 against one loop).
  const loop = await startMock((_req, res) => {
    res.writeHead(302, { location: "/again" }).end();
  });
  await withReceivers([loop], async () => {
    const store = fakeStore();
    const { alerter, log } = setup(store, [{ url: `${loop.url}/hook`, format: "json" }], { maxAgeMs: 200 });
    alerter.threshold(state(40 * USD, NOV, DEC), 0.8);
    await until("the give-up", () => alerter.stats()["budget.threshold"].failed === 1);
    const [row] = store.deliveries();
    assert.equal(loop.received.length, row!.attempts, `${loop.received.length} requests for ${row!.attempts} attempts`);
    assert.deepEqual(loop.received.map((r) => r.url).filter((u) => u !== "/hook"), []);
    assert.equal(row!.last_error, "HTTP 302, a redirect (not followed)");
    assert.match(log.lines.find((l) => l.startsWith("ERR"))!, /given up after \d+ attempts in 200 ms: HTTP 302, a redirect \(not followed\)$/);
    await alerter.stop();
  });
});

test("at most four attempts are in flight per webhook; the rest wait their turn and all arrive", async () => {
  let open = 0;
  let most = 0;
  const held: (() => void)[] = [];
  const slow = await startMock(async (_req, res) => {
    open++;
    most = Math.max(most, open);
    await new Promise<void>((resolve) => held.push(resolve));
    open--;
    res.writeHead(204).end();
  });
  await withReceivers([slow], async () => {
    const store = fakeStore();
    const { alerter } = setup(store, [{ url: slow.url, format: "json" }]);
    for (let i = 0; i < 10; i++) alerter.settled(settled(T0, { unpriced: true, cost_pico: null, model: `m-${i}` }));
    await until("four requests held", () => held.length === 4);
    await sleep(100);
    assert.equal(open, 4);
    while (store.deliveries().some((d) => d.outcome === null)) {
      held.splice(0).forEach((release) => release());
      await sleep(5);
    }
    assert.equal(most, 4);
    assert.equal(slow.received.length, 10);
    assert.equal(alerter.stats()["model.unpriced"].sent, 10);
    await alerter.stop();
  });
});

test("an unreachable webhook: the log names its host, never its path (a Slack URL's path is its secret)", async () => {
  const gone = await receiver();
  await gone.close();
  const url = `${gone.url}/services/T000/B000/SECRETTOKEN`;
  const store = fakeStore();
  const { alerter, log } = setup(store, [{ url, format: "slack" }], { maxAgeMs: 100 });
  alerter.settled(settled(T0, { unpriced: true, cost_pico: null, model: "mystery" }));
  await until("the give-up", () => alerter.stats()["model.unpriced"].failed === 1, { detail: () => log.lines.join("\n") });
  const host = new URL(gone.url).host;
  assert.ok(log.lines.some((l) => l.startsWith(`WRN Alert model.unpriced to ${host} failed: `)), log.lines.join("\n"));
  assert.ok(log.lines.some((l) => l.startsWith(`ERR Alert model.unpriced to ${host} given up after `)), log.lines.join("\n"));
  assert.ok(!log.lines.some((l) => l.includes("SECRETTOKEN")), log.lines.join("\n"));
  assert.ok(!store.deliveries().some((d) => String(d.last_error).includes("SECRETTOKEN")));
  await alerter.stop();
});

test("a fetch error quoting the webhook's URL is logged and stored with the URL's path removed", async () => {
  const url = "http://hooks.example/services/T000/B000/SECRETTOKEN";
  // Deno 1.x words a refused connection this way.
  const quoting = ((input: string) => Promise.reject(new TypeError(`error sending request for url (${input}): connection refused`))) as typeof fetch;
  const store = fakeStore();
  const { alerter, log } = setup(store, [{ url, format: "json" }], { fetch: quoting });
  alerter.settled(settled(T0, { unpriced: true, cost_pico: null, model: "mystery" }));
  await until("a retry", () => alerter.stats()["model.unpriced"].retried >= 1);
  const reason = "error sending request for url (hooks.example): connection refused";
  assert.ok(log.lines.some((l) => l.startsWith(`WRN Alert model.unpriced to hooks.example failed: ${reason}; retried until `)), log.lines.join("\n"));
  await alerter.stop();
  assert.equal(store.deliveries()[0]!.last_error, reason);
});
