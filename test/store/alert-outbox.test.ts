/**
 * The alert outbox on both stores (src/store/alert-outbox.ts, src/store/pg/alert-outbox.ts), as two instances on
 * one database see it: a key claimed once, a delivery per webhook, leases that keep two takers apart and run out
 * when their holder dies, backoff, give-up past the maximum age (reported once), and requeueing for new webhooks.
 * Real time with short durations: due times and leases are on the store's clock, not an injected one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { AlertHook, AlertOutbox, DeliveryBatch } from "../../src/control/types.ts";
import { createPgControlStore } from "../../src/store/pg/control-store.ts";
import { createStore } from "../../src/store/store.ts";
import { testNeeding } from "../_helpers/host.ts";
import { sleep } from "../_helpers/mock-upstream.ts";
import { drivers, withTempDir } from "./helpers.ts";
import { freshDb, PG_MISSING } from "./pg-control-helpers.ts";

const H1: AlertHook = { id: "h1", host: "hooks.one" };
const H2: AlertHook = { id: "h2", host: "hooks.two" };
const BOTH = [{ id: "h1", limit: 5 }, { id: "h2", limit: 5 }];
const LONG = 3_600_000;

interface Pair {
  a: AlertOutbox;
  b: AlertOutbox;
  /** `alert_deliveries` as [key, hook, attempts, outcome], and `alert_outbox` delivered keys. */
  deliveries(): Promise<[string, string, number, string | null][]>;
  delivered(): Promise<string[]>;
}

const keys = (batch: DeliveryBatch) => batch.due.map((d) => `${d.key}@${d.hook}#${d.attempts}`);

const scenarios: [string, (p: Pair) => Promise<void>][] = [
  ["a key is claimed once, with a pending delivery per webhook; with no webhook it is delivered at once", async ({ a, b, deliveries, delivered }) => {
    assert.equal(await a.claimAlert("k1", '{"n":1}', [H1, H2], Date.now()), true);
    assert.equal(await b.claimAlert("k1", '{"n":2}', [H1, H2], Date.now()), false);
    assert.equal(await b.claimAlert("k0", '{"n":0}', [], Date.now()), true);
    assert.deepEqual(await deliveries(), [["k1", "h1", 0, null], ["k1", "h2", 0, null]]);
    assert.deepEqual(await delivered(), ["k0"]);
  }],
  ["due deliveries are leased oldest first, at most `limit` per webhook, never to two takers; a release hands them over", async ({ a, b }) => {
    await a.claimAlert("k1", '{"n":1}', [H1, H2], Date.now());
    await sleep(5);
    await a.claimAlert("k2", '{"n":2}', [H1], Date.now());
    const first = await a.takeAlertDeliveries([{ id: "h1", limit: 1 }, { id: "h2", limit: 5 }], 60_000, LONG);
    assert.deepEqual(keys(first), ["k1@h1#0", "k1@h2#0"]);
    assert.equal(first.due[0]!.payload, '{"n":1}');
    // k2 is due but over the limit: nothing to wait for. a's own leases run out in a minute.
    assert.ok(first.nextDueInMs! > 55_000 && first.nextDueInMs! <= 60_000, String(first.nextDueInMs));
    assert.equal(first.leaseEndsInMs, null);
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 60_000, LONG)), ["k2@h1#0"]);
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 60_000, LONG)), []);
    await a.releaseAlerts();
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 60_000, LONG)), ["k1@h1#0", "k1@h2#0"]);
  }],
  ["a failed attempt is due again after its backoff; a taken delivery never again, and the alert counts as delivered", async ({ a, b, deliveries, delivered }) => {
    await a.claimAlert("k1", "{}", [H1], Date.now());
    assert.deepEqual(keys(await a.takeAlertDeliveries(BOTH, 60_000, LONG)), ["k1@h1#0"]);
    await a.recordAlertAttempt("k1", "h1", { ok: false, error: "HTTP 500", retryInMs: 300 });
    const waiting = await b.takeAlertDeliveries(BOTH, 60_000, LONG);
    assert.deepEqual(keys(waiting), []);
    assert.ok(waiting.nextDueInMs! > 0 && waiting.nextDueInMs! <= 300, String(waiting.nextDueInMs));
    assert.equal(waiting.leaseEndsInMs, null);
    assert.deepEqual(await delivered(), []);
    await sleep(waiting.nextDueInMs! + 20);
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 60_000, LONG)), ["k1@h1#1"]);
    await b.recordAlertAttempt("k1", "h1", { ok: true });
    // A late duplicate report changes nothing.
    await a.recordAlertAttempt("k1", "h1", { ok: false, error: "late", retryInMs: 0 });
    const done = await a.takeAlertDeliveries(BOTH, 60_000, LONG);
    assert.deepEqual([keys(done), done.nextDueInMs, done.leaseEndsInMs], [[], null, null]);
    assert.deepEqual(await deliveries(), [["k1", "h1", 2, "delivered"]]);
    assert.deepEqual(await delivered(), ["k1"]);
  }],
  ["a lease whose holder died runs out, and another takes the delivery", async ({ a, b }) => {
    await a.claimAlert("k1", "{}", [H1], Date.now());
    assert.deepEqual(keys(await a.takeAlertDeliveries(BOTH, 300, LONG)), ["k1@h1#0"]);
    const held = await b.takeAlertDeliveries(BOTH, 300, LONG);
    assert.deepEqual(keys(held), []);
    // Another instance's lease: b looks again before it runs out, and takes it once it has.
    assert.equal(held.nextDueInMs, null);
    assert.ok(held.leaseEndsInMs! > 0 && held.leaseEndsInMs! <= 300, String(held.leaseEndsInMs));
    await sleep(held.leaseEndsInMs! + 20);
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 300, LONG)), ["k1@h1#0"]);
  }],
  ["past the maximum age a delivery is given up, reported to one taker once; one in flight is left to finish", async ({ a, b, deliveries }) => {
    await a.claimAlert("k1", '{"n":1}', [H1], Date.now());
    await a.claimAlert("k2", '{"n":2}', [H2], Date.now());
    assert.deepEqual(keys(await a.takeAlertDeliveries([{ id: "h2", limit: 1 }], 60_000, LONG)), ["k2@h2#0"]);
    await sleep(120);
    const [x, y] = await Promise.all([a.takeAlertDeliveries(BOTH, 60_000, 100), b.takeAlertDeliveries(BOTH, 60_000, 100)]);
    assert.deepEqual([...x!.expired, ...y!.expired], [{ key: "k1", host: "hooks.one", payload: '{"n":1}', attempts: 0, error: null }]);
    assert.deepEqual([...x!.due, ...y!.due], []);
    assert.deepEqual(await deliveries(), [["k1", "h1", 0, "expired"], ["k2", "h2", 0, null]]);
  }],
  ["requeue: an alert no webhook took yet gets a delivery for a new webhook; a delivered one does not", async ({ a, b, deliveries }) => {
    await a.claimAlert("k1", "{}", [H1], Date.now());
    await a.claimAlert("k2", "{}", [H1], Date.now());
    await a.takeAlertDeliveries([{ id: "h1", limit: 5 }], 60_000, LONG);
    await a.recordAlertAttempt("k2", "h1", { ok: true });
    await b.requeueAlerts([H1, H2], LONG);
    assert.deepEqual(await deliveries(), [["k1", "h1", 0, null], ["k2", "h1", 1, "delivered"], ["k1", "h2", 0, null]]);
    assert.deepEqual(keys(await b.takeAlertDeliveries(BOTH, 60_000, LONG)), ["k1@h2#0"]);
  }],
];

for (const { name, open, test } of await drivers()) {
  for (const [what, run] of scenarios) {
    test(`${name}: ${what}`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "k.db");
        const a = createStore(open(path));
        const b = createStore(open(path), { busyTimeoutMs: 5000 });
        const reader = open(path);
        try {
          await run({
            a: a.control,
            b: b.control,
            deliveries: () =>
              Promise.resolve(reader.prepare<{ k: string; h: string; n: number; o: string | null }>(
                "SELECT alert_key AS k, hook AS h, attempts AS n, outcome AS o FROM alert_deliveries ORDER BY rowid",
              ).all().map((r) => [r.k, r.h, r.n, r.o])),
            delivered: () =>
              Promise.resolve(reader.prepare<{ key: string }>(
                "SELECT key FROM alert_outbox WHERE delivered_at IS NOT NULL ORDER BY key",
              ).all().map((r) => r.key)),
          });
        } finally {
          reader.close();
          await b.close();
          await a.close();
        }
      });
    });
  }
}

for (const [what, run] of scenarios) {
  testNeeding(`pg: ${what}`, PG_MISSING, async () => {
    const db = await freshDb();
    try {
      await run({
        a: createPgControlStore(db.sql, Date.now, { instance: "a" }),
        b: createPgControlStore(db.connect(), Date.now, { instance: "b" }),
        deliveries: async () =>
          (await db.sql`SELECT alert_key, hook, attempts, outcome FROM alert_deliveries ORDER BY created_ms, ctid`)
            .map((r) => [String(r.alert_key), String(r.hook), Number(r.attempts), r.outcome === null ? null : String(r.outcome)]),
        delivered: async () =>
          (await db.sql`SELECT key FROM alert_outbox WHERE delivered_at IS NOT NULL ORDER BY key`).map((r) => String(r.key)),
      });
    } finally {
      await db.close();
    }
  });
}

testNeeding("pg: a key is claimed once across instances racing for it", PG_MISSING, async () => {
  const db = await freshDb();
  try {
    const stores = [createPgControlStore(db.sql), createPgControlStore(db.connect()), createPgControlStore(db.connect())];
    const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 3]!.claimAlert("k", "{}", [H1], Date.now())));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal((await db.sql`SELECT count(*)::int AS n FROM alert_deliveries`)[0]!.n, 1);
  } finally {
    await db.close();
  }
});

testNeeding("pg: leases are on the database's clock: an instance whose clock runs ahead cannot take a live lease", PG_MISSING, async () => {
  // Issue 20 item 13: each instance compared leases with its own clock, so one running ahead took over live ones.
  const db = await freshDb();
  try {
    const behind = createPgControlStore(db.sql, () => Date.now() - LONG, { instance: "behind" });
    const ahead = createPgControlStore(db.connect(), () => Date.now() + LONG, { instance: "ahead" });
    await behind.claimAlert("k1", "{}", [H1], Date.now() - LONG);
    assert.deepEqual(keys(await behind.takeAlertDeliveries(BOTH, 60_000, 2 * LONG)), ["k1@h1#0"]);
    assert.deepEqual(keys(await ahead.takeAlertDeliveries(BOTH, 60_000, 2 * LONG)), []);
  } finally {
    await db.close();
  }
});
