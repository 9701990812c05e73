/**
 * @module The OpenAI-compatible long tail, one line each: OpenAI's endpoints and formats with a flavor for how
 * each provider's usage differs (src/usage/normalize-openai.ts). Differences handled:
 * - Groq repeats usage under `x_groq.usage` (read once) and always sends it.
 * - DeepSeek reports cache hits as `prompt_cache_hit_tokens` (read as cache reads; the normalizer prefers it).
 * - Mistral spells cached tokens three ways (all read) and always sends usage, on the finish chunk.
 * - xAI chat `completion_tokens` EXCLUDES `reasoning_tokens`; `cost_in_usd_ticks` is 1e-10 USD; Live Search
 *   sources (`num_sources_used`) and Responses server-side tool calls are billed per call.
 * - OpenRouter `usage.cost` is the charge in USD credits (taken exactly); its mid-stream error object follows
 *   `id`/`model`/`provider` instead of coming first.
 * - Perplexity bills a request fee by search context size, and on Deep Research search queries, citation and
 *   reasoning tokens (src/providers/search-fees.ts); it may report `cost.total_cost`.
 * - Jina embeddings and rerank report `total_tokens` (rerank only that): all input.
 * - Jina DeepSearch is chat completions with usage.
 */
import { OPENAI, type OpenAiFlavor } from "../usage/normalize-openai.ts";
import { bodyModel } from "./facts.ts";
import { type ChatOptions } from "./openai-chat.ts";
import { createOpenAiStyleAccumulator } from "./openai.ts";
import { perplexity } from "./search-fees.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderSpec } from "./types.ts";

/** A ProviderSpec for an OpenAI-compatible provider. */
export function defineCompatible(id: string, label: string, flavor: OpenAiFlavor, errorAnywhere = false): ProviderSpec {
  const options: ChatOptions = { flavor, errorAnywhere };
  return {
    id,
    label,
    logStyle: "openai",
    createAccumulator: (facts) => createOpenAiStyleAccumulator(facts, options),
    requestModel: bodyModel,
    acceptsStreamUsage,
  };
}

const XAI: OpenAiFlavor = {
  reasoningOutsideCompletion: true,
  searchKeys: ["num_sources_used", "num_server_side_tools_used"],
};

export const COMPATIBLE: readonly ProviderSpec[] = [
  defineCompatible("cerebras", "Cerebras", OPENAI),
  defineCompatible("deepbricks", "DeepBricks", OPENAI),
  defineCompatible("deepseek", "DeepSeek", OPENAI),
  defineCompatible("fireworks", "Fireworks", OPENAI),
  defineCompatible("grok", "xAI", XAI),
  defineCompatible("groq", "Groq", OPENAI),
  defineCompatible("huggingface", "Hugging Face", OPENAI),
  defineCompatible("hyperbolic", "Hyperbolic", OPENAI),
  defineCompatible("jina", "Jina", OPENAI),
  defineCompatible("jina-deepsearch", "Jina DeepSearch", OPENAI),
  defineCompatible("mistral", "Mistral", OPENAI),
  defineCompatible("openrouter", "OpenRouter", { costIsUsd: true }, true),
  perplexity(defineCompatible("perplexity-ai", "Perplexity", OPENAI)),
  defineCompatible("poe", "Poe", OPENAI),
  defineCompatible("together", "Together", OPENAI),
  defineCompatible("vercel", "Vercel", OPENAI),
];
