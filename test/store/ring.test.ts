/**
 * The shared byte ring between the main thread and the store worker (src/store/worker/ring.ts): records of every
 * size come out whole and in order across many wraparounds; a full ring drops and counts at once; a failed
 * worker's unread records are read back on the main thread and go to the main thread's store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createStore } from "../../src/store/store.ts";
import { createWorkerStore } from "../../src/store/worker/client.ts";
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import { createRing, RingReader, RingWriter } from "../../src/store/worker/ring.ts";
import { makeRecord, pinnedFact, runtimeDriver, withTempDir } from "./helpers.ts";
import { heldOpen, lateReady, startStoreWorker } from "./workers.ts";

/** Deterministic sizes and characters (1-, 2-, 3- and 4-byte UTF-8) so a failure replays. */
function texts(count: number, seed = 7): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const alphabet = ["a", "é", "€", "𝄞", "\n", "\"", "z"];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly small, sometimes a quarter of the ring, sometimes empty.
    const size = next() % 10 === 0 ? next() % 1000 : next() % 10 === 0 ? 0 : next() % 60;
    let s = `${i}:`;
    for (let j = 0; j < size; j++) s += alphabet[next() % alphabet.length];
    out.push(s);
  }
  return out;
}

test("wraparound with records of many sizes: every record read once, whole and in order", () => {
  const shared = createRing(4096);
  const writer = new RingWriter(shared);
  const reader = new RingReader(shared);
  const all = texts(20_000);
  const read: string[] = [];
  let written = 0;
  let full = 0;
  let x = 3;
  for (let i = 0; i < all.length;) {
    // Write a burst, read some of the time: the head and tail meet the end at every offset.
    const burst = 1 + ((x = (x * 31 + 7) % 1009) % 12);
    for (let b = 0; b < burst && i < all.length; b++, i++) {
      if (writer.write(all[i]!)) written++;
      else {
        full++;
        // Full: reading everything must make room for anything up to half the ring.
        assert.ok(reader.drain((t) => read.push(t)) > 0 || writer.empty());
        assert.equal(writer.write(all[i]!), true, `record ${i} (${all[i]!.length} chars) fits the emptied ring`);
        written++;
      }
    }
    if (x % 3 !== 0) reader.drain((t) => read.push(t));
  }
  reader.drain((t) => read.push(t));
  assert.equal(written, all.length);
  assert.equal(read.length, all.length);
  for (let i = 0; i < all.length; i++) if (read[i] !== all[i]) assert.fail(`record ${i} differs: ${JSON.stringify(read[i]?.slice(0, 40))}`);
  assert.ok(full > 100, `the ring was full ${full} times`);
  assert.equal(writer.dropped(), full, "each refused write counted once");
  assert.equal(writer.empty(), true);
});

test("a full ring drops and counts at once; a record larger than the ring is counted too", () => {
  const shared = createRing(1024);
  const writer = new RingWriter(shared);
  const reader = new RingReader(shared);
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (writer.write(`record ${i} ${"x".repeat(40)}`)) accepted++;
  assert.ok(accepted > 0 && accepted < 100, `accepted ${accepted}`);
  assert.equal(writer.dropped(), 100 - accepted);
  assert.equal(writer.write("y".repeat(2000)), false);
  assert.equal(writer.dropped(), 101 - accepted);
  const read: string[] = [];
  reader.drain((t) => read.push(t));
  assert.deepEqual(read, Array.from({ length: accepted }, (_, i) => `record ${i} ${"x".repeat(40)}`));
  // Room again once read.
  assert.equal(writer.write("after"), true);
});

test("records taken back from a failed worker are not read by it any more", () => {
  const shared = createRing(1024);
  const writer = new RingWriter(shared);
  const reader = new RingReader(shared);
  writer.write("one");
  reader.drain(() => {});
  writer.write("two");
  writer.write("three");
  assert.deepEqual(writer.takeBack(), ["two", "three"]);
  assert.equal(reader.drain(() => assert.fail("the worker must not read taken records")), -1);
});

/** A worker that says it is ready and then never reads the ring (stuck in a long write, say). */
function stalled(): WorkerHandle & { fail(message: string): void } {
  const handle: WorkerHandle & { fail(message: string): void } = {
    postMessage(m: unknown) {
      if ((m as { type: string }).type === "open") {
        queueMicrotask(() => handle.onmessage?.({ data: { type: "ready", stats: { queued: 0, written: 0, dropped: 0, write_errors: 0 } } } as MessageEvent));
      }
    },
    onmessage: null,
    onerror: null,
    terminate() {},
    fail: (message) => handle.onerror!(new ErrorEvent("error", { message })),
  };
  return handle;
}

test("a stalled worker: add() returns at once, a full ring is counted and reported; its failure hands the unread back", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    const worker = stalled();
    const store = createWorkerStore(createStore(open(path)), worker, { path, onError: (m) => errors.push(m), ringBytes: 64 * 1024 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    let slowest = 0;
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      store.addFact!(pinnedFact(i));
      slowest = Math.max(slowest, performance.now() - t);
    }
    const { queued, dropped } = store.stats();
    assert.ok(dropped > 0 && queued > 0, JSON.stringify(store.stats()));
    assert.equal(queued + dropped, 1000);
    assert.ok(slowest < 100, `the slowest add() took ${slowest} ms`);
    assert.equal(errors.filter((e) => /ring is full/.test(e)).length, 1, "one report per full episode: " + errors.join("\n"));
    worker.fail("stuck");
    await store.flush();
    assert.deepEqual(store.stats(), { queued: 0, written: queued, dropped, write_errors: 0 });
    assert.match(errors.join("\n"), /Store worker failed \(stuck\); 0 records it held are lost/);
    // The records kept are the first ones, in order.
    const check = open(path);
    const ids = check.prepare("SELECT id FROM requests ORDER BY rowid").all().map((r) => (r as { id: string }).id);
    check.close();
    assert.deepEqual(ids, Array.from({ length: queued }, (_, i) => makeRecord(i).id));
    await store.close();
  });
});

test("a burst while the worker starts waits for it when the ring is full: nothing dropped, written in order", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    const worker = heldOpen(startStoreWorker(), false);
    const store = createWorkerStore(createStore(open(path)), worker, { path, onError: (m) => errors.push(m), ringBytes: 16 * 1024 });
    const count = 500; // ~1 KB each: thirty times the ring
    for (let i = 0; i < count; i++) store.addFact!(pinnedFact(i));
    assert.deepEqual(store.stats(), { queued: count, written: 0, dropped: 0, write_errors: 0 });
    worker.release();
    await store.flush();
    assert.deepEqual(store.stats(), { queued: 0, written: count, dropped: 0, write_errors: 0 });
    assert.deepEqual(errors, []);
    const check = open(path);
    const ids = check.prepare("SELECT id FROM requests ORDER BY rowid").all().map((r) => (r as { id: string }).id);
    check.close();
    assert.deepEqual(ids, Array.from({ length: count }, (_, i) => makeRecord(i).id));
    await store.close();
  });
});

test("a flush waits for records the worker read before its ready message arrived", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const worker = lateReady(startStoreWorker());
    const store = createWorkerStore(createStore(open(path)), worker, { path });
    for (let i = 0; i < 20; i++) store.addFact!(pinnedFact(i));
    // The worker is up and drains the ring on its own; the main thread still believes it starts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const flushed = store.flush();
    worker.deliver();
    await flushed;
    assert.deepEqual(store.stats(), { queued: 0, written: 20, dropped: 0, write_errors: 0 });
    await store.close();
  });
});
