import assert from "node:assert/strict";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Db } from "../../src/store/db.ts";
import { createStore, type Store } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { until as poll } from "../_helpers/poll.ts";
import { testNeeding } from "../_helpers/host.ts";
import { backends } from "./backends.ts";
import { drivers, makeRecord, withTempDir } from "./helpers.ts";

const ALL = { limit: 1000, before: null };

/** Polls until `cond` holds (no timing assertion: a deadline only, so a regression fails instead of hanging). */
const until = (cond: () => boolean) => poll(`store condition ${cond}`, cond, { everyMs: 5 });

/** Counts transactions and the rows each one inserted. */
function spy(db: Db): { db: Db; batches: number[] } {
  const batches: number[] = [];
  const wrapped: Db = {
    driver: db.driver,
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    transaction: (fn) => {
      const before = count(db);
      const result = db.transaction(fn);
      batches.push(count(db) - before);
      return result;
    },
    close: () => db.close(),
  };
  return { db: wrapped, batches };
}

function count(db: Db): number {
  try {
    return Number(db.prepare("SELECT COUNT(*) AS n FROM requests").get()?.n ?? 0);
  } catch {
    return 0; // before the first migration
  }
}

async function all(store: Store): Promise<UsageRecord[]> {
  return (await store.listRequests({}, ALL)).requests.reverse();
}

for (const { name, open, test } of await drivers()) {
  test(`${name}: one transaction per batch of at most batchSize`, async () => {
    const { db, batches } = spy(open(":memory:"));
    const store = createStore(db, { batchSize: 1000 });
    batches.length = 0; // the migration's own transaction
    for (let i = 0; i < 2500; i++) store.add(makeRecord(i));
    assert.equal(store.stats().written, 0); // add() never writes on the caller's path
    await store.flush();
    assert.deepEqual(batches, [1000, 1000, 500]);
    await store.close();
  });

  test(`${name}: a read-only file keeps add() working, reports, counts, then resumes when writable`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "k.db");
      const setup = createStore(open(path));
      await setup.close(); // schema in place
      chmodSync(path, 0o444);
      // Honour the mode even as root (who may write anyway): read-only exactly when the write bit is off.
      const reopen = () => open(path, { readonly: (statSync(path).mode & 0o200) === 0 });
      const messages: string[] = [];
      const store = createStore(reopen(), {
        reopen,
        retryMs: 10,
        flushIntervalMs: 5,
        errorIntervalMs: 60_000,
        onError: (m) => messages.push(m),
      });
      for (let i = 0; i < 20; i++) store.add(makeRecord(i));
      await until(() => store.stats().write_errors >= 3);
      assert.equal(store.stats().queued, 20);
      assert.equal(store.stats().written, 0);
      await assert.rejects(store.flush(), /readonly/);
      assert.equal(messages.length, 1); // rate-limited: one report for many failures
      assert.match(messages[0] ?? "", /^Could not write usage records \(20 queued, will retry\): .*readonly/);
      store.add(makeRecord(20)); // still accepted
      chmodSync(path, 0o644);
      await until(() => store.stats().queued === 0);
      assert.equal(store.stats().written, 21);
      assert.equal((await all(store)).length, 21);
      await store.close();
    });
  });

  test(`${name}: a lock held by another connection delays writes without losing them`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "k.db");
      const store = createStore(open(path), { busyTimeoutMs: 5, retryMs: 10, flushIntervalMs: 5 });
      const other = open(path);
      other.exec("BEGIN IMMEDIATE");
      for (let i = 0; i < 10; i++) store.add(makeRecord(i));
      await until(() => store.stats().write_errors >= 2);
      assert.equal(store.stats().queued, 10);
      other.exec("COMMIT");
      other.close();
      await until(() => store.stats().written === 10);
      await store.close();
    });
  });
}

// Through the Store interface only: the same table for SQLite and PostgreSQL.
for (const { name, missing, database } of await backends()) {
  const test = (title: string, fn: () => Promise<void>) => testNeeding(title, missing, fn);

  test(`${name}: records round-trip exactly`, async () => {
    const store = (await database())();
    const records = [
      makeRecord(1),
      // nulls everywhere they are allowed, unpriced, an error outcome
      makeRecord(2, {
        model: null,
        ttfb_ms: null,
        input_tokens: null,
        output_tokens: null,
        total_tokens: null,
        cache_read_tokens: null,
        cache_write_tokens: null,
        reasoning_tokens: null,
        usage_source: "none",
        usage_native: null,
        cost_usd: null,
        cost_pico: null,
        cost_breakdown: null,
        priced: false,
        price_version: null,
        key_id: null,
        user: null,
        project: null,
        tags: [],
        outcome: "upstream_error",
        status: 502,
        usage_error: "stream cut",
      }),
      // unicode, quotes and a nested native object; fractional durations
      makeRecord(3, {
        user: 'zoë "z", 李',
        usage_native: { a: [1, { b: null }], s: "x\ny" },
        duration_ms: 12.5,
        cost_usd: "0.000003001",
        tags: ["a", "b,c"],
      }),
      // what COPY's text format escapes or reads as NULL (PostgreSQL's flusher copies), and the largest exact money
      makeRecord(4, {
        user: "tab\there\\N",
        project: "\\N",
        key_id: "\\",
        usage_error: "line\r\nnext\\t",
        usage_native: { s: "a\tb\\c", n: Number.MAX_SAFE_INTEGER },
        cost_pico: Number.MAX_SAFE_INTEGER,
        input_tokens: 2 ** 40,
        duration_ms: 0.1 + 0.2,
        tags: ["x\ty", "\\N", ""],
      }),
    ];
    for (const r of records) store.add(r);
    await store.flush();
    assert.deepEqual(await all(store), records);
    assert.deepEqual(store.stats(), { queued: 0, written: 4, dropped: 0, write_errors: 0 });
    await store.close();
  });

  test(`${name}: the background flusher writes without flush()`, async () => {
    const store = (await database())({ flushIntervalMs: 10 });
    for (let i = 0; i < 5; i++) store.add(makeRecord(i));
    await until(() => store.stats().written === 5);
    // A full batch is written on the next turn rather than after the interval.
    const big = (await database())({ batchSize: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 250; i++) big.add(makeRecord(i));
    await until(() => big.stats().written === 200);
    assert.equal(big.stats().queued, 50);
    await big.close();
    await store.close();
  });

  test(`${name}: add() never throws, and bad records are counted, not silently lost`, async () => {
    const messages: string[] = [];
    const store = (await database())({
      errorIntervalMs: 0,
      onError: (m) => {
        messages.push(m);
        throw new Error("logger broke"); // must not stop the store
      },
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    store.add(makeRecord(1, { usage_native: circular })); // cannot be serialized: dropped, counted
    store.add(makeRecord(2, { duration_ms: Number.NaN, status: Number.NaN })); // coerced: kept
    store.add(makeRecord(3, { usage_native: { big: 1n } as unknown })); // bigint in JSON: dropped
    store.add(makeRecord(2)); // duplicate id: ignored by the database
    store.add(makeRecord(4));
    await store.flush();
    assert.deepEqual((await all(store)).map((r) => r.id), [makeRecord(2).id, makeRecord(4).id]);
    assert.equal(store.stats().dropped, 2);
    assert.match(messages.join("\n"), /could not be serialized/);
    await store.close();
    store.add(makeRecord(5)); // after close: counted as dropped
    assert.equal(store.stats().dropped, 3);
    assert.match(messages.at(-1) ?? "", /store is closed/);
  });

  test(`${name}: past the queue bound, records are dropped and counted`, async () => {
    const messages: string[] = [];
    const store = (await database())({ maxQueue: 10, onError: (m) => messages.push(m) });
    for (let i = 0; i < 15; i++) store.add(makeRecord(i)); // synchronous: the flusher has not run yet
    assert.deepEqual(store.stats(), { queued: 10, written: 0, dropped: 5, write_errors: 0 });
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? "", /^Usage queue full \(10 records\): dropping records \(1 dropped so far\)$/);
    await store.close();
    assert.deepEqual(store.stats(), { queued: 0, written: 10, dropped: 5, write_errors: 0 });
  });

  test(`${name}: close() writes everything queued, then closes the database`, async () => {
    const open = await database();
    const store = open({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 2345; i++) store.add(makeRecord(i));
    await store.close();
    await store.close(); // idempotent
    assert.deepEqual(store.stats(), { queued: 0, written: 2345, dropped: 0, write_errors: 0 });
    await assert.rejects(store.listRequests({}, ALL), /closed/);
    const again = open();
    assert.equal((await again.usage({}, "day")).total.requests, 2345);
    await again.close();
  });

  test(`${name}: prune deletes only records older than the retention, in chunks`, async () => {
    const nowMs = Date.parse(makeRecord(12_000).ts);
    const store = (await database())({ now: () => nowMs });
    for (let i = 0; i < 12_000; i++) store.add(makeRecord(i)); // one per second
    await store.flush();
    // Keep 0.1 day (8,640 s): 3,360 records go, in chunks of 5,000 or fewer.
    const deleted = await store.prune(0.1);
    assert.equal(deleted, 12_000 - 8640);
    let raw = 0;
    for await (const page of store.exportRows({})) raw += page.length;
    assert.equal(raw, 8640);
    // Reports read the rollup, which retention keeps: the deleted records' sums are still there.
    assert.equal((await store.usage({}, "day")).total.requests, 12_000);
    for await (const page of store.exportRows({})) {
      assert.equal(page[0]?.id, makeRecord(12_000 - 8640).id); // the oldest survivor is exactly at the cutoff
      break;
    }
    await store.close();
  });

  test(`${name}: retentionDays prunes at start`, async () => {
    const open = await database();
    const first = open();
    first.add(makeRecord(0, { ts: "2020-01-01T00:00:00.000Z" }));
    first.add(makeRecord(1, { ts: "2026-11-27T00:00:00.000Z" }));
    await first.close();
    const store = open({ retentionDays: 30, now: () => Date.parse("2026-11-28T00:00:00Z") });
    const reader = open();
    await poll("the old record pruned", async () => (await reader.listRequests({}, ALL)).requests.length === 1);
    assert.equal((await reader.usage({}, "day")).total.requests, 2, "the rollup keeps the pruned record's sums");
    await reader.close();
    await store.close(); // also clears the daily timer
  });

  test(`${name}: non-canonical timestamps are stored in canonical form`, async () => {
    const store = (await database())();
    store.add(makeRecord(1, { ts: "2026-11-27T10:00:00Z" }));
    store.add(makeRecord(2, { ts: "2026-11-27T12:00:00+01:00" }));
    await store.flush();
    assert.deepEqual((await all(store)).map((r) => r.ts), ["2026-11-27T10:00:00.000Z", "2026-11-27T11:00:00.000Z"]);
    await store.close();
  });

  test(`${name}: a NUL character in a text field never blocks the queue (PostgreSQL text cannot hold one)`, async () => {
    const store = (await database())();
    store.add(makeRecord(1, { model: "a\u0000b", user: "\u0000" }));
    store.add(makeRecord(2));
    await store.flush();
    const [first, second] = await all(store);
    // PostgreSQL stores U+FFFD in its place; node:sqlite cuts the text at the NUL, bun:sqlite keeps it.
    assert.match(first?.model ?? "", /^a((\u0000|\uFFFD)b)?$/);
    assert.equal(second?.id, makeRecord(2).id);
    assert.deepEqual(store.stats(), { queued: 0, written: 2, dropped: 0, write_errors: 0 });
    await store.close();
  });
}
