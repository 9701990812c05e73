/**
 * Issue 25, through the app in process: a stalled store worker never delays a client's response, and the records
 * a full ring could not take are counted in the store's stats and on /metrics. The same requests run against a
 * normal worker for comparison. Timing is asserted only generously (every answer far within the stall).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { createStore } from "../../src/store/store.ts";
import { createWorkerStore } from "../../src/store/worker/client.ts";
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import { until } from "../_helpers/poll.ts";
import { parsePrometheusText, sumOf } from "../_helpers/prom-text.ts";
import { runtimeDriver, withTempDir } from "./helpers.ts";
import { heldOpen, startStoreWorker } from "./workers.ts";

const REQUESTS = 300;
/** Room for a few dozen records: the stalled run overflows it. */
const RING_BYTES = 64 * 1024;
/** Far below the stall (which lasts the whole run) and far above a normal answer. */
const BOUND_MS = 2000;
const CHAT = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
});

async function run(worker: WorkerHandle & { release?(): void }, ringBytes?: number) {
  const { open } = await runtimeDriver();
  return await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const errors: string[] = [];
    const store = createWorkerStore(createStore(open(path)), worker, { path, onError: (m) => errors.push(m), ...(ringBytes ? { ringBytes } : {}) });
    const app = createApp({
      config: parseConfig({ args: [], env: {}, readFile: () => "" }),
      fetch: (async () => new Response(CHAT, { headers: { "content-type": "application/json" } })) as unknown as typeof fetch,
      now: Date.now,
      log: createLogger({ format: "text", write: () => Promise.resolve(), now: Date.now }),
      store,
      pricer: createPricer(),
      probe: null,
      metrics: createMetrics({ version: "test", commit: "unknown", runtime: "test", priceVersion: "test" }),
    });
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await app.fetch(
        new Request("http://127.0.0.1/openai/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer sk-test-0123456789" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: `hello ${i}` }] }),
        }),
      );
      await res.arrayBuffer();
      times.push(performance.now() - t);
      assert.equal(res.status, 200);
    }
    // Every record has been built and either put in the ring or counted.
    await until("every record handed over", () => {
      const s = store.stats();
      return s.queued + s.written + s.dropped === REQUESTS;
    }, { detail: () => JSON.stringify(store.stats()) });
    const before = store.stats();
    const answer = await app.fetch(new Request("http://127.0.0.1/metrics", { headers: { host: "127.0.0.1" } }));
    const scrape = await answer.text();
    assert.equal(answer.status, 200, scrape);
    const metric = sumOf(parsePrometheusText(scrape), "kestrel_records_dropped_total");
    worker.release?.();
    await store.flush();
    const after = store.stats();
    await store.close();
    times.sort((a, b) => a - b);
    return { before, after, metric, errors, median: times[times.length >> 1]!, slowest: times[times.length - 1]! };
  });
}

test("a stalled store worker never delays a response; a full ring is counted in stats and on /metrics", async () => {
  // The default ring holds every record while the normal worker starts; the small one overflows.
  const normal = await run(startStoreWorker());
  const stuck = await run(heldOpen(startStoreWorker(), true), RING_BYTES);
  const detail = `normal: median ${normal.median.toFixed(2)} ms, slowest ${normal.slowest.toFixed(1)} ms; ` +
    `stalled: median ${stuck.median.toFixed(2)} ms, slowest ${stuck.slowest.toFixed(1)} ms`;
  assert.ok(stuck.slowest < BOUND_MS, detail);
  assert.ok(normal.slowest < BOUND_MS, detail);

  assert.equal(normal.after.written, REQUESTS, JSON.stringify(normal.after));
  assert.equal(normal.after.dropped, 0);
  assert.equal(normal.metric, 0);
  assert.deepEqual(normal.errors, []);

  // Stalled: the ring filled, the rest were dropped and counted; once released, what the ring held is written.
  assert.ok(stuck.before.dropped > 0 && stuck.before.dropped < REQUESTS, JSON.stringify(stuck.before));
  assert.equal(stuck.metric, stuck.before.dropped, "the drops are on /metrics");
  assert.deepEqual(stuck.after, { queued: 0, written: REQUESTS - stuck.before.dropped, dropped: stuck.before.dropped, write_errors: 0 });
  assert.match(stuck.errors.join("\n"), /ring is full/);
});
