/**
 * Facts through the store worker's ring (src/store/worker/fact-codec.ts): for a spread of exchanges — errors,
 * realtime, unicode (lone surrogates included), huge strings, no usage, many distinct names — the record the worker
 * makes from the encoded fact is the record the main thread makes from the fact itself, byte for byte; across
 * intern-table generations, entries the ring refused, and a failed worker's entries taken back on the main thread.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createStore } from "../../src/store/store.ts";
import { createWorkerStore } from "../../src/store/worker/client.ts";
import { FactDecoder, FactEncoder } from "../../src/store/worker/fact-codec.ts";
import { createRing, RingReader, RingWriter } from "../../src/store/worker/ring.ts";
import { addFact, type Fact, pinnedRecord, recordOf } from "../../src/usage/fact.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { USAGE_FIELDS } from "../../src/usage/types.ts";
import { makeFact, runtimeDriver, withTempDir } from "./helpers.ts";
import { startStoreWorker } from "./workers.ts";

const noUsage = Object.fromEntries(USAGE_FIELDS.map((f) => [f, null])) as Record<(typeof USAGE_FIELDS)[number], null>;

/** Deterministic: a failure replays. */
function spread(count: number): Fact[] {
  const out: Fact[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    const f = makeFact(i, { path: `/v1/chat/completions/${i % 37}` });
    if (k === 1) {
      Object.assign(f, noUsage, {
        usage_source: "none", usage_native: null, cost_pico: null, breakdown: null, priced: false, price_version: null,
        outcome: "upstream_error", status: 502, ttfb_ms: null, problems: "upstream error: https://x.test/v1?key=SECRET&a=1",
      });
    } else if (k === 2) {
      Object.assign(f, {
        model: "模型-🦅", requested_model: "é\u0000\n\"", user: "𝄞 user", tags: ["é", "𝄞", "", "\ud800lone", `t${i}`],
        problems: "bad \udc00 surrogate; Bearer sk-abc", usage_native: { text: "ünï\ud83d", n: [1, 2.5, null] },
      });
    } else if (k === 3) {
      Object.assign(f, {
        session_id: `sess_${i % 3}`, response_id: `resp_${i}`, close_code: 1000, bytes_up: 12_345, bytes_down: 2 ** 40,
        frames_up: 3, frames_down: 0, path: "/openai/v1/realtime", method: "GET", streaming: true,
      });
    } else if (k === 4) {
      Object.assign(f, {
        project: "p".repeat(100_000), problems: "x".repeat(200_000), usage_native: { big: "y".repeat(50_000) },
        tags: Array.from({ length: 100 }, (_, j) => `tag-${i}-${j}`),
      });
    } else if (k === 5) {
      Object.assign(f, { cost_pico: Number.MAX_SAFE_INTEGER, duration_ms: 0, breakdown: { input: 0, cache_read: 7 }, key_id: null, user: null });
    } else if (k === 6) {
      Object.assign(f, { outcome: "blocked", status: 429, problems: "budget b exceeded", usage_native: [] });
    }
    out.push(f);
  }
  return out;
}

const pin = (f: Fact): Fact => {
  const copy = { ...f };
  pinnedRecord(copy);
  return copy;
};
const json = (r: UsageRecord) => JSON.stringify(r);

test("the worker's record of an encoded fact is the main thread's record of the fact, byte for byte", () => {
  const shared = createRing(1024 * 1024);
  const writer = new RingWriter(shared);
  const reader = new RingReader(shared);
  // A small table: many generations, and names defined, referred to and redefined across them.
  const encoder = new FactEncoder(16);
  const decoder = new FactDecoder();
  const facts = spread(400);
  const pinned = facts.map(pin);
  const made: UsageRecord[] = [];
  for (let round = 0; round < 2; round++) {
    const source = round === 0 ? pinned : facts;
    for (const f of source) {
      const bytes = encoder.encode(f, writer.written, writer.readCount());
      if (!writer.tryWriteBytes(bytes)) {
        encoder.undo();
        reader.drainWith((b) => decoder.record(b), (r) => made.push(r));
        assert.ok(writer.tryWriteBytes(encoder.encode(f, writer.written, writer.readCount())), "fits the emptied ring");
      }
      if (made.length % 7 === 0) reader.drainWith((b) => decoder.record(b), (r) => made.push(r));
    }
    reader.drainWith((b) => decoder.record(b), (r) => made.push(r));
  }
  assert.equal(made.length, 800);
  assert.ok(encoder.generation > 5, `${encoder.generation} generations`);
  for (let i = 0; i < 400; i++) {
    if (json(made[i]!) !== json(recordOf(pinned[i]!))) assert.fail(`pinned fact ${i} differs:\n${json(made[i]!).slice(0, 300)}\n${json(recordOf(pinned[i]!)).slice(0, 300)}`);
    // Not pinned: the id and a missing request id are made on each side, everything else is the same.
    const mine = recordOf(facts[i]!);
    const theirs = made[400 + i]!;
    assert.equal(theirs.id.slice(0, 10), mine.id.slice(0, 10));
    assert.equal(facts[i]!.request_id === null ? /^req_[0-9a-z]{26}$/.test(theirs.request_id) : theirs.request_id === mine.request_id, true);
    assert.equal(json({ ...theirs, id: "", request_id: "" }), json({ ...mine, id: "", request_id: "" }), `fact ${i}`);
  }
});

test("entries the ring refused leave no names behind; a failed worker's entries decode on the main thread", () => {
  const shared = createRing(8 * 1024);
  const writer = new RingWriter(shared);
  const reader = new RingReader(shared);
  const encoder = new FactEncoder(8);
  const worker = new FactDecoder();
  const facts = spread(300).filter((_, i) => i % 10 !== 4).map(pin);
  const expected: string[] = [];
  const got: string[] = [];
  let refused = 0;
  for (let i = 0; i < facts.length; i++) {
    if (writer.tryWriteBytes(encoder.encode(facts[i]!, writer.written, writer.readCount()))) expected.push(json(recordOf(facts[i]!)));
    else {
      encoder.undo();
      refused++;
    }
    // The worker reads now and then, and stops reading for good two thirds in.
    if (i % 13 === 0 && i < 200) reader.drainWith((b) => worker.record(b), (r) => got.push(json(r)));
  }
  assert.ok(encoder.generation > 3, `${encoder.generation} generations`);
  const main = new FactDecoder((gen, id) => encoder.nameOf(gen, id));
  const back = writer.takeBackWith((b) => main.record(b));
  assert.ok(refused > 0 && back.length > 0, `refused ${refused}, taken back ${back.length}`);
  assert.equal(reader.drainWith((b) => worker.record(b), () => {}), -1, "the worker can claim nothing taken back");
  assert.deepEqual([...got, ...back.map(json)], expected);
});

test("through a real store worker and SQLite: the stored rows are the rows the main thread's store writes", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const facts = spread(120).map(pin);
    const viaWorker = join(dir, "worker.db");
    const errors: string[] = [];
    const store = createWorkerStore(createStore(open(viaWorker)), startStoreWorker(), { path: viaWorker, onError: (m) => errors.push(m) });
    for (const f of facts) addFact(store, f);
    await store.flush();
    const direct = createStore(open(join(dir, "main.db")));
    for (const f of facts) addFact(direct, f);
    await direct.flush();
    const rows = async (s: typeof store) => {
      const out: UsageRecord[] = [];
      for await (const page of s.exportRows({})) out.push(...page);
      return out.map(json);
    };
    const [a, b] = [await rows(store), await rows(direct)];
    assert.equal(a.length, facts.length);
    assert.deepEqual(a, b);
    assert.deepEqual(errors, []);
    await store.close();
    await direct.close();
  });
});

test("a fact whose usage_native cannot be serialized is dropped and reported, the next ones still go", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    const store = createWorkerStore(createStore(open(path)), startStoreWorker(), { path, onError: (m) => errors.push(m) });
    addFact(store, makeFact(1, { model: "only-in-the-bad-one", usage_native: { n: 1n } }));
    addFact(store, makeFact(2, { model: "only-in-the-bad-one" }));
    await store.flush();
    assert.deepEqual(store.stats(), { queued: 0, written: 1, dropped: 1, write_errors: 0 });
    assert.match(errors.join("\n"), /could not be serialized/);
    const [row] = (await Array.fromAsync(store.exportRows({}))).flat();
    assert.equal(row?.model, "only-in-the-bad-one");
    await store.close();
  });
});
