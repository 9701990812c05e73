// The admin-API clients against the documented shapes, through an injected fetch: where they ask (the --upstream
// origin), every page, exact money (OpenAI's USD numbers, Anthropic's cents strings), and failures as one sentence
// without the admin key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createAnthropicClient } from "../../src/reconcile/anthropic.ts";
import { maskedDigest } from "../../src/reconcile/hint.ts";
import { quoteDecimals } from "../../src/reconcile/http.ts";
import { createOpenAiClient } from "../../src/reconcile/openai.ts";

const ADMIN = "sk-admin-secret-value-1234";

/** A fetch answering `routes[path](url)` with JSON text; records each request. */
function fakeFetch(routes: Record<string, (url: URL) => string | Response>) {
  const seen: { url: URL; headers: Headers }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    seen.push({ url, headers: new Headers(init?.headers) });
    const route = routes[url.pathname];
    if (!route) return Promise.resolve(new Response("{}", { status: 404 }));
    const out = route(url);
    return Promise.resolve(typeof out === "string" ? new Response(out, { headers: { "content-type": "application/json" } }) : out);
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

const DAY0 = Date.parse("2026-11-20T00:00:00Z") / 1000;

test("OpenAI usage: asked at the --upstream origin with the admin key, every page, Kestrel's token semantics", async () => {
  const page = (i: number) =>
    JSON.stringify({
      object: "page",
      data: [{
        object: "bucket", start_time: DAY0 + i * 86400, end_time: DAY0 + (i + 1) * 86400,
        results: [{ input_tokens: 100 + i, input_cached_tokens: 10, output_tokens: 5, input_audio_tokens: 0, output_audio_tokens: 0, num_model_requests: 2, project_id: "proj_1", api_key_id: i === 0 ? "key_a" : null, model: "GPT-4o-mini-2024-07-18", batch: i === 1, service_tier: "flex" }],
      }],
      has_more: i === 0,
      next_page: i === 0 ? "page_2" : null,
    });
  const f = fakeFetch({
    "/v1/organization/usage/completions": (url) => page(url.searchParams.get("page") === "page_2" ? 1 : 0),
    "/v1/organization/usage/embeddings": () => JSON.stringify({ object: "page", data: [], has_more: false, next_page: null }),
  });
  const client = createOpenAiClient({ adminKey: ADMIN, upstreams: { openai: "http://127.0.0.1:9" }, fetch: f.fetch });
  const rows = await client.usage("2026-11-20", "2026-11-22");
  assert.equal(f.seen[0]!.url.origin, "http://127.0.0.1:9");
  assert.equal(f.seen[0]!.headers.get("authorization"), `Bearer ${ADMIN}`);
  assert.equal(f.seen[0]!.url.searchParams.get("start_time"), String(DAY0));
  assert.equal(f.seen[0]!.url.searchParams.get("end_time"), String(DAY0 + 2 * 86400));
  assert.deepEqual(f.seen[0]!.url.searchParams.getAll("group_by[]"), ["model", "api_key_id", "project_id", "service_tier", "batch"]);
  assert.equal(f.seen[1]!.url.searchParams.get("page"), "page_2");
  assert.deepEqual(rows.map((r) => [r.day, r.model, r.api_key_id, r.service_tier, r.input_tokens, r.cache_read_tokens, r.requests]), [
    ["2026-11-20", "gpt-4o-mini-2024-07-18", "key_a", "flex", 100, 10, 2],
    ["2026-11-21", "gpt-4o-mini-2024-07-18", null, "batch", 101, 10, 2],
  ]);
});

test("OpenAI costs: a JSON number of USD is read from its text, every digit kept; lines name a model and class or none", async () => {
  const body = `{"object":"page","has_more":false,"next_page":null,"data":[{"object":"bucket","start_time":${DAY0},"end_time":${DAY0 + 86400},"results":[
    {"object":"organization.costs.result","amount":{"value":12345678.123456789012,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, cached input","project_id":"proj_1"},
    {"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},"line_item":"Image models","project_id":null},
    {"object":"organization.costs.result","amount":{"value":1e-7,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, output","project_id":null}]}]}`;
  const client = createOpenAiClient({ adminKey: ADMIN, upstreams: {}, fetch: fakeFetch({ "/v1/organization/costs": () => body }).fetch });
  const rows = await client.costs("2026-11-20", "2026-11-21");
  assert.deepEqual(rows.map((r) => [r.model, r.kind, r.amount_pico]), [
    // A double holds about 16 digits: 12345678.123456789012 would come back as 12345678.123456789.
    ["gpt-4o-2024-08-06", "cache_read", 12_345_678_123_456_789_012n],
    [null, null, 60_000_000_000n],
    ["gpt-4o-2024-08-06", "output", 100_000n],
  ]);
  assert.equal(rows[1]!.line, "Image models");
});

test("quoteDecimals quotes only the named members' numbers", () => {
  assert.equal(quoteDecimals(`{"value": 0.5, "x": 1, "s": "\\"value\\": 2"}`, ["value"]), `{"value": "0.5", "x": 1, "s": "\\"value\\": 2"}`);
});

test("Anthropic: x-api-key and version headers, cents strings to exact pico-USD, null key kept, keys over pages", async () => {
  const usage = JSON.stringify({
    data: [{
      starting_at: "2026-11-20T00:00:00Z", ending_at: "2026-11-21T00:00:00Z",
      results: [{ uncached_input_tokens: 10, cache_read_input_tokens: 20, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 }, output_tokens: 7, server_tool_use: { web_search_requests: 2 }, api_key_id: null, workspace_id: null, model: "claude-sonnet-4-20250514", service_tier: "standard", context_window: "0-200k" }],
    }],
    has_more: false, next_page: null,
  });
  const costs = JSON.stringify({
    data: [{
      starting_at: "2026-11-20T00:00:00Z", ending_at: "2026-11-21T00:00:00Z",
      results: [
        { amount: "123.45", currency: "USD", cost_type: "tokens", description: "Claude Sonnet 4 Usage - Input Tokens", model: "claude-sonnet-4-20250514", service_tier: "standard", token_type: "uncached_input_tokens", context_window: "0-200k", workspace_id: null },
        { amount: "0.0000000001", currency: "USD", cost_type: "web_search", description: "Web Search", model: null, service_tier: null, token_type: null, context_window: null, workspace_id: null },
        { amount: "7", currency: "USD", cost_type: "code_execution", description: null, model: null, service_tier: null, token_type: null, context_window: null, workspace_id: null },
      ],
    }],
    has_more: false, next_page: null,
  });
  const keys = (url: URL) => JSON.stringify(url.searchParams.get("after_id") === null
    ? { data: [{ id: "apikey_1", partial_key_hint: "sk-ant-api03-R2D...igAA", name: "a", workspace_id: "w" }], has_more: true, first_id: "apikey_1", last_id: "apikey_1" }
    : { data: [{ id: "apikey_2", partial_key_hint: null, name: "b" }], has_more: false, first_id: "apikey_2", last_id: "apikey_2" });
  const f = fakeFetch({ "/v1/organizations/usage_report/messages": () => usage, "/v1/organizations/cost_report": () => costs, "/v1/organizations/api_keys": keys });
  const client = createAnthropicClient({ adminKey: ADMIN, upstreams: {}, fetch: f.fetch });
  const [row] = await client.usage("2026-11-20", "2026-11-21");
  assert.equal(f.seen[0]!.url.origin, "https://api.anthropic.com");
  assert.equal(f.seen[0]!.headers.get("x-api-key"), ADMIN);
  assert.equal(f.seen[0]!.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(f.seen[0]!.url.searchParams.get("starting_at"), "2026-11-20T00:00:00Z");
  assert.deepEqual(
    [row!.api_key_id, row!.input_tokens, row!.cache_read_tokens, row!.cache_write_tokens, row!.cache_write_1h_tokens, row!.web_search_requests, row!.requests],
    [null, 37, 20, 7, 4, 2, null],
  );
  const lines = await client.costs("2026-11-20", "2026-11-21");
  // "123.45" cents is $1.2345; a ten-billionth of a cent is one pico-dollar.
  assert.deepEqual(lines.map((l) => [l.model, l.kind, l.amount_pico, l.line]), [
    ["claude-sonnet-4-20250514", "input", 1_234_500_000_000n, "Claude Sonnet 4 Usage - Input Tokens"],
    [null, "web_search", 1n, "Web Search"],
    [null, null, 70_000_000_000n, "code_execution"],
  ]);
  assert.deepEqual(await client.keys(), [{ api_key_id: "apikey_1", digest: await maskedDigest("sk-ant-api03-R2D...igAA"), name: "a", project: "w" }]);
});

// Each failure is one sentence naming the provider and what to check, never the admin key.
const FAILURES: [name: string, answer: () => Response, message: RegExp][] = [
  ["refused key", () => new Response('{"error":{"message":"invalid x-api-key"}}', { status: 401 }), /^Anthropic admin API refused the admin key \(HTTP 401 for \/v1\/organizations\/api_keys\): check ANTHROPIC_ADMIN_KEY$/],
  ["server error with its message", () => new Response('{"error":{"type":"api_error","message":"Internal\\nerror"}}', { status: 500 }), /^Anthropic admin API answered HTTP 500 for \/v1\/organizations\/api_keys: Internal error$/],
  ["not JSON", () => new Response("<html>", { status: 200 }), /^Anthropic admin API answered \/v1\/organizations\/api_keys with a body that is not JSON$/],
  ["a cursor that repeats", () => new Response('{"data":[],"has_more":true,"last_id":"same"}'), /repeated page cursor/],
];
for (const [name, answer, message] of FAILURES) {
  test(`admin API failure: ${name}`, async () => {
    const client = createAnthropicClient({ adminKey: ADMIN, upstreams: {}, fetch: fakeFetch({ "/v1/organizations/api_keys": answer }).fetch });
    const err = await client.keys().then(() => null, (e: Error) => e);
    assert.match(err?.message ?? "", message);
    assert.ok(!err!.message.includes(ADMIN));
  });
}

test("admin API unreachable: the origin and the cause, not the key", async () => {
  const fetch = (() => Promise.reject(new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") }))) as typeof globalThis.fetch;
  const client = createOpenAiClient({ adminKey: ADMIN, upstreams: { openai: "http://127.0.0.1:9" }, fetch });
  await assert.rejects(client.usage("2026-11-20", "2026-11-21"), (err: Error) => {
    assert.equal(err.message, "OpenAI admin API at http://127.0.0.1:9 did not answer /v1/organization/usage/completions: fetch failed: connect ECONNREFUSED 127.0.0.1:9");
    return true;
  });
});

test("amounts in another currency are refused, not added to USD", async () => {
  const body = JSON.stringify({ data: [{ starting_at: "2026-11-20T00:00:00Z", results: [{ amount: "1", currency: "EUR" }] }], has_more: false });
  const client = createAnthropicClient({ adminKey: ADMIN, upstreams: {}, fetch: fakeFetch({ "/v1/organizations/cost_report": () => body }).fetch });
  await assert.rejects(client.costs("2026-11-20", "2026-11-21"), /amounts in "EUR" cannot be compared with USD/);
});
