// Search and per-request fees (issue 23, docs/architecture.md §21), end to end over sockets: a real Kestrel in front
// of a loopback mock answering as Perplexity and OpenAI document, the client's bytes compared with the mock's, and
// the stored record's units and cost checked to the pico-dollar against the table (Perplexity Sonar $5 / $8 / $12
// and Sonar Pro $6 / $10 / $14 per 1,000 requests by search context size; Deep Research $2/M citation tokens,
// $3/M reasoning tokens, $5 per 1,000 search queries; gpt-4o-search-preview $30 / $35 / $50 and
// gpt-4o-mini-search-preview $25 / $27.50 / $30 per 1,000 requests).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { postTagged, recordTagged } from "../_helpers/records.ts";

const enc = new TextEncoder();
let mock: Mock;
let kestrel: Kestrel;

const message = (content: string) => ({ index: 0, finish_reason: "stop", message: { role: "assistant", content } });

/**
 * Perplexity's documented Sonar Pro answer (docs.perplexity.ai, chat completions guide): usage with the search
 * context size and Perplexity's own cost breakdown, rounded to 5 decimals (the exact list price is $0.046287).
 */
const SONAR_PRO = {
  id: "3c5d8a4f",
  model: "sonar-pro",
  created: 1756485272,
  object: "chat.completion",
  choices: [message("The answer [1].")],
  citations: ["https://example.com/1"],
  usage: {
    completion_tokens: 2681,
    cost: {
      input_tokens_cost: 7e-05,
      output_tokens_cost: 0.04022,
      total_cost: 0.04629,
      citation_tokens_cost: null,
      reasoning_tokens_cost: null,
      request_cost: 0.006,
      search_queries_cost: null,
    },
    prompt_tokens: 24,
    total_tokens: 2705,
    citation_tokens: null,
    num_search_queries: null,
    reasoning_tokens: null,
    search_context_size: "low",
  },
};

/** Perplexity's Deep Research example usage (its pricing guide), in the older shape without `cost`. */
const DEEP_RESEARCH = {
  id: "dr-1",
  model: "sonar-deep-research",
  created: 1756488074,
  object: "chat.completion",
  choices: [message("# Report")],
  usage: {
    prompt_tokens: 33,
    completion_tokens: 11395,
    total_tokens: 11428,
    citation_tokens: 19028,
    num_search_queries: 21,
    reasoning_tokens: 193947,
  },
};

/** Perplexity streams chat.completion.chunk objects whose `usage` is cumulative on every chunk. */
function sonarStream(): string {
  const chunk = (content: string, completion: number, finish: string | null) => ({
    id: "s-1",
    model: "sonar",
    created: 1756485272,
    object: "chat.completion.chunk",
    choices: [{ index: 0, finish_reason: finish, delta: { role: "assistant", content } }],
    usage: { prompt_tokens: 12, completion_tokens: completion, total_tokens: 12 + completion, num_search_queries: 1 },
  });
  return [chunk("Kes", 1, null), chunk("trel", 2, null), chunk(".", 3, "stop")].map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");
}

/** OpenAI's chat completion object for a search-preview model (the response names the dated snapshot). */
function searchPreview(model: string): Record<string, unknown> {
  return {
    id: "chatcmpl-s1",
    object: "chat.completion",
    created: 1741569952,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "Sunny.", annotations: [] }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, prompt_tokens_details: { cached_tokens: 0 } },
  };
}

/** OpenAI's stream with `stream_options.include_usage`: content chunks, a `choices: []` usage chunk, `[DONE]`. */
function searchPreviewStream(model: string): string {
  const base = { id: "chatcmpl-s2", object: "chat.completion.chunk", created: 1741569952, model };
  const chunks = [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "Sunny." }, finish_reason: null }], usage: null },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: null },
    { ...base, choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
  ];
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";
}

/**
 * Gemini's documented grounded answer (ai.google.dev/gemini-api/docs/google-search): the queries it ran in
 * `candidates[].groundingMetadata.webSearchQueries`; an empty string is not billed, a repeat counts once.
 */
function grounded(model: string): Record<string, unknown> {
  return {
    candidates: [{
      content: { parts: [{ text: "Spain won Euro 2024, defeating England 2-1 in the final." }], role: "model" },
      finishReason: "STOP",
      groundingMetadata: {
        webSearchQueries: ["UEFA Euro 2024 winner", "who won euro 2024", "", "who won euro 2024"],
        searchEntryPoint: { renderedContent: "<!-- HTML and CSS for the search widget -->" },
        groundingChunks: [{ web: { uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/1", title: "aljazeera.com" } }],
      },
    }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 20, totalTokenCount: 30 },
    modelVersion: model,
  };
}

/** The same answer streamed with `alt=sse`: text first, the grounding metadata on the last chunk. */
function groundedStream(model: string): string {
  const last = grounded(model);
  const first = { ...last, candidates: [{ content: { parts: [{ text: "Spain" }], role: "model" } }] };
  return [first, last].map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");
}

function answer(path: string, body: Record<string, unknown>): { type: string; text: string } {
  const json = (o: unknown) => ({ type: "application/json", text: JSON.stringify(o) });
  const sse = (text: string) => ({ type: "text/event-stream", text });
  if (path === "/chat/completions") {
    if (body.model === "sonar-pro") return json(SONAR_PRO);
    if (body.model === "sonar-deep-research") return json(DEEP_RESEARCH);
    return sse(sonarStream());
  }
  if (path === "/v1/chat/completions") {
    const model = `${String(body.model)}-2025-03-11`;
    return body.stream === true ? sse(searchPreviewStream(model)) : json(searchPreview(model));
  }
  const gemini = /^\/v1beta\/models\/([^:]+):(\w+)/.exec(path);
  if (gemini) return gemini[2] === "streamGenerateContent" ? sse(groundedStream(gemini[1]!)) : json(grounded(gemini[1]!));
  return json({ error: `unexpected path ${path}` });
}

before(async () => {
  mock = await startMock((req, res, raw) => {
    const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    const { type, text } = answer(req.url!.split("?")[0]!, body);
    const bytes = enc.encode(text);
    res.writeHead(200, { "content-type": type, "content-length": String(bytes.length) });
    res.end(bytes);
  });
  kestrel = await startKestrel(["perplexity-ai", "openai", "google-ai-studio"].flatMap((id) => ["--upstream", `${id}=${mock.url}`]));
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

/** Sends one request, checks the client got the mock's bytes unchanged, and returns the stored record. */
async function recordOf(tag: string, path: string, body: Record<string, unknown>): Promise<UsageRecord> {
  const got = await postTagged(kestrel.url, path, tag, body);
  const upstreamPath = path.replace(/^\/(perplexity-ai|openai|google-ai-studio)/, "").split("?")[0]!;
  assert.deepEqual(got, enc.encode(answer(upstreamPath, body).text), `${tag}: the client gets the upstream's bytes`);
  return await recordTagged(kestrel.url, tag);
}

test("Perplexity Sonar Pro: the request fee at the size the usage reports; Perplexity's own cost is recorded", async () => {
  // The request asks for high; the answer says it was served low, and Perplexity bills what it served.
  const r = await recordOf("pplx-pro", "/perplexity-ai/chat/completions", {
    model: "sonar-pro",
    messages: [{ role: "user", content: "Hi" }],
    web_search_options: { search_context_size: "high" },
  });
  assert.deepEqual([r.request_fees, r.search_queries, r.input_tokens, r.output_tokens, r.usage_source], [1, 0, 24, 2681, "reported"]);
  // Kestrel's exact breakdown: 24 × $3/M, 2681 × $15/M, the $6 / 1K low fee (= $0.046287); the total is the
  // provider's reported (rounded) cost, as for every provider that reports one.
  assert.deepEqual(r.cost_breakdown, { input: "0.000072", output: "0.040215", request_fees_low: "0.006" });
  assert.equal(r.cost_pico, 46_290_000_000);
  // $0.04629 against the computed $0.046287: within the reported-cost tolerance (src/pricing/pricer.ts), no note.
  assert.equal(r.usage_error, null);
});

test("Perplexity Sonar streamed: no size reported, so the request's (high), source request; exact cost", async () => {
  const r = await recordOf("pplx-stream", "/perplexity-ai/chat/completions", {
    model: "sonar",
    stream: true,
    messages: [{ role: "user", content: "Hi" }],
    web_search_options: { search_context_size: "high" },
  });
  assert.deepEqual([r.request_fees, r.search_queries, r.input_tokens, r.output_tokens, r.usage_source], [1, 1, 12, 3, "request"]);
  // 12 + 3 tokens × $1/M = 15e6; the high fee $12 / 1K = 12e9; the search query is paid by the fee.
  assert.deepEqual(r.cost_breakdown, { input: "0.000012", output: "0.000003", request_fees_high: "0.012" });
  assert.equal(r.cost_pico, 12_015_000_000);
});

test("Perplexity Sonar without web_search_options: the documented default size, low", async () => {
  const r = await recordOf("pplx-default", "/perplexity-ai/chat/completions", { model: "sonar", stream: true, messages: [] });
  assert.equal(r.cost_pico, 5_015_000_000);
  assert.equal(r.cost_breakdown?.request_fees_low, "0.005");
});

test("Perplexity Deep Research: citation tokens, research reasoning and 21 search queries, no request fee", async () => {
  const r = await recordOf("pplx-deep", "/perplexity-ai/chat/completions", { model: "sonar-deep-research", messages: [] });
  assert.deepEqual([r.search_queries, r.request_fees, r.input_tokens, r.output_tokens, r.usage_source], [21, 1, 33, 11395, "request"]);
  assert.deepEqual(r.cost_breakdown, { input: "0.000066", output: "0.673001", citation: "0.038056", search_queries: "0.105" });
  assert.equal(r.cost_pico, 816_123_000_000);
});

test("gpt-4o-search-preview: the low context fee from the request, on the dated snapshot the answer names", async () => {
  const r = await recordOf("oai-low", "/openai/v1/chat/completions", {
    model: "gpt-4o-search-preview",
    messages: [{ role: "user", content: "Weather?" }],
    web_search_options: { search_context_size: "low" },
  });
  assert.deepEqual([r.model, r.request_fees, r.usage_source], ["gpt-4o-search-preview-2025-03-11", 1, "request"]);
  // 10 × $2.50/M + 20 × $10/M + $30 / 1K.
  assert.equal(r.cost_pico, 25_000_000 + 200_000_000 + 30_000_000_000);
  assert.equal(r.cost_breakdown?.request_fees_low, "0.03");
});

test("gpt-4o-mini-search-preview streamed: OpenAI's default size, medium", async () => {
  const r = await recordOf("oai-mini", "/openai/v1/chat/completions", {
    model: "gpt-4o-mini-search-preview",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "Weather?" }],
  });
  assert.deepEqual([r.input_tokens, r.output_tokens, r.request_fees, r.usage_source], [7, 3, 1, "request"]);
  // 7 × $0.15/M + 3 × $0.60/M + $27.50 / 1K.
  assert.equal(r.cost_pico, 1_050_000 + 1_800_000 + 27_500_000_000);
  assert.equal(r.cost_breakdown?.request_fees_medium, "0.0275");
});

test("Gemini 2.5 grounding: one grounded prompt billed however many queries ran ($35 / 1K prompts)", async () => {
  const r = await recordOf("gem-25", "/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent", { contents: [], tools: [{ google_search: {} }] });
  assert.deepEqual([r.web_search_requests, r.usage_source], [2, "reported"]);
  // 10 × $0.30/M + 20 × $2.50/M + one prompt at $35 / 1K.
  assert.deepEqual(r.cost_breakdown, { input: "0.000003", output: "0.00005", web_search: "0.035" });
  assert.equal(r.cost_pico, 3_000_000 + 50_000_000 + 35_000_000_000);
});

test("Gemini 3 grounding streamed: each unique non-empty query billed ($14 / 1K queries)", async () => {
  const path = "/google-ai-studio/v1beta/models/gemini-3.1-flash-lite-preview:streamGenerateContent?alt=sse";
  const r = await recordOf("gem-3", path, { contents: [], tools: [{ google_search: {} }] });
  assert.deepEqual([r.web_search_requests, r.usage_source], [2, "reported"]);
  // 10 × $0.25/M + 20 × $1.50/M + 2 queries × $0.014.
  assert.deepEqual(r.cost_breakdown, { input: "0.0000025", output: "0.00003", web_search: "0.028" });
  assert.equal(r.cost_pico, 2_500_000 + 30_000_000 + 28_000_000_000);
});
