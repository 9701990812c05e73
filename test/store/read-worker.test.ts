/**
 * Reads on the reader worker (src/store/worker/read-client.ts): the same answers as the main thread's store, a
 * long report that leaves the event loop free (the same report on the main thread stalls it), and a worker that
 * fails handing its reads back to the main thread. The proxied-stream version is test/e2e/read-stall.test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createStore, type Store } from "../../src/store/store.ts";
import { withReadWorker } from "../../src/store/worker/read-client.ts";
import { createExportFormatter, framedChunks } from "../../src/store/export-format.ts";
import { textReads } from "../../src/store/text-reads.ts";
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { BULK_PROJECT, bulkRollup } from "./bulk.ts";
import { makeRecord, runtimeDriver, withTempDir } from "./helpers.ts";
import { startStoreWorker } from "./workers.ts";

async function collect(store: Store, filter = {}): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const page of store.exportRows(filter)) out.push(...page);
  return out;
}

/** The largest pause between ticks of a 2 ms interval while `work` runs, and how long it ran. */
async function stallDuring(work: () => Promise<unknown>): Promise<{ gap: number; took: number }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    gap = Math.max(gap, t - last);
    last = t;
  }, 2);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10));
  last = performance.now();
  await work();
  const took = performance.now() - start;
  // Let the interval fire once more: after a blocking read it is the tick that sees the pause.
  await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(timer);
  return { gap, took };
}

test("reads through the reader worker answer what the main thread's store answers", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const main = createStore(open(path), { exportPageSize: 7 });
    for (let i = 0; i < 50; i++) main.add(makeRecord(i));
    await main.flush();
    const errors: string[] = [];
    const store = withReadWorker(createStore(open(path)), startStoreWorker(), { path, exportPageSize: 7, onError: (m) => errors.push(m) });
    try {
      const filter = { since: "2026-11-20T12:00:10.000Z" };
      assert.deepEqual(await store.listRequests(filter, { limit: 5, before: null }), await main.listRequests(filter, { limit: 5, before: null }));
      assert.deepEqual(await store.getRequest(makeRecord(3).id), makeRecord(3));
      assert.equal(await store.getRequest("nope"), null);
      assert.deepEqual(await store.usage(filter, ["hour", "model"]), await main.usage(filter, ["hour", "model"]));
      // The API's text: the same bytes from the worker (pages formatted there, the next asked ahead) as from main.
      for (const format of ["csv", "json", "ndjson"] as const) {
        const chunks = async (s: Store) => {
          const out: number[] = [];
          for await (const chunk of framedChunks(textReads(s).exportPages(filter, format), createExportFormatter(format))) out.push(...chunk);
          return out;
        };
        assert.deepEqual(await chunks(store), await chunks(main), format);
      }
      assert.notEqual(store.text, undefined, "the reader worker answers the text itself");
      const report = new TextDecoder().decode(await textReads(store).usage(filter, ["hour", "model"]));
      assert.equal(report, JSON.stringify(await main.usage(filter, ["hour", "model"])));
      const exported = await collect(store, filter);
      assert.equal(exported.length, 40);
      assert.deepEqual(exported, await collect(main, filter));
      const since = Date.parse("2026-11-20T12:00:00.000Z");
      assert.deepEqual(await store.control.spend({ user: "alice" }, since, 60_000), await main.control.spend({ user: "alice" }, since, 60_000));
      assert.deepEqual(errors, []);
    } finally {
      await store.close();
      await main.close();
    }
    await assert.rejects(store.usage({}, "model"), /closed/);
  });
});

test("an export read from the worker and left after one page (the next asked ahead) leaves the store usable", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const main = createStore(open(path));
    for (let i = 0; i < 50; i++) main.add(makeRecord(i));
    await main.flush();
    const store = withReadWorker(createStore(open(path)), startStoreWorker(), { path, exportPageSize: 7 });
    try {
      let pages = 0;
      for await (const bytes of textReads(store).exportPages({}, "ndjson")) {
        assert.equal(bytes.filter((b) => b === 10).length, 7);
        if (++pages === 1) break;
      }
      assert.equal((await store.usage({}, "model")).total.requests, 50);
    } finally {
      await store.close();
      await main.close();
    }
  });
});

test("a long usage report on the reader worker leaves the event loop free; on the main thread it stalls it", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const main = createStore(open(path));
    const db = open(path);
    bulkRollup(db, 200_000, "2026-11-20");
    db.close();
    const store = withReadWorker(createStore(open(path)), startStoreWorker(), { path });
    try {
      const filter = { since: "2026-11-20T00:00:00.000Z", project: BULK_PROJECT }; // the quarter-hour rollup
      const first = await store.usage(filter, "model"); // the worker is up and its cache warm
      assert.equal(first.total.requests, 200_000);
      const direct = await stallDuring(() => main.usage(filter, "model"));
      const worker = await stallDuring(() => store.usage(filter, "model"));
      const detail = JSON.stringify({ direct, worker });
      // The report must be long enough to show a stall at all, else this test proves nothing.
      assert.ok(direct.gap > 100, `the main-thread report should stall the loop: ${detail}`);
      assert.ok(worker.took > 100, `the report should take a while on the worker too: ${detail}`);
      assert.ok(worker.gap < Math.min(50, direct.gap / 3), `the event loop paused during the worker's read: ${detail}`);
    } finally {
      await store.close();
      await main.close();
    }
  });
});

test("a reader worker that fails hands its reads to the main thread, and says so", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    let terminated = false;
    const broken: WorkerHandle = { postMessage() {}, onmessage: null, onerror: null, terminate: () => void (terminated = true) };
    const store = withReadWorker(createStore(open(path)), broken, { path, onError: (m) => errors.push(m) });
    for (let i = 0; i < 10; i++) store.add(makeRecord(i));
    await store.flush();
    const pending = store.usage({}, "model");
    broken.onerror!(new ErrorEvent("error", { message: "Module not found" }));
    assert.equal((await pending).total.requests, 10, "a read waiting for the worker is answered by the main thread");
    assert.equal((await store.listRequests({}, { limit: 3, before: null })).requests.length, 3);
    assert.equal((await collect(store)).length, 10);
    assert.equal(terminated, true);
    assert.match(errors.join("\n"), /Reader worker failed \(Module not found\); reads run on the main thread/);
    await store.close();
  });
});
