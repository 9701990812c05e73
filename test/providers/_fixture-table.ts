/**
 * @module The fixture table shared by the accumulator tests, the meter pass-through tests and the end-to-end
 * record tests: which provider/path each fixture folder answers, and the normalized Usage written out by hand.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { atLeast, byteAtATime, seededSplits, splitAt } from "../_chunking.ts";
import { encodeEventStreamMessage } from "../../src/eventstream/encoder.ts";
import type { Framing } from "../../src/meter/meter.ts";
import type { Usage } from "../../src/usage/types.ts";
import { FIXTURES, u } from "./_feed.ts";

export interface Entry {
  file: string;
  provider_api: string;
  streaming: boolean;
  model: string | null;
  usage_native: unknown;
  usage_native_all?: unknown[];
}

/** At least the 107 entries recorded today: the tests below are tables over it and would pass on an empty one. */
export const MANIFEST: Entry[] = atLeast(JSON.parse(readFileSync(join(FIXTURES, "MANIFEST.json"), "utf8")), 107, "MANIFEST.json entries");

/** Where each fixture folder's responses come from: provider id and upstream path (streaming, JSON). */
export const ROUTES: Record<string, { provider: string; stream: string; json: string; query?: string }> = {
  "anthropic-messages": { provider: "anthropic", stream: "/v1/messages", json: "/v1/messages" },
  "azure-openai-chat": {
    provider: "azure-openai",
    stream: "/openai/deployments/router/chat/completions",
    json: "/openai/deployments/router/chat/completions",
    query: "?api-version=2024-10-21",
  },
  "azure-openai-responses": { provider: "azure-openai", stream: "/openai/v1/responses", json: "/openai/v1/responses" },
  "bedrock-converse": {
    provider: "aws-bedrock",
    stream: "/model/us.amazon.nova-pro-v1%3A0/converse-stream",
    json: "/model/us.amazon.nova-pro-v1%3A0/converse",
  },
  "cohere-chat": { provider: "cohere", stream: "/v2/chat", json: "/v2/chat" },
  "deepseek-chat": { provider: "deepseek", stream: "/chat/completions", json: "/chat/completions" },
  "gemini": {
    provider: "google-ai-studio",
    stream: "/v1beta/models/gemini-3-pro-preview:streamGenerateContent",
    json: "/v1beta/models/gemini-3-pro-preview:generateContent",
    query: "?alt=sse",
  },
  "groq-chat": { provider: "groq", stream: "/openai/v1/chat/completions", json: "/openai/v1/chat/completions" },
  "mistral-chat": { provider: "mistral", stream: "/v1/chat/completions", json: "/v1/chat/completions" },
  "openai-chat": { provider: "openai", stream: "/v1/chat/completions", json: "/v1/chat/completions" },
  "openai-completions": { provider: "openai", stream: "/v1/completions", json: "/v1/completions" },
  "openai-responses": { provider: "openai", stream: "/v1/responses", json: "/v1/responses" },
  "vertex-gemini": {
    provider: "google-vertex-ai",
    stream: "/v1/projects/p/locations/global/publishers/google/models/gemini-3.1-pro-preview:streamGenerateContent",
    json: "/v1/projects/p/locations/global/publishers/google/models/gemini-3.1-pro-preview:generateContent",
    query: "?alt=sse",
  },
  "xai-chat": { provider: "grok", stream: "/v1/chat/completions", json: "/v1/chat/completions" },
  "xai-responses": { provider: "grok", stream: "/v1/responses", json: "/v1/responses" },
};

export interface Expected {
  usage: Usage | null;
  /** Only where the result deliberately differs from the manifest's model (see the row's comment). */
  model?: string;
  tier?: string;
  geo?: string;
  costPico?: number;
  error?: string;
}

const QUOTA = "insufficient_quota: You exceeded your current quota, please check your plan and billing details. " +
  "For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.";

/** By hand from each manifest entry's usage_native and notes. */
export const EXPECTED: Record<string, Expected> = {
  // Advisor: executor 'message' iterations 1051/35 + 3676/3356; the opus-4-7 advisor iteration is excluded.
  "anthropic-messages/anthropic-advisor-20250301.1.sse": {
    usage: u(4727, 3391, 8118),
    tier: "standard",
    geo: "global",
  },
  // Advisor JSON: message iterations 1051/35 + 1363/3165.
  "anthropic-messages/anthropic-advisor-20260301.1.json": {
    usage: u(2414, 3200, 5614),
    tier: "standard",
    geo: "global",
  },
  // Stale 5 m split (3068) next to the final 3337 writes: 1 h = min(0, 3337) = 0, all 3337 billed at 5 m.
  // input = 6 + 3337 + 6289.
  "anthropic-messages/anthropic-code-execution-20260120-prompt-cache.1.sse": {
    usage: u(9632, 198, 9830, { cr: 6289, cw: 3337 }),
    tier: "standard",
    geo: "global",
  },
  // Compaction JSON: iterations 60385/592 (compaction) + 682/1320 (message); top level shows only 682/1320.
  "anthropic-messages/anthropic-compaction.1.json": { usage: u(61067, 1912, 62979), tier: "standard", geo: "global" },
  // Compaction stream: 60385/522 + 612/2819.
  "anthropic-messages/anthropic-compaction.1.sse": { usage: u(60997, 3341, 64338), tier: "standard", geo: "global" },
  // Fallback: the declined claude-fable-5 attempt (408/0) is excluded; the served opus-4-8 answer is 412/264.
  "anthropic-messages/anthropic-fallback.json": { usage: u(412, 264, 676) },
  // As the JSON; model: the fallback block hands over to claude-opus-4-8, whose rates the usage is billed at
  // (the manifest gives message_start's requested claude-fable-5).
  "anthropic-messages/anthropic-fallback.sse": { usage: u(412, 264, 676), model: "claude-opus-4-8" },
  // message_delta input 61 overwrites message_start's 43.
  "anthropic-messages/anthropic-message-delta-input-tokens.sse": { usage: u(61, 2, 63) },
  "anthropic-messages/anthropic-text.json": { usage: u(12, 29, 41), tier: "standard", geo: "not_available" },
  // message_start output 1 is a placeholder; the delta's 30 wins.
  "anthropic-messages/anthropic-text.sse": { usage: u(12, 30, 42), tier: "standard", geo: "not_available" },
  "anthropic-messages/anthropic-web-search-tool.1.json": { usage: u(27118, 600, 27718, { ws: 2 }), tier: "standard" },
  // input grows from 2037 (start) to 15665 (delta); one web search.
  "anthropic-messages/anthropic-web-search-tool.1.sse": { usage: u(15665, 795, 16460, { ws: 1 }), tier: "standard" },
  // Raw SDK fixture without a final blank line.
  "anthropic-messages/basic_response.sse": { usage: u(11, 6, 17) },
  "anthropic-messages/compaction_response.sse": { usage: u(30, 8, 38) },
  // The same message_start twice: merged once, never summed.
  "anthropic-messages/duplicate-message-start.sse": { usage: u(17, 227, 244) },
  // A non-numeric `fallback_credit` inside usage is kept in native and ignored by the counts.
  "anthropic-messages/fallback_credit_response.sse": { usage: u(25, 8, 33) },
  // Model: the fallback block relabels claude-opus-4-7 → claude-sonnet-4-5, which served the answer.
  "anthropic-messages/fallback_response.sse": { usage: u(25, 8, 33), model: "claude-sonnet-4-5" },
  "anthropic-messages/incomplete_partial_json_response.sse": { usage: u(450, 124, 574), tier: "standard" },
  // A real zero output.
  "anthropic-messages/refusal_response.sse": { usage: u(20, 0, 20) },
  // Second message_start restarts; last start + the single delta.
  "anthropic-messages/spliced-message-start.sse": { usage: u(17, 65, 82) },
  "anthropic-messages/tool_use_response.sse": { usage: u(377, 65, 442), tier: "standard" },
  // Filter chunk first (model ""), usage on a choices: [] chunk; reasoning 64 inside completion 78.
  "azure-openai-chat/azure-model-router.1.sse": { usage: u(15, 78, 93, { rs: 64 }) },
  "azure-openai-responses/azure-text.1.json": { usage: u(11, 11, 22), tier: "default" },
  "azure-openai-responses/azure-text.1.sse": { usage: u(11, 11, 22), tier: "default" },
  // Converse: inputTokens excludes cache (both 0 here); reasoning has no separate count.
  "bedrock-converse/amazon-bedrock-reasoning.chunks.txt": { usage: u(51, 94, 145) },
  "bedrock-converse/amazon-bedrock-reasoning.json": { usage: u(51, 78, 129) },
  "bedrock-converse/amazon-bedrock-text.chunks.txt": { usage: u(22, 55, 77) },
  // Both cache spellings present (0): read once.
  "bedrock-converse/amazon-bedrock-text.json": { usage: u(22, 57, 79) },
  // Billed units only (raw tokens 1394/582 and cached_tokens 1344 stay native).
  "cohere-chat/cohere-reasoning.json": { usage: u(8, 578, 586) },
  "cohere-chat/cohere-reasoning.sse": { usage: u(8, 50, 58) },
  "cohere-chat/cohere-text.json": { usage: u(12, 7, 19) },
  "cohere-chat/cohere-text.sse": { usage: u(12, 7, 19) },
  // prompt_cache_hit_tokens 0 → no cache reads; reasoning inside completion.
  "deepseek-chat/deepseek-reasoning.json": { usage: u(18, 345, 363, { rs: 315 }) },
  "deepseek-chat/deepseek-reasoning.sse": { usage: u(18, 219, 237, { rs: 205 }) },
  "deepseek-chat/deepseek-text.json": { usage: u(13, 300, 313) },
  // Usage on the finish_reason chunk.
  "deepseek-chat/deepseek-text.sse": { usage: u(13, 400, 413) },
  // output = candidates + thoughts: 29 + 282.
  "gemini/google-reasoning.json": { usage: u(9, 311, 320, { rs: 282 }) },
  "gemini/google-reasoning.sse": { usage: u(9, 285, 294, { rs: 256 }) },
  "gemini/google-text.json": { usage: u(9, 272, 281, { rs: 244 }) },
  // 23 + 185 = 208; total 217 = totalTokenCount.
  "gemini/google-text.sse": { usage: u(9, 208, 217, { rs: 185 }) },
  "gemini/google-tool-call.json": { usage: u(29, 908, 937, { rs: 893 }) },
  "gemini/google-tool-call.sse": { usage: u(29, 60, 89, { rs: 45 }) },
  "groq-chat/groq-text.json": { usage: u(45, 607, 652), tier: "on_demand" },
  // usage and x_groq.usage are identical: counted once.
  "groq-chat/groq-text.sse": { usage: u(45, 662, 707) },
  "mistral-chat/mistral-reasoning.json": { usage: u(10, 46, 56) },
  "mistral-chat/mistral-reasoning.sse": { usage: u(10, 46, 56) },
  "mistral-chat/mistral-text.json": { usage: u(13, 434, 447) },
  "mistral-chat/mistral-text.sse": { usage: u(13, 8, 21) },
  // Anthropic's OpenAI-compatible endpoint without usage: unknown, not zero.
  "openai-chat/anthropic-fallback-tool-call.sse": { usage: null },
  "openai-chat/openai-node-chat-stream-content-logprobs.sse": { usage: u(17, 10, 27) },
  "openai-chat/openai-node-chat-stream-works.sse": { usage: u(17, 10, 27) },
  "openai-chat/openai-node-parse-response-format.json": { usage: u(17, 10, 27) },
  "openai-chat/openai-text.json": { usage: u(16, 363, 379), tier: "default" },
  // 302 chunks with usage: null, then the choices: [] usage chunk.
  "openai-chat/openai-text.sse": { usage: u(16, 300, 316), tier: "default" },
  "openai-completions/openai-completion-text.json": { usage: u(14, 16, 30) },
  "openai-completions/openai-completion-text.sse": { usage: u(14, 16, 30) },
  // Ids rotate on every event: nothing correlates by id.
  "openai-responses/github-copilot-id-rotation.1.sse": { usage: u(19, 105, 124, { rs: 44 }), tier: "default" },
  "openai-responses/openai-code-interpreter-tool.1.json": { usage: u(2283, 1928, 4211, { rs: 1792 }), tier: "default" },
  "openai-responses/openai-code-interpreter-tool.1.sse": {
    usage: u(6047, 1623, 7670, { cr: 2944, rs: 1408 }),
    tier: "default",
  },
  // The HTTP error body: no usage, the error is reported.
  "openai-responses/openai-error.1.json": { usage: null, error: QUOTA },
  // error event, then response.failed with usage null; the failed response's tier is the requested "auto".
  "openai-responses/openai-error.1.sse": { usage: null, error: QUOTA, tier: "auto" },
  // Data-only, key-sorted copy with [DONE]; response.created's all-zero usage is ignored.
  "openai-responses/openai-node-responses-stream-text.sse": { usage: u(10, 2, 12) },
  "openai-responses/openai-reasoning-encrypted-content.1.json": {
    usage: u(865, 163, 1028, { rs: 128 }),
    tier: "default",
  },
  // Four terminal events: the last wins (see usage_native_all test below).
  "openai-responses/openai-reasoning-encrypted-content.1.sse": { usage: u(299, 12, 311), tier: "default" },
  // 3 web_search_call output items billed per call.
  "openai-responses/openai-web-search-tool.1.json": {
    usage: u(19681, 3773, 23454, { cr: 3712, rs: 3136, ws: 3 }),
    tier: "default",
  },
  // 6 web_search_call output items.
  "openai-responses/openai-web-search-tool.1.sse": {
    usage: u(31073, 4416, 35489, { cr: 3712, rs: 3712, ws: 6 }),
    tier: "default",
  },
  "openai-responses/programmatic-tool-calling.1.json": { usage: u(631, 139, 770, { rs: 55 }), tier: "default" },
  "openai-responses/programmatic-tool-calling.1.sse": { usage: u(631, 87, 718, { rs: 37 }), tier: "default" },
  // 75 trafficType-only chunks, counts only at the end: 684 + 1026 thoughts.
  "vertex-gemini/google-vertex-stream-tool-call-arguments-nested.1.sse": {
    usage: u(31, 1710, 1741, { rs: 1026 }),
    tier: "default",
  },
  // xAI: completion (1) excludes reasoning (228): output 229; cost 1176500 ticks × 100 pico.
  "xai-chat/xai-text.json": { usage: u(12, 229, 241, { cr: 2, rs: 228 }), costPico: 117650000 },
  "xai-chat/xai-text.sse": { usage: u(12, 291, 303, { cr: 11, rs: 290 }), costPico: 146625000 },
  "xai-chat/xai-tool-call.json": { usage: u(291, 215, 506, { cr: 244, rs: 189 }), costPico: 139900000 },
  "xai-chat/xai-tool-call.sse": { usage: u(291, 222, 513, { cr: 290, rs: 196 }), costPico: 133050000 },
  // xAI Responses: output (863) already includes reasoning (237).
  "xai-responses/xai-text-streaming.1.sse": { usage: u(216, 863, 1079, { cr: 192, rs: 237 }) },
};

/** Bedrock ConverseStream events as binary frames, one per decoded line: `{type: payload}`. */
export function converseFrames(text: string): Uint8Array {
  const frames: Uint8Array[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const [type, payload] = Object.entries(event)[0] as [string, unknown];
    frames.push(encodeEventStreamMessage(
      { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
      new TextEncoder().encode(JSON.stringify(payload)),
    ));
  }
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

export function load(entry: Entry): { bytes: Uint8Array; framing: Framing } {
  const raw = readFileSync(join(FIXTURES, entry.file));
  if (entry.file.endsWith(".chunks.txt")) {
    return { bytes: converseFrames(raw.toString("utf8")), framing: "eventstream" };
  }
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return { bytes, framing: entry.file.endsWith(".sse") ? "sse" : "json" };
}

/**
 * Two-way split points: all of them for files up to 16 KiB. Each split re-runs the whole file, so for larger
 * ones: all within the first 1 KiB and the last 4 KiB (where models and final usages sit), within 3 bytes of
 * every event end (blank line; the next event's `event:`/`data:` prefix), and every 509th in between.
 */
function splitPoints(bytes: Uint8Array): number[] {
  const n = bytes.length;
  if (n <= 16 * 1024) return Array.from({ length: n + 1 }, (_, i) => i);
  const points = new Set<number>();
  for (let i = 0; i <= n; i++) if (i <= 1024 || i >= n - 4096 || i % 509 === 0) points.add(i);
  for (let i = 1; i < n; i++) {
    if (bytes[i] !== 0x0a || (bytes[i - 1] !== 0x0a && bytes[i - 2] !== 0x0a)) continue; // LF LF or CRLF CRLF
    for (let d = -3; d <= 3; d++) if (i + d >= 0 && i + d <= n) points.add(i + d);
  }
  return [...points].sort((a, b) => a - b);
}

export function* chunkings(bytes: Uint8Array, seed: number): Generator<[string, Uint8Array[]]> {
  yield ["whole", [bytes]];
  for (const i of splitPoints(bytes)) yield [`split at ${i}`, splitAt(bytes, i)];
  yield ["byte at a time", byteAtATime(bytes)];
  let k = 0;
  for (const chunks of seededSplits(bytes, seed, 5)) yield [`seeded split ${k++}`, chunks];
}

