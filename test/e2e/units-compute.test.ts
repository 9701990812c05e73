// Per-second compute, provider-reported costs and Bedrock profile ARNs (issue 23, docs/architecture.md §21), end to
// end over sockets: a real Kestrel in front of a loopback mock answering as each provider documents, the stored
// record checked to the pico-dollar and the client's bytes compared with what the mock sent.
// Replicate's prediction object: replicate.com/docs/reference/http (`metrics.predict_time`, seconds, on a finished
// prediction); OpenRouter's `usage.cost`: openrouter.ai/docs/use-cases/usage-accounting; Bedrock Converse's
// `usage`: docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { recordTagged } from "../_helpers/records.ts";

const enc = new TextEncoder();
let mock: Mock;
let kestrel: Kestrel;
/** The bytes the mock sent for each tag: the client must get exactly these. */
const sent = new Map<string, Uint8Array>();

/** A Replicate prediction object as documented, finished unless `status` says otherwise. */
function prediction(id: string, model: string, status: string, predictTime?: number): Record<string, unknown> {
  return {
    id,
    model,
    version: "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
    input: { prompt: "a kestrel" },
    logs: "",
    output: status === "succeeded" ? ["https://replicate.delivery/xezq/out-0.webp"] : null,
    error: null,
    status,
    created_at: "2026-12-05T10:00:00.000Z",
    started_at: status === "starting" ? null : "2026-12-05T10:00:00.100Z",
    completed_at: status === "succeeded" ? "2026-12-05T10:00:04.700Z" : null,
    metrics: predictTime === undefined ? {} : { predict_time: predictTime },
    urls: {
      get: `https://api.replicate.com/v1/predictions/${id}`,
      cancel: `https://api.replicate.com/v1/predictions/${id}/cancel`,
    },
  };
}

const chatAnswer = (cost: string) =>
  // OpenRouter's chat completion with usage accounting; `cost` written as the text given (more digits than a float).
  `{"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion","created":1,` +
  `"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}],` +
  `"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,"cost":${cost},"is_byok":false,` +
  `"prompt_tokens_details":{"cached_tokens":0},"cost_details":{"upstream_inference_cost":null},` +
  `"completion_tokens_details":{"reasoning_tokens":0}}}`;

function answer(method: string, path: string, tag: string): { status: number; type: string; bytes: Uint8Array } {
  const json = (o: unknown, status = 200) => ({ status, type: "application/json", bytes: enc.encode(typeof o === "string" ? o : JSON.stringify(o)) });
  if (path === "/v1/models/stability-ai/sdxl/predictions") {
    return json(prediction(`p-${tag}`, "stability-ai/sdxl", "succeeded", 4.512345), 201);
  }
  if (path === "/v1/models/black-forest-labs/flux-dev/predictions") {
    return json(prediction(`p-${tag}`, "black-forest-labs/flux-dev", "succeeded", 1.2), 201);
  }
  if (method === "POST" && path === "/v1/predictions") return json(prediction("async1", "stability-ai/sdxl", "starting"), 201);
  if (method === "GET" && path === "/v1/predictions/async1") {
    return json(prediction("async1", "stability-ai/sdxl", "succeeded", 12.3456789));
  }
  if (path.endsWith("/v1/chat/completions")) {
    if (tag === "or-stream") {
      const chunks = [
        `{"id":"gen-2","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`,
        `{"id":"gen-2","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,"cost":0.003534}}`,
        "[DONE]",
      ];
      return { status: 200, type: "text/event-stream", bytes: enc.encode(chunks.map((c) => `data: ${c}\n\n`).join("")) };
    }
    return json(chatAnswer(tag === "or-apart" ? "0.1000000000004999999999" : "0.0035"));
  }
  if (path.endsWith("/converse")) {
    return json({
      output: { message: { role: "assistant", content: [{ text: "Hi" }] } },
      stopReason: "end_turn",
      usage: { inputTokens: 1000, outputTokens: 100, totalTokens: 1100 },
      metrics: { latencyMs: 120 },
    });
  }
  return json({ error: `unexpected ${method} ${path}` }, 404);
}

before(async () => {
  mock = await startMock((req, res) => {
    const tag = String(req.headers["x-test-tag"] ?? "");
    const { status, type, bytes } = answer(req.method!, req.url!.split("?")[0]!, tag);
    sent.set(tag, bytes);
    res.writeHead(status, { "content-type": type, "content-length": String(bytes.length) });
    res.end(bytes);
  });
  const prices = join(tempDir(), "prices.json");
  writeFileSync(
    prices,
    JSON.stringify({
      // stability-ai/sdxl runs on an Nvidia A40 (Large): $0.000725 per second (replicate.com/docs/billing).
      "replicate/stability-ai/sdxl": { second: 0.000725 },
      "aws-bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/priced01": { input: 3, output: 15 },
    }),
  );
  const providers = ["replicate", "openrouter", "aws-bedrock"];
  kestrel = await startKestrel(["--prices", prices, ...providers.flatMap((id) => ["--upstream", `${id}=${mock.url}`])]);
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

async function recordOf(
  tag: string,
  path: string,
  body: Record<string, unknown> | null,
  headers: Record<string, string> = {},
): Promise<UsageRecord> {
  const res = await fetch(`${kestrel.url}${path}`, {
    method: body === null ? "GET" : "POST",
    headers: { "content-type": "application/json", "x-kestrel-tags": tag, "x-test-tag": tag, authorization: "Bearer r8-test", ...headers },
    ...(body === null ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(res.status === 200 || res.status === 201, `status ${res.status}`);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), sent.get(tag));
  return await recordTagged(kestrel.url, tag);
}

test("Replicate create with Prefer: wait, finished: predict_time in ms at the override's per-second rate", async () => {
  const r = await recordOf("sdxl", "/replicate/v1/models/stability-ai/sdxl/predictions", { input: { prompt: "a kestrel" } }, { prefer: "wait" });
  // 4.512345 s → 4512 ms; $0.000725/s = 725,000,000 pico/s → 4512 × 725,000 = 3,271,200,000 pico
  assert.deepEqual([r.model, r.compute_ms, r.audio_ms, r.input_tokens, r.usage_source], ["stability-ai/sdxl", 4512, 0, 0, "reported"]);
  assert.deepEqual([r.priced, r.cost_pico, r.cost_usd], [true, 3_271_200_000, "0.0032712"]);
  assert.deepEqual(r.cost_breakdown, { compute_ms: "0.0032712" });
  assert.deepEqual(r.usage_native, { predict_time: 4.512345 });
  assert.equal(r.usage_error, null);
});

test("Replicate async: the create (starting) has no usage, the poll that sees it finished has the time, once", async () => {
  const created = await recordOf("async-create", "/replicate/v1/predictions", { version: "stability-ai/sdxl:5c7d5dc6", input: {} });
  assert.deepEqual([created.usage_source, created.compute_ms, created.priced, created.model], ["none", null, false, "stability-ai/sdxl"]);
  const polled = await recordOf("async-poll", "/replicate/v1/predictions/async1", null);
  // 12.3456789 s → 12,346 ms × 725,000 pico = 8,950,850,000 pico
  assert.deepEqual([polled.compute_ms, polled.usage_source, polled.cost_pico], [12_346, "reported", 8_950_850_000]);
  // Fetching the finished prediction again repeats its metrics: not metered twice.
  const again = await recordOf("async-again", "/replicate/v1/predictions/async1", null);
  assert.deepEqual([again.usage_source, again.compute_ms, again.cost_pico], ["none", null, null]);
});

test("Replicate model without a per-second price: the time is recorded, unpriced with the reason", async () => {
  const r = await recordOf("flux", "/replicate/v1/models/black-forest-labs/flux-dev/predictions", { input: {} }, { prefer: "wait" });
  assert.deepEqual([r.compute_ms, r.priced, r.cost_pico, r.usage_source], [1200, false, null, "reported"]);
  assert.match(r.usage_error ?? "", /no per-second compute price for black-forest-labs\/flux-dev/);
});

test("/metrics and /api/usage sum compute_ms like any unit", async () => {
  // The two metered sdxl predictions above: 4512 + 12,346 ms, $0.0032712 + $0.00895085.
  const text = await (await fetch(`${kestrel.url}/metrics`)).text();
  assert.match(text, /kestrel_units_total\{provider="replicate",model="stability-ai\/sdxl",unit="compute_ms"\} 16858\b/);
  const report = await (await fetch(`${kestrel.url}/api/usage?group_by=model&since=30d`)).json() as {
    groups: { key: string; compute_ms: number; cost_usd: string }[];
  };
  const g = report.groups.find((x) => x.key === "stability-ai/sdxl");
  assert.deepEqual([g?.compute_ms, g?.cost_usd], [16_858, "0.01222205"]);
});

test("OpenRouter usage.cost is the cost; the table's computation is the breakdown; they agree: no note", async () => {
  const r = await recordOf("or-same", "/openrouter/v1/chat/completions", { model: "openai/gpt-4o", messages: [], usage: { include: true } });
  // Table: 1000 × $2.50/M + 100 × $10/M = $0.0035, as reported.
  assert.deepEqual([r.cost_pico, r.cost_usd, r.priced], [3_500_000_000, "0.0035", true]);
  assert.deepEqual(r.cost_breakdown, { input: "0.0025", output: "0.001" });
  assert.equal(r.usage_error, null);
});

test("OpenRouter usage.cost is converted from its text exactly, and a difference beyond 1% is noted", async () => {
  const r = await recordOf("or-apart", "/openrouter/v1/chat/completions", { model: "openai/gpt-4o", messages: [] });
  // 0.1000000000004999999999 → 100,000,000,000 pico (a float would print 0.1000000000005 and round up one pico).
  assert.deepEqual([r.cost_pico, r.cost_usd], [100_000_000_000, "0.1"]);
  assert.equal(
    r.usage_error,
    "reported cost $0.1 differs from the $0.0035 computed at openrouter/openai/gpt-4o by more than 1% (the reported cost is recorded)",
  );
});

test("OpenRouter stream asking usage: {include: true}: its usage chunk reaches the client; the cost is within 1%", async () => {
  const body = { model: "openai/gpt-4o", messages: [], stream: true, usage: { include: true } };
  const r = await recordOf("or-stream", "/openrouter/v1/chat/completions", body);
  assert.deepEqual([r.cost_pico, r.output_tokens, r.usage_error], [3_534_000_000, 100, null]);
});

const ARN = (kind: string, id: string) => encodeURIComponent(`arn:aws:bedrock:us-east-1:123456789012:${kind}/${id}`);

test("Bedrock inference-profile ARN in the model position: priced as the profile it names", async () => {
  const path = `/aws-bedrock/bedrock-runtime/us-east-1/model/${ARN("inference-profile", "us.anthropic.claude-3-5-sonnet-20240620-v1:0")}/converse`;
  const r = await recordOf("arn-profile", path, { messages: [] });
  // us. profile of Claude 3.5 Sonnet: $3 / $15 → 1000 × 3 + 100 × 15 = 4,500,000,000 pico
  assert.deepEqual([r.priced, r.cost_pico, r.usage_error], [true, 4_500_000_000, null]);
});

test("Bedrock application-profile ARN: unpriced with the reason; a --prices row keyed by the ARN prices it", async () => {
  const opaque = await recordOf("arn-app", `/aws-bedrock/bedrock-runtime/us-east-1/model/${ARN("application-inference-profile", "a1b2c3d4e5f6")}/converse`, { messages: [] });
  assert.deepEqual([opaque.priced, opaque.cost_pico, opaque.input_tokens], [false, null, 1000]);
  assert.match(opaque.usage_error ?? "", /unpriced: an application inference profile ARN does not name its model/);
  const priced = await recordOf("arn-app-priced", `/aws-bedrock/bedrock-runtime/us-east-1/model/${ARN("application-inference-profile", "priced01")}/converse`, { messages: [] });
  assert.deepEqual([priced.priced, priced.cost_pico, priced.usage_error], [true, 4_500_000_000, null]);
});
