// Spend spikes: the hourly meter's arithmetic at its boundaries, then the alerter with an injected clock and the
// history it loads from the store at start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createAlerter } from "../../../src/control/alerts/alerter.ts";
import { createSpikeMeter, HISTORY_HOURS, HOUR_MS } from "../../../src/control/alerts/spike.ts";
import { until } from "../../_helpers/poll.ts";
import { allDelivered, fakeLog, fakeStore, settled, USD } from "./_fakes.ts";

const H = Date.parse("2026-11-20T10:00:00Z");

/** 168 full hours of `pico` each, the hours before `hour`. */
const flatHistory = (hour: number, pico: bigint) =>
  Array.from({ length: HISTORY_HOURS }, (_, i) => ({ at: hour - (HISTORY_HOURS - i) * HOUR_MS, cost_pico: pico, tokens: 0, requests: 0 }));
/** One dollar in pico-USD, as the meter counts it. */
const U = BigInt(USD);

test("meter: above factor × the 7-day hourly average, strictly, once per hour", () => {
  const meter = createSpikeMeter(5000, U);
  meter.seed(flatHistory(H, U), H + 60_000);
  assert.equal(meter.trigger, 5n * U);
  assert.equal(meter.add(H + 1000, 5n * U), -1, "equal to the trigger is not above it");
  assert.equal(meter.add(H + 2000, 1n), H, "one pico above it is");
  assert.equal(meter.add(H + 3000, U), -1, "one alert per hour");
  // The next hour: the oldest hour left the window and the spiky one joined it.
  assert.equal(meter.add(H + HOUR_MS, 1n), -1);
  const sum = 167n * U + 6n * U + 1n;
  assert.equal(meter.trigger, (sum * 5n) / 168n);
  assert.equal(meter.add(H + HOUR_MS + 1, meter.trigger - 1n), -1, "the hour's spend is now exactly the trigger");
  assert.equal(meter.add(H + HOUR_MS + 2, 1n), H + HOUR_MS);
});

test("meter: the minimum applies when the average is small or absent", () => {
  const meter = createSpikeMeter(5000, U);
  meter.seed([], H);
  assert.equal(meter.trigger, U);
  assert.equal(meter.add(H, U), -1);
  assert.equal(meter.add(H, 1n), H);
});

test("meter: a factor that is not an integer stays exact", () => {
  const meter = createSpikeMeter(2500, 0n);
  meter.seed(flatHistory(H, 168n), H);
  // 2.5 × (168 × 168) / 168 = 420 pico.
  assert.equal(meter.trigger, 420n);
  assert.equal(meter.add(H, 420n), -1);
  assert.equal(meter.add(H, 1n), H);
});

test("meter: spend that lands in a past hour raises the average; older than the window it is ignored", () => {
  const meter = createSpikeMeter(5000, 0n);
  meter.seed([], H);
  assert.equal(meter.trigger, 0n);
  meter.add(H - HOUR_MS, 168n * U);
  assert.equal(meter.trigger, 5n * U);
  meter.add(H - (HISTORY_HOURS + 1) * HOUR_MS, 1000n * U);
  assert.equal(meter.trigger, 5n * U);
});

test("meter: hours older than 7 days leave the average after a long quiet gap", () => {
  const meter = createSpikeMeter(5000, U);
  meter.seed(flatHistory(H, 10n * U), H);
  assert.equal(meter.trigger, 50n * U);
  assert.equal(meter.add(H + HISTORY_HOURS * HOUR_MS, 2n * U), H + HISTORY_HOURS * HOUR_MS);
  assert.equal(meter.trigger, U, "every seeded hour is now older than 7 days: only the minimum is left");
});

test("meter: nothing is reported before the history is seeded, and spend from then is kept", () => {
  const meter = createSpikeMeter(5000, U);
  assert.equal(meter.add(H, 3n * U), -1);
  meter.seed([{ at: H, cost_pico: U, tokens: 0, requests: 0 }], H + 1);
  assert.equal(meter.current, 4n * U);
  assert.equal(meter.add(H + 2, 1n), H);
});

test("alerter: loads 7 days + 1 h of hourly spend at start and raises one spend.spike per hour", async () => {
  const store = fakeStore();
  const now = H + 20 * 60_000;
  store.history = [...flatHistory(H, U / 10n), { at: H, cost_pico: U, tokens: 0, requests: 0 }];
  const clock = { now };
  const log = fakeLog();
  const alerter = createAlerter({ store, fetch, log, now: () => clock.now, webhooks: [], spikeMinUsd: "1.5" });
  alerter.settled(settled(now, { cost_pico: USD / 4 }));
  await alerter.start();
  assert.deepEqual(store.spendCalls, [{ scope: {}, sinceMs: H - HISTORY_HOURS * HOUR_MS, bucketMs: HOUR_MS }]);
  // Average $0.10 × 5 = $0.50 is under the $1.50 minimum: $1.25 so far, then $0.25 more is not above, 1 pico is.
  alerter.settled(settled(now, { cost_pico: USD / 4 }));
  alerter.settled(settled(now, { cost_pico: 1, blocked: true }));
  alerter.settled(settled(now, { cost_pico: null, unpriced: false }));
  clock.now += 1000;
  alerter.settled(settled(now, { cost_pico: 1 }));
  alerter.settled(settled(now, { cost_pico: USD }));
  await allDelivered(store, 1);
  // A late exchange that started in the previous hour does not make this hour spike again.
  alerter.settled(settled(H - 1, { cost_pico: USD }));
  clock.now = H + HOUR_MS + 1;
  alerter.settled(settled(H + HOUR_MS, { cost_pico: 2 * USD }));
  await until("the second hour's spike", () => store.outbox.size === 2);
  assert.deepEqual([...store.outbox.keys()], ["spike:2026-11-20T10:00:00Z", "spike:2026-11-20T11:00:00Z"]);
  assert.deepEqual(JSON.parse(store.outbox.get("spike:2026-11-20T10:00:00Z")!.payload), {
    type: "spend.spike",
    at: "2026-11-20T10:20:01Z",
    spent_usd: "1.500000000001",
    limit_usd: "1.5",
    window_start: "2026-11-20T10:00:00Z",
  });
  assert.ok(log.lines.includes(
    "WRN Alert spend.spike: Spend spike: $1.500000000001 in the hour from 2026-11-20T10:00:00Z, above $1.5",
  ), log.lines.join("\n"));
  await alerter.stop();
});

test("alerter: a spike minimum that is not a USD amount is refused at creation", () => {
  const options = { store: fakeStore(), fetch, log: fakeLog(), now: () => H, webhooks: [] };
  assert.throws(() => createAlerter({ ...options, spikeMinUsd: "one" }), /Spike minimum "one"/);
  assert.throws(() => createAlerter({ ...options, spikeFactor: 0 }), /Spike factor "0"/);
});
