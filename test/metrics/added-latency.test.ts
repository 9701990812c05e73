// In process: `Exchange.addedMs` is Kestrel's own time only. The upstream's time (the fake fetch waiting, a small
// JSON body arriving late) is measured from inside the fake and must fit beside it within the exchange's duration:
// added + upstream ≤ duration holds exactly when the upstream's intervals were left out, whatever the machine's
// speed (no timing thresholds). Exchanges without an upstream answer have none. Also: no metrics, no /metrics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import type { Metrics } from "../../src/metrics/metrics.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { Exchange } from "../../src/exchange.ts";
import { createLogger } from "../../src/log.ts";
import type { Store } from "../../src/store/store.ts";
import { until } from "../_helpers/poll.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHAT = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  model: "gpt-4o-mini",
  choices: [],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
});

function appWith(fetch: typeof globalThis.fetch, withMetrics = true) {
  const seen: Exchange[] = [];
  const metrics: Metrics = { observe: (ex) => void seen.push(ex), render: () => "# none\n" };
  const app = createApp({
    config: parseConfig({ args: [], env: {}, readFile: () => "" }),
    fetch,
    now: Date.now,
    log: createLogger({ format: "text", write: () => Promise.resolve(), now: Date.now }),
    store: { add: () => {}, stats: () => ({ queued: 0, written: 0, dropped: 0, write_errors: 0 }) } as unknown as Store,
    pricer: createPricer(),
    probe: null,
    metrics: withMetrics ? metrics : null,
  });
  return { app, seen };
}

const chat = (stream = false) =>
  new Request("http://127.0.0.1/openai/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream, stream_options: stream ? { include_usage: true } : undefined }),
  });

async function one(app: ReturnType<typeof appWith>["app"], seen: Exchange[], req: Request): Promise<Exchange> {
  const res = await app.fetch(req);
  await res.arrayBuffer();
  await until("the exchange observed", () => seen.length === 1);
  return seen[0]!;
}

test("a JSON answer: added latency leaves out the upstream's wait and its body's transfer", async () => {
  let upstreamMs = 0;
  const { app, seen } = appWith(async () => {
    const t = performance.now();
    await sleep(30);
    upstreamMs += performance.now() - t;
    const bytes = new TextEncoder().encode(CHAT);
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const t2 = performance.now();
        await sleep(30);
        upstreamMs += performance.now() - t2;
        c.enqueue(bytes);
        c.close();
      },
      // No eager pull: with the default high-water mark the body's "transfer" would start as the Response is built,
      // overlapping Kestrel's own time after the headers, and the two intervals would be counted twice.
    }, { highWaterMark: 0 });
    return new Response(body, { headers: { "content-type": "application/json", "content-length": String(bytes.length) } });
  });
  const ex = await one(app, seen, chat());
  assert.equal(ex.outcome, "ok");
  assert.ok(ex.addedMs !== null && ex.addedMs >= 0, `addedMs ${ex.addedMs}`);
  assert.ok(upstreamMs >= 60);
  assert.ok(ex.addedMs + upstreamMs <= ex.durationMs + 1e-6, `added ${ex.addedMs} + upstream ${upstreamMs} > duration ${ex.durationMs}`);
});

test("a streamed answer: added latency leaves out the upstream's wait; the stream's own time is not Kestrel's", async () => {
  let upstreamMs = 0;
  const { app, seen } = appWith(async () => {
    const t = performance.now();
    await sleep(30);
    upstreamMs += performance.now() - t;
    const events = [`data: ${CHAT}\n\n`, "data: [DONE]\n\n"].map((s) => new TextEncoder().encode(s));
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const t2 = performance.now();
        await sleep(20);
        upstreamMs += performance.now() - t2;
        c.enqueue(events[i++]!);
        if (i === events.length) c.close();
      },
    }, { highWaterMark: 0 }); // no eager pull overlapping Kestrel's own time (see the JSON case)
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const ex = await one(app, seen, chat(true));
  assert.equal(ex.outcome, "ok");
  assert.ok(ex.addedMs !== null && ex.addedMs >= 0);
  assert.ok(ex.addedMs + upstreamMs <= ex.durationMs + 1e-6, `added ${ex.addedMs} + upstream ${upstreamMs} > duration ${ex.durationMs}`);
});

test("no upstream answer (unreachable): no added latency", async () => {
  const { app, seen } = appWith(() => Promise.reject(new TypeError("connection refused")));
  const ex = await one(app, seen, chat());
  assert.equal(ex.status, 502);
  assert.equal(ex.addedMs, null);
});

test("without metrics there is no /metrics route", async () => {
  const { app } = appWith(() => Promise.reject(new Error("unused")), false);
  const res = await app.fetch(new Request("http://127.0.0.1/metrics"));
  assert.equal(res.status, 404);
  await res.arrayBuffer();
  const { app: on } = appWith(() => Promise.reject(new Error("unused")));
  const served = await on.fetch(new Request("http://127.0.0.1/metrics", { headers: { host: "127.0.0.1" } }));
  assert.equal(served.status, 200);
  assert.equal(await served.text(), "# none\n");
});
