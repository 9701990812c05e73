/**
 * Issue 20 item 5: a model-scoped budget or `unpriced: "block"` cannot be escaped by the body's shape — a chunked
 * body, a JSON body sent as text/plain, one past the inspection limit, a multipart upload — or by another
 * spelling of the model. Through the real app, proxy and spend control, with a fake upstream.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import { startControl } from "../../src/control/setup.ts";
import { INSPECT_MAX_BYTES } from "../../src/forward/request-body.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { createLogger } from "../../src/log.ts";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver } from "../store/helpers.ts";

const encoder = new TextEncoder();

async function app(budget: unknown) {
  const { open } = await runtimeDriver();
  const store = createStore(open(":memory:"));
  const log = createLogger({ format: "text", write: () => Promise.resolve(), now: Date.now });
  const upstreamSaw: string[] = [];
  const upstream: typeof fetch = async (_input, init) => {
    const body = (init as RequestInit).body;
    upstreamSaw.push(body === null || body === undefined ? "" : await new Response(body as BodyInit).text());
    const text = JSON.stringify({ model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    return new Response(text, { headers: { "content-type": "application/json", "content-length": String(text.length) } });
  };
  const setup = await startControl({
    store: store.control, budgets: [parseBudget(budget)], rateLimits: [], alerts: { webhooks: [], spikeFactor: 5, spikeMinUsd: "1" },
    log, fetch: upstream, now: Date.now,
  });
  const config = parseConfig({ args: [], env: {}, readFile: () => "" });
  const a = createApp({ config, fetch: upstream, now: Date.now, log, store, pricer: createPricer(), probe: null, control: setup });
  return {
    upstreamSaw,
    send: (body: BodyInit, type: string | null) =>
      a.fetch(new Request("http://kestrel.test/openai/v1/chat/completions", {
        method: "POST",
        headers: type === null ? {} : { "content-type": type },
        body,
        ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
      } as RequestInit)),
    async close() {
      await a.drain(0);
      await setup.stop();
      await store.close();
    },
  };
}

const json = (model: string) => JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] });
/** A body that arrives in pieces with no declared length (chunked). */
const chunked = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      const bytes = encoder.encode(text);
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.subarray(i, i + 7));
      c.close();
    },
  });

test("a model budget refuses its model however the body comes and however the model is spelled", async () => {
  const k = await app({ id: "mini-none", scope: { model: "gpt-4o-mini" }, window: "day", limit_usd: "0" });
  try {
    const cases: [string, BodyInit, string | null][] = [
      ["chunked, no content-length", chunked(json("gpt-4o-mini")), "application/json"],
      ["JSON sent as text/plain", json("gpt-4o-mini"), "text/plain"],
      ["JSON without a content type", json("gpt-4o-mini"), null],
      ["a dated alias", json("gpt-4o-mini-2024-07-18"), "application/json"],
      ["another case", json("GPT-4o-mini"), "application/json"],
      ["a multipart upload (model not read: any model)", "--b\r\ncontent-disposition: form-data; name=\"model\"\r\n\r\ngpt-4o-mini\r\n--b--\r\n", "multipart/form-data; boundary=b"],
      ["a JSON body past the inspection limit (not read: any model)", `{"model":"gpt-4o-mini","pad":"${"x".repeat(INSPECT_MAX_BYTES)}"}`, "application/json"],
    ];
    for (const [what, body, type] of cases) {
      const res = await k.send(body, type);
      assert.equal(res.status, 429, what);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "budget_exceeded", what);
    }
    assert.equal(k.upstreamSaw.length, 0);
    const other = await k.send(chunked(json("gpt-4o")), "application/json");
    assert.equal(other.status, 200, "another model is not limited");
    await other.arrayBuffer();
    assert.equal(k.upstreamSaw[0], json("gpt-4o"), "the chunked body reached the upstream whole, as sent");
  } finally {
    await k.close();
  }
});

test("unpriced \"block\" refuses an unpriced model in a chunked body, and a body whose model cannot be read", async () => {
  const k = await app({ id: "strict", window: "day", limit_usd: "100", unpriced: "block" });
  try {
    for (const [body, type] of [[chunked(json("mystery-model-9")), "application/json"], ["--b--\r\n", "multipart/form-data; boundary=b"]] as const) {
      const res = await k.send(body, type);
      assert.equal(res.status, 429);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "unpriced_model");
    }
    const priced = await k.send(chunked(json("gpt-4o")), "application/json");
    assert.equal(priced.status, 200);
    await priced.arrayBuffer();
  } finally {
    await k.close();
  }
});
