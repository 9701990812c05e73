/**
 * Serve's startup does not wait for the store workers to boot (issue 25, bench/cold-start.ts): a flush with nothing
 * handed over returns while the writer worker still starts, and spend control's startup sums are read on the main
 * thread while the reader worker starts; other reads still wait for it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createStore } from "../../src/store/store.ts";
import { createWorkerStore } from "../../src/store/worker/client.ts";
import { withReadWorker } from "../../src/store/worker/read-client.ts";
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import { makeRecord, runtimeDriver, withTempDir } from "./helpers.ts";

/** A worker that never says it is ready (still booting); what it was sent is kept. */
function booting(): WorkerHandle & { sent: unknown[] } {
  const sent: unknown[] = [];
  return { sent, postMessage: (m: unknown) => void sent.push(m), onmessage: null, onerror: null, terminate() {} };
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

test("a flush with nothing handed over does not wait for a starting writer worker; one with records does", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const worker = booting();
    const store = createWorkerStore(createStore(open(path)), worker, { path });
    assert.equal(await settledWithin(store.flush(), 1000), true);
    store.add(makeRecord(1));
    assert.equal(await settledWithin(store.flush(), 50), false, "a record waits for the worker");
    worker.onerror!(new ErrorEvent("error", { message: "stop" }));
    await store.close();
  });
});

test("spend sums asked while the reader worker starts are answered by the main thread; listings wait", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const inner = createStore(open(path));
    for (let i = 0; i < 5; i++) inner.add(makeRecord(i));
    await inner.flush();
    const worker = booting();
    const store = withReadWorker(inner, worker, { path });
    const spend = await store.control.spend({}, 0, 3_600_000);
    assert.deepEqual(spend, await inner.control.spend({}, 0, 3_600_000));
    assert.equal(worker.sent.filter((m) => (m as { type: string }).type === "read").length, 0);
    assert.equal(await settledWithin(store.listRequests({}, { limit: 1, before: null }), 50), false);
    worker.onerror!(new ErrorEvent("error", { message: "stop" }));
    await store.close();
  });
});
