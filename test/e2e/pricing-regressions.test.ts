// Wrong money, end to end over sockets: each reproduction goes through a real Kestrel to a mock upstream that
// answers as the provider does, and the stored record's cost is checked against a price computed by hand from
// the providers' official list prices (pico-USD = USD per 1M tokens × tokens × 1e6).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { encodeEventStreamMessage } from "../../src/eventstream/encoder.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { postTagged, recordTagged } from "../_helpers/records.ts";

const enc = new TextEncoder();
let mock: Mock;
let kestrel: Kestrel;

/** What the mock answers for a request path: content type + body bytes. */
function answer(path: string, body: Record<string, unknown>): { type: string; bytes: Uint8Array } {
  const json = (o: unknown) => ({ type: "application/json", bytes: enc.encode(JSON.stringify(o)) });
  if (path === "/v1/chat/completions") {
    // OpenAI always answers with the dated snapshot name, and the tier that served the request.
    const dated: Record<string, string> = { "o4-mini": "o4-mini-2025-04-16", "gpt-4o": "gpt-4o-2024-08-06", "gpt-4.1": "gpt-4.1-2025-04-14" };
    return json({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: dated[String(body.model)] ?? body.model,
      service_tier: body.service_tier,
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 200 } },
    });
  }
  if (path.endsWith("/invoke-with-response-stream")) {
    // Bedrock InvokeModel stream of a Claude model: Anthropic events, base64 in `chunk` frames.
    const events = [
      { type: "message_start", message: { id: "m", type: "message", role: "assistant", model: "claude-3-5-haiku-20241022", content: [], usage: { input_tokens: 1000, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 100 } },
      { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 1000, outputTokenCount: 100 } },
    ];
    const frames = events.map((e) =>
      encodeEventStreamMessage(
        { ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" },
        enc.encode(JSON.stringify({ bytes: Buffer.from(JSON.stringify(e)).toString("base64") })),
      )
    );
    return { type: "application/vnd.amazon.eventstream", bytes: Buffer.concat(frames) };
  }
  if (path.endsWith("/invoke") || path.includes(":rawPredict")) {
    // Claude's own message JSON (Bedrock InvokeModel, Vertex rawPredict); the model is the bare Anthropic name.
    const vertex = path.includes(":rawPredict");
    return json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: vertex ? "claude-3-haiku-20240307" : "claude-sonnet-4-5-20250929",
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      usage: vertex
        ? { input_tokens: 1000, cache_read_input_tokens: 9000, cache_creation_input_tokens: 0, output_tokens: 100 }
        : { input_tokens: 1000, output_tokens: 100 },
    });
  }
  if (path.endsWith("/converse")) {
    return json({ output: { message: { role: "assistant", content: [{ text: "ok" }] } }, stopReason: "end_turn", usage: { inputTokens: 1000, outputTokens: 100, totalTokens: 1100 } });
  }
  if (path.includes(":generateContent")) {
    return json({
      candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP" }],
      modelVersion: "gemini-2.5-flash",
      usageMetadata: {
        promptTokenCount: 10100,
        cachedContentTokenCount: 10000,
        totalTokenCount: 10100,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: 100 }, { modality: "AUDIO", tokenCount: 10000 }],
        cacheTokensDetails: [{ modality: "AUDIO", tokenCount: 10000 }],
      },
    });
  }
  return json({ error: `unexpected path ${path}` });
}

before(async () => {
  mock = await startMock((req, res, raw) => {
    const body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) as Record<string, unknown> : {};
    const { type, bytes } = answer(req.url!.split("?")[0]!, body);
    res.writeHead(200, { "content-type": type, "content-length": String(bytes.length) });
    res.end(bytes);
  });
  const providers = ["openai", "aws-bedrock", "google-vertex-ai", "google-ai-studio"];
  kestrel = await startKestrel(providers.flatMap((id) => ["--upstream", `${id}=${mock.url}`]));
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

/** Sends one request tagged `tag` and returns its stored record. */
async function recordOf(tag: string, path: string, body: Record<string, unknown>): Promise<UsageRecord> {
  await postTagged(kestrel.url, path, tag, body);
  return await recordTagged(kestrel.url, tag);
}

test("flex on o4-mini, answered as o4-mini-2025-04-16, is billed at the flex rate", async () => {
  const r = await recordOf("flex", "/openai/v1/chat/completions", { model: "o4-mini", service_tier: "flex", messages: [] });
  assert.equal(r.model, "o4-mini-2025-04-16");
  // Flex $0.55 in / $0.1375 cached / $2.20 out: 800 × 0.55 = 440e6; 200 × 0.1375 = 27.5e6; 500 × 2.2 = 1100e6
  // → 1567.5e6 pico = $0.0015675 (standard would be $0.003135)
  assert.equal(r.cost_pico, 1_567_500_000);
  assert.equal(r.cost_usd, "0.0015675");
  assert.equal(r.usage_error, null);
});

test("priority on gpt-4o-2024-08-06 and gpt-4.1-2025-04-14 is billed at the priority rate", async () => {
  // gpt-4o priority $4.25 / $2.125 cached / $17: 800 × 4.25 = 3400e6; 200 × 2.125 = 425e6; 500 × 17 = 8500e6
  // → 12,325e6 = $0.012325 (standard: $0.00725, ~40 % low)
  const a = await recordOf("prio-4o", "/openai/v1/chat/completions", { model: "gpt-4o", service_tier: "priority", messages: [] });
  assert.deepEqual([a.model, a.cost_pico], ["gpt-4o-2024-08-06", 12_325_000_000]);
  // gpt-4.1 priority $3.50 / $0.875 cached / $14: 800 × 3.5 = 2800e6; 200 × 0.875 = 175e6; 500 × 14 = 7000e6
  // → 9975e6 = $0.009975
  const b = await recordOf("prio-41", "/openai/v1/chat/completions", { model: "gpt-4.1", service_tier: "priority", messages: [] });
  assert.deepEqual([b.model, b.cost_pico], ["gpt-4.1-2025-04-14", 9_975_000_000]);
});

test("a tier with no known rate is unpriced with the reason, never billed at standard", async () => {
  // gpt-4o is not sold on flex: no flex rate anywhere in its family.
  const r = await recordOf("flex-4o", "/openai/v1/chat/completions", { model: "gpt-4o", service_tier: "flex", messages: [] });
  assert.deepEqual([r.priced, r.cost_pico, r.input_tokens], [false, null, 1000]);
  assert.match(r.usage_error ?? "", /unpriced: gpt-4o-2024-08-06 has no flex rates/);
});

test("Claude through Bedrock InvokeModel stream is priced by the URL's model id", async () => {
  const r = await recordOf(
    "bedrock-haiku",
    "/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream",
    { anthropic_version: "bedrock-2023-05-31", max_tokens: 10, messages: [] },
  );
  assert.equal(r.model, "anthropic.claude-3-5-haiku-20241022-v1:0");
  // Claude 3.5 Haiku on Bedrock $0.80 / $4: 1000 × 0.8 = 800e6; 100 × 4 = 400e6 → 1200e6 = $0.0012
  assert.deepEqual([r.priced, r.cost_pico, r.output_tokens], [true, 1_200_000_000, 100]);
});

test("Claude through a us. inference profile on Bedrock InvokeModel is priced at the profile's price", async () => {
  const r = await recordOf(
    "bedrock-sonnet",
    "/aws-bedrock/bedrock-runtime/us-east-1/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke",
    { anthropic_version: "bedrock-2023-05-31", max_tokens: 10, messages: [] },
  );
  assert.equal(r.model, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  // us. cross-region profile of Sonnet 4.5 is $3.30 / $16.50 (10 % over $3 / $15):
  // 1000 × 3.3 = 3300e6; 100 × 16.5 = 1650e6 → 4950e6 = $0.00495
  assert.deepEqual([r.priced, r.cost_pico], [true, 4_950_000_000]);
});

test("Bedrock region picks the regional price", async () => {
  const r = await recordOf("bedrock-llama", "/aws-bedrock/bedrock-runtime/eu-west-1/model/meta.llama3-70b-instruct-v1%3A0/converse", { messages: [] });
  // Llama 3 70B Instruct in eu-west-1 is $2.86 / $3.78 (us-east-1: $2.65 / $3.50):
  // 1000 × 2.86 = 2860e6; 100 × 3.78 = 378e6 → 3238e6 = $0.003238
  assert.deepEqual([r.model, r.cost_pico], ["meta.llama3-70b-instruct-v1:0", 3_238_000_000]);
});

test("Claude on Vertex bills cache reads at the cache price, not the input price", async () => {
  const r = await recordOf(
    "vertex-haiku",
    "/google-vertex-ai/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-3-haiku@20240307:rawPredict",
    { anthropic_version: "vertex-2023-10-16", max_tokens: 10, messages: [] },
  );
  // Claude 3 Haiku $0.25 in / $0.03 cache read / $1.25 out: 1000 × 0.25 = 250e6; 9000 × 0.03 = 270e6;
  // 100 × 1.25 = 125e6 → 645e6 = $0.000645 (at the input rate the 9000 reads alone were $0.00225)
  assert.deepEqual([r.cache_read_tokens, r.cost_pico, r.usage_error], [9000, 645_000_000, null]);
});

test("cached Gemini audio is billed once, at the audio cache rate", async () => {
  const r = await recordOf("gemini-audio", "/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent", { contents: [] });
  // gemini-2.5-flash: text $0.30, cached audio $0.10 (audio $1.00 × the 10 % cache price):
  // 100 text × 0.3 = 30e6; 10,000 cached audio × 0.1 = 1000e6 → 1030e6 = $0.00103 (was $0.0103)
  assert.deepEqual([r.input_tokens, r.cache_read_tokens, r.audio_input_tokens], [10100, 10000, 10000]);
  assert.equal(r.cost_usd, "0.00103");
});
