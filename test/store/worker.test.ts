/**
 * The store with its writes on a worker thread (src/store/worker/): what `add()` accepted is committed, counted
 * and readable through the main connection; a worker that dies hands the writes back to the main thread.
 * Durability under SIGTERM, kill -9 and an unwritable file is covered end to end (test/e2e/durability.test.ts),
 * where `kestrel serve` runs with the worker.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createStore } from "../../src/store/store.ts";
import { until } from "../_helpers/poll.ts";
import { createWorkerStore, sharedFile } from "../../src/store/worker/client.ts";
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import { makeFact, makeRecord, pinnedFact, runtimeDriver, withTempDir } from "./helpers.ts";
import { startStoreWorker } from "./workers.ts";

test("records added go through the worker: committed, counted, readable on the main connection", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    const store = createWorkerStore(createStore(open(path)), startStoreWorker(), { path, onError: (m) => errors.push(m) });
    for (let i = 0; i < 1500; i++) store.add(makeRecord(i));
    assert.equal(store.stats().queued, 1500, "accepted records count as queued until the worker commits them");
    await store.flush();
    assert.deepEqual(store.stats(), { queued: 0, written: 1500, dropped: 0, write_errors: 0 });
    const page = await store.listRequests({}, { limit: 5, before: null });
    assert.equal(page.requests.length, 5);
    const one = await store.getRequest(makeRecord(7).id);
    assert.deepEqual(one, makeRecord(7));
    // Counts reach the main thread without a flush too (/metrics reads them).
    for (let i = 1500; i < 1600; i++) store.add(makeRecord(i));
    await until("the worker's counts for 1,600 records", () => store.stats().written === 1600, { detail: () => JSON.stringify(store.stats()) });
    await store.close();
    assert.deepEqual(store.stats(), { queued: 0, written: 1600, dropped: 0, write_errors: 0 });
    assert.deepEqual(errors, []);
    const check = open(path);
    assert.equal(check.prepare("SELECT count(*) AS n FROM requests").get()!.n, 1600);
    check.close();
  });
});

test("a worker that fails hands its writes to the main thread, and says so", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    let terminated = false;
    // A worker that never becomes ready, then errors (a missing worker file in a broken build).
    const broken: WorkerHandle = {
      postMessage() {},
      onmessage: null,
      onerror: null,
      terminate: () => void (terminated = true),
    };
    const store = createWorkerStore(createStore(open(path)), broken, { path, onError: (m) => errors.push(m) });
    for (let i = 0; i < 10; i++) store.addFact!(pinnedFact(i));
    broken.onerror!(new ErrorEvent("error", { message: "Module not found" }));
    for (let i = 10; i < 20; i++) store.addFact!(pinnedFact(i));
    await store.flush();
    assert.equal(terminated, true);
    assert.match(errors.join("\n"), /Store worker failed \(Module not found\); 0 records it held are lost; writing on the main thread/);
    assert.deepEqual(store.stats(), { queued: 0, written: 20, dropped: 0, write_errors: 0 });
    await store.close();
  });
});

test("an in-memory database is never handed to a worker (its own connection would be another database)", () => {
  assert.equal(sharedFile("./kestrel.db"), true);
  assert.equal(sharedFile("/var/lib/kestrel/usage.db"), true);
  for (const path of [":memory:", "", "file::memory:?cache=shared", "file:usage.db?mode=memory"]) assert.equal(sharedFile(path), false, path);
});

test("a worker asleep after a quiet second is woken by the next record (no flush needed)", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const store = createWorkerStore(createStore(open(path)), startStoreWorker(), { path });
    store.addFact!(makeFact(1));
    await until("the first record written", () => store.stats().written === 1);
    // Past the worker's quiet second (src/store/worker/host.ts): it now waits on the ring's head.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    store.addFact!(makeFact(2));
    await until("the record after the quiet second written", () => store.stats().written === 2, { detail: () => JSON.stringify(store.stats()) });
    await store.close();
  });
});
