/**
 * @module Which upstreams accept `stream_options.include_usage`, in one place. Kestrel may add the option to a
 * streaming chat/completions request that did not ask for usage (and strip the usage chunk again), so a
 * provider belongs here only when it is known to accept the field: a strict upstream answers 400/422.
 *
 * Deliberately absent: Anthropic (its native API and its OpenAI-compatible endpoint reject unknown fields),
 * Gemini and Vertex (also their OpenAI-compatible endpoints), Bedrock, Cohere, the Responses API (usage is
 * always in the terminal event), providers that always send usage (Groq, Mistral, Perplexity), and every
 * provider whose support is unverified (Hyperbolic, DeepBricks, Poe, Hugging Face, Jina).
 */
import { isStreaming, queryParam, trimmedPath } from "./facts.ts";
import type { RequestFacts } from "./types.ts";
import { asObject } from "../usage/fields.ts";

/** `api-version` values from this one on accept `include_usage` (preview and GA; GA 2024-10-21). */
const AZURE_FIRST_VERSION = "2024-09-01";

function azureAccepts(facts: RequestFacts): boolean {
  if (facts.path.includes("/openai/v1/")) return true; // the v1 API follows OpenAI's current surface
  const version = queryParam(facts, "api-version");
  // Versions are `YYYY-MM-DD` or `YYYY-MM-DD-preview`: the date prefix compares as text.
  return version !== null && /^\d{4}-\d{2}-\d{2}/.test(version) && version.slice(0, 10) >= AZURE_FIRST_VERSION;
}

const always = (): boolean => true;

const ACCEPTS: Readonly<Record<string, (facts: RequestFacts) => boolean>> = {
  // The reference implementation of `stream_options.include_usage`.
  "openai": always,
  // Rejected with 400 "Unrecognized request argument" before api-version 2024-09-01-preview.
  "azure-openai": azureAccepts,
  // xAI documents include_usage; without it the stream has no usage.
  "grok": always,
  // Accepts include_usage (and the legacy `usage: {include: true}`); usage is optional without it. A client that
  // asked with `usage: {include: true}` gets its usage chunk: Kestrel neither adds the option nor strips the chunk.
  "openrouter": (facts) => asObject(asObject(facts.body)?.usage)?.include !== true,
  // OpenAI-compatible; honours include_usage.
  "together": always,
  // OpenAI-compatible; honours include_usage.
  "fireworks": always,
  // Documents stream_options.include_usage; usage then rides on the finish chunk.
  "deepseek": always,
  // OpenAI-compatible; honours include_usage.
  "cerebras": always,
  // Vercel AI Gateway's OpenAI-compatible API honours include_usage.
  "vercel": always,
};

/** Chat completions and legacy completions only: embeddings do not stream, Responses always report usage. */
function isChatCompletions(facts: RequestFacts): boolean {
  const path = trimmedPath(facts);
  return path.endsWith("/chat/completions") || path.endsWith("/completions");
}

/** True when Kestrel may add `stream_options.include_usage` to this request. */
export function acceptsStreamUsage(facts: RequestFacts): boolean {
  const accepts = ACCEPTS[facts.provider];
  return accepts !== undefined && facts.method.toUpperCase() === "POST" && isStreaming(facts) &&
    isChatCompletions(facts) && accepts(facts);
}
