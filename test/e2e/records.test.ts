// End to end over sockets, for every provider family: the mock upstream replays a recorded response, the client
// gets exactly those bytes, and the stored record (read back through /api/requests) carries the usage and the
// cost the upstream reported — streaming and not, and for failed, aborted and unpriced requests.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createPricer } from "../../src/pricing/pricer.ts";
import { usd } from "../../src/pricing/money.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { fixtureBytes, startFixtureMock } from "../_helpers/fixture-mock.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { EXPECTED, MANIFEST, ROUTES } from "../providers/_fixture-table.ts";
import { atLeast } from "../_chunking.ts";
import { recordTagged as recordOf } from "../_helpers/records.ts";

let mock: Mock;
let kestrel: Kestrel;
const pricer = createPricer();

before(async () => {
  mock = await startFixtureMock();
  kestrel = await startKestrel(PROVIDER_IDS.flatMap((id) => ["--upstream", `${id}=${mock.url}`]));
});

after(async () => {
  await kestrel.stop();
  await mock.close();
});

/** The client path that maps to a fixture folder's upstream path. */
function clientPath(provider: string, upstreamPath: string): string {
  switch (provider) {
    case "azure-openai":
      return upstreamPath.startsWith("/openai/deployments/")
        ? `/azure-openai/res/${upstreamPath.slice("/openai/deployments/".length)}`
        : `/azure-openai/res/v1${upstreamPath.slice("/openai/v1".length)}`; // not a real mapping: see below
    case "aws-bedrock":
      return `/aws-bedrock/bedrock-runtime/us-east-1${upstreamPath}`;
    case "google-vertex-ai":
      return `/google-vertex-ai${upstreamPath.slice(3)}`;
    default:
      return `/${provider}${upstreamPath}`;
  }
}

/** The stored record of the request with this tag. */
const recordTagged = (tag: string, url = kestrel.url) => recordOf(url, tag);

const cases = atLeast(
  MANIFEST.filter((e) =>
    !(e.file.endsWith(".chunks.txt") && e.provider_api !== "bedrock-converse") &&
    // Azure's v1 Responses path has no classic-route equivalent in Kestrel's mapping (/openai/deployments/…).
    e.provider_api !== "azure-openai-responses"
  ),
  72,
  "replayable fixtures",
);

for (const entry of cases) {
  test(`record of ${entry.file}`, async () => {
    const route = ROUTES[entry.file.slice(0, entry.file.indexOf("/"))]!;
    const upstreamPath = entry.streaming ? route.stream : route.json;
    const tag = `t-${entry.file}`;
    const res = await fetch(`${kestrel.url}${clientPath(route.provider, upstreamPath)}${route.query ?? ""}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-test-fixture": entry.file,
        "x-kestrel-tags": tag,
        authorization: "Bearer sk-kestrel-SECRET-0001",
      },
      // A client that asks for stream usage itself: nothing is injected, so the replay is what it would get.
      body: JSON.stringify({
        model: "requested-model",
        stream: entry.streaming,
        ...(entry.streaming ? { stream_options: { include_usage: true } } : {}),
      }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.equals(fixtureBytes(entry.file)), "client bytes identical");

    const r = await recordTagged(tag);
    const expected = EXPECTED[entry.file]!;
    const usage = expected.usage;
    // Responses that name no model fall back to the request's (Bedrock names it in the URL).
    const model = expected.model ?? entry.model ??
      (route.provider === "aws-bedrock" ? "us.amazon.nova-pro-v1:0" : "requested-model");
    assert.equal(r.provider, route.provider);
    assert.equal(r.model, model);
    assert.equal(r.method, "POST");
    assert.equal(r.status, 200);
    assert.equal(r.outcome, expected.error ? "upstream_error" : "ok");
    assert.equal(r.streaming, entry.streaming);
    assert.equal(r.usage_source, usage === null ? "none" : "reported");
    assert.deepEqual(r.usage_native, entry.usage_native);
    assert.equal(r.input_tokens, usage?.input_tokens ?? null);
    assert.equal(r.output_tokens, usage?.output_tokens ?? null);
    assert.equal(r.total_tokens, usage?.total_tokens ?? null);
    assert.equal(r.cache_read_tokens, usage?.cache_read_tokens ?? null);
    assert.equal(r.cache_write_tokens, usage?.cache_write_tokens ?? null);
    assert.equal(r.cache_write_1h_tokens, usage?.cache_write_1h_tokens ?? null);
    assert.equal(r.reasoning_tokens, usage?.reasoning_tokens ?? null);
    assert.equal(r.web_search_requests, usage?.web_search_requests ?? null);
    const price = pricer.price(usage, {
      provider: route.provider,
      model,
      serviceTier: expected.tier ?? null,
      geo: expected.geo ?? null,
      reportedCostPico: expected.costPico ?? null,
    });
    assert.equal(r.priced, price.priced);
    assert.equal(r.cost_usd, price.cost_pico === null ? null : usd(price.cost_pico));
    assert.equal(r.price_version, pricer.version);
    assert.match(r.key_id!, /^[0-9a-f]{12}$/);
    assert.equal(r.request_id, `req_${entry.file.length}`);
  });
}

test("a failed request (upstream 429 JSON) is recorded with its status, usage unknown", async () => {
  const tag = "t-failed";
  const res = await fetch(`${kestrel.url}/openai/v1/responses`, {
    method: "POST",
    headers: { "x-test-fixture": "429:openai-responses/openai-error.1.json", "x-kestrel-tags": tag },
    body: "{}",
  });
  assert.equal(res.status, 429);
  await res.arrayBuffer();
  const r = await recordTagged(tag);
  assert.equal(r.status, 429);
  assert.equal(r.outcome, "upstream_error");
  assert.equal(r.usage_source, "none");
  assert.equal(r.input_tokens, null);
  assert.equal(r.cost_usd, null);
  assert.equal(r.priced, false);
});

test("an unpriced model is recorded with its tokens and priced: false, never another model's price", async () => {
  const tag = "t-unpriced";
  const m = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "acme-llm-9000", usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } }));
  });
  const k = await startKestrel(["--upstream", `together=${m.url}`]);
  try {
    const res = await fetch(`${k.url}/together/v1/chat/completions`, { method: "POST", headers: { "x-kestrel-tags": tag }, body: "{}" });
    await res.arrayBuffer();
    await k.waitForLine(/Together API Usage .*Cost: unpriced/);
    await k.waitForLine(/No price for together model "acme-llm-9000"/);
    const r = await recordTagged(tag, k.url);
    assert.equal(r.total_tokens, 11);
    assert.equal(r.priced, false);
    assert.equal(r.cost_usd, null);
    assert.equal(r.cost_breakdown, null);
  } finally {
    await k.stop();
    await m.close();
  }
});

test("a client that leaves mid-stream: client_aborted, input as reported, output estimated", async () => {
  const tag = "t-aborted";
  const m = await startMock(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1200,"output_tokens":1}}}\n\n`);
    res.write(`event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`);
    for (let i = 0; i < 1000 && !res.destroyed; i++) {
      res.write(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word word "}}\n\n`);
      await sleep(10);
    }
    res.end();
  });
  const k = await startKestrel(["--upstream", `anthropic=${m.url}`]);
  try {
    const controller = new AbortController();
    const res = await fetch(`${k.url}/anthropic/v1/messages`, {
      method: "POST",
      signal: controller.signal,
      headers: { "x-kestrel-tags": tag, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", stream: true }),
    });
    const reader = res.body!.getReader();
    for (let i = 0; i < 6; i++) await reader.read();
    controller.abort();
    await reader.closed.catch(() => {});
    await k.waitForLine(/Anthropic API Usage .*\(estimated\).*Outcome: client_aborted/);
    const r = await recordTagged(tag, k.url);
    assert.equal(r.outcome, "client_aborted");
    assert.equal(r.usage_source, "estimated");
    assert.equal(r.input_tokens, 1200);
    assert.ok(r.output_tokens! >= 1, `estimated output ${r.output_tokens}`);
    assert.equal(r.model, "claude-sonnet-4-5-20250929");
    assert.equal(r.priced, true);
    await until("the upstream socket to close", () => m.aborted > 0);
    assert.equal(m.aborted, 1, "the upstream stopped generating");
  } finally {
    await k.stop();
    await m.close();
  }
});
