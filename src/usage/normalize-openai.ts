/**
 * @module OpenAI-style usage (chat, completions, embeddings, Responses, transcription) → normalized Usage, with
 * the per-provider differences of the OpenAI-compatible long tail passed in as a flavor.
 */
import { buildUsage } from "./build.ts";
import { asObject, count, countOf, firstCount, type JsonObject, path } from "./fields.ts";
import type { Usage } from "./types.ts";
import { ticksToPico, usdToPico } from "../pricing/money.ts";

/** How one provider's OpenAI-style usage differs from OpenAI's. Absent flags mean "as OpenAI". */
export interface OpenAiFlavor {
  /** xAI chat: `completion_tokens` EXCLUDES `reasoning_tokens`, so output = completion + reasoning. */
  reasoningOutsideCompletion?: boolean;
  /** OpenRouter: `usage.cost` is in credits, 1 credit = 1 USD. */
  costIsUsd?: boolean;
  /** Usage keys counting server-side searches billed per call (xAI sources and server-side tools). */
  searchKeys?: readonly string[];
}

export const OPENAI: OpenAiFlavor = {};

/**
 * Normalizes one usage object. Chat shape (`prompt_tokens`/`completion_tokens`) and Responses shape
 * (`input_tokens`/`output_tokens`, also transcription `type: "tokens"`) are told apart by their keys (an
 * unreadable value then counts 0, rather than switching shapes); a bare
 * `total_tokens` (Jina rerank) is all input. Null when the object holds no token counts (transcription
 * `type: "duration"`).
 */
export function normalizeOpenAi(u: JsonObject, flavor: OpenAiFlavor = OPENAI): Usage | null {
  const webSearch = searches(u, flavor);
  if ("prompt_tokens" in u || "completion_tokens" in u) {
    const prompt = u.prompt_tokens === undefined
      ? count(u.prompt_cache_hit_tokens) + count(u.prompt_cache_miss_tokens)
      : count(u.prompt_tokens);
    const reasoning = firstCount(path(u, "completion_tokens_details", "reasoning_tokens")) ?? 0;
    const completion = count(u.completion_tokens);
    return buildUsage({
      input: prompt,
      output: flavor.reasoningOutsideCompletion ? completion + reasoning : completion,
      // DeepSeek's hit count first; Mistral spells the cached count three ways.
      cacheRead: firstCount(
        u.prompt_cache_hit_tokens,
        path(u, "prompt_tokens_details", "cached_tokens"),
        path(u, "prompt_token_details", "cached_tokens"),
        u.num_cached_tokens,
      ),
      cacheWrite: firstCount(path(u, "prompt_tokens_details", "cache_write_tokens")),
      reasoning,
      audioIn: firstCount(path(u, "prompt_tokens_details", "audio_tokens")),
      audioOut: firstCount(path(u, "completion_tokens_details", "audio_tokens")),
      webSearch,
    });
  }
  if ("input_tokens" in u || "output_tokens" in u) {
    // Responses spells the details `input_tokens_details`; transcription and Realtime `input_token_details`.
    const inDetails = asObject(u.input_tokens_details) ?? asObject(u.input_token_details);
    const outDetails = asObject(u.output_tokens_details) ?? asObject(u.output_token_details);
    const { cacheReadAudio, imageIn } = pricedOnlyParts(u);
    return buildUsage({
      cacheReadAudio,
      imageIn,
      input: count(u.input_tokens),
      output: count(u.output_tokens),
      cacheRead: firstCount(inDetails?.cached_tokens),
      cacheWrite: firstCount(inDetails?.cache_write_tokens),
      reasoning: firstCount(outDetails?.reasoning_tokens),
      audioIn: firstCount(inDetails?.audio_tokens),
      audioOut: firstCount(outDetails?.audio_tokens),
      webSearch,
    });
  }
  const total = countOf(u.total_tokens);
  return total === undefined ? null : buildUsage({ input: total, output: 0, webSearch });
}

/**
 * What a Realtime usage reports that has its own price but no column (src/usage/types.ts): cached audio
 * (`input_token_details.cached_tokens_details.audio_tokens`) and uncached image input (`image_tokens` less the
 * cached ones). Also read by `kestrel reprice` from a stored `usage_native`. Zero for every other shape.
 */
export function pricedOnlyParts(u: JsonObject): { cacheReadAudio: number; imageIn: number } {
  const details = asObject(u.input_token_details);
  if (details === undefined) return { cacheReadAudio: 0, imageIn: 0 };
  const cached = asObject(details.cached_tokens_details);
  return {
    cacheReadAudio: count(cached?.audio_tokens),
    imageIn: Math.max(0, count(details.image_tokens) - count(cached?.image_tokens)),
  };
}

function searches(u: JsonObject, flavor: OpenAiFlavor): number {
  let n = 0;
  for (const key of flavor.searchKeys ?? []) n += count(u[key]);
  return n;
}

/**
 * Cost the provider reported inside usage, in pico-USD: xAI ticks, OpenRouter credits, Perplexity `cost.total_cost`.
 * `costText`: OpenRouter's `cost` as written in the answer, converted exactly when it spells the parsed number.
 */
export function reportedCostPico(u: JsonObject, flavor: OpenAiFlavor = OPENAI, costText: string | null = null): number | null {
  const ticks = u.cost_in_usd_ticks;
  if (typeof ticks === "number") return ticksToPico(ticks);
  if (flavor.costIsUsd && typeof u.cost === "number") {
    return usdToPico(costText !== null && Number(costText) === u.cost ? costText : u.cost);
  }
  const total = path(u, "cost", "total_cost");
  return typeof total === "number" ? usdToPico(total) : null;
}
