/**
 * @module Kestrel's corrections to the upstream LiteLLM table, in ONE reviewed place. Each has a reason and a
 * source. Prices here are decimal USD per MILLION tokens (how providers publish them), converted exactly.
 * Bump CORRECTIONS_REVISION whenever this list changes: it is the `+kN` of the price version.
 */
import type { Rates, SearchContextSize, UnitRates } from "./types.ts";

export const CORRECTIONS_REVISION = 8;

type UsdPerM = Partial<Record<keyof Rates, string>>;
type UsdPerUnit = Partial<Record<keyof UnitRates, string>>;

export type Correction =
  | {
    kind: "set";
    provider: string;
    key: string;
    rates?: UsdPerM;
    tiers?: (UsdPerM & { above: number })[];
    mode?: "chat";
    /** Per-unit rates in USD per unit (docs/architecture.md §21). */
    units?: UsdPerUnit;
    /** The request fee by search context size, in USD per request. */
    search?: Record<SearchContextSize, string>;
    why: string;
    source: string;
  }
  | { kind: "unset"; provider: string; key: string; service: "priority" | "flex" | "batch"; why: string; source: string }
  | { kind: "add"; provider: string; key: string; lp: string; rates: UsdPerM & { input: string; output: string }; why: string; source: string }
  | { kind: "alias"; provider: string; key: string; of: string; why: string; source: string }
  | { kind: "drop"; provider: string; key: string; why: string; source: string }
  /** A row priced per unit (docs/architecture.md §21); prices in USD per unit. */
  | { kind: "units"; provider: string; key: string; lp: string; mode: "image_generation"; units: UsdPerUnit; why: string; source: string };

const PERPLEXITY_PRICING = "Perplexity pricing page (docs.perplexity.ai/getting-started/pricing: Token Pricing " +
  "and Request Pricing tables)";
const OPENAI_SEARCH_PRICING = "OpenAI pricing page (platform.openai.com/docs/pricing, Web search: gpt-4o-search-preview " +
  "$30 / $35 / $50 and gpt-4o-mini-search-preview $25 / $27.50 / $30 per 1,000 calls, low / medium / high context)";
const ANTHROPIC_PRICING = "Anthropic pricing page (platform.claude.com/docs/en/about-claude/pricing)";
const OPENAI_REALTIME_PRICING = "OpenAI pricing page (platform.openai.com/docs/pricing, Realtime API: text, audio and image tokens)";
const REALTIME_IMAGE_WHY = "Realtime prices image input apart from text; upstream keeps it as input_cost_per_image, " +
  "a field Kestrel cannot read in general (on other rows it is a price per image, not per token)";
const CLAUDE_35_SONNET = { input: "3", output: "15", cache_write_5m: "3.75", cache_write_1h: "6", cache_read: "0.3" };

export const CORRECTIONS: readonly Correction[] = [
  {
    kind: "set", provider: "anthropic", key: "claude-3-opus-20240229", rates: { cache_write_1h: "30" },
    why: "upstream has $6/MTok for the 1-hour cache write; Anthropic charges 2x input ($30)",
    source: `${ANTHROPIC_PRICING}; a known LiteLLM data problem ($6 1-hour writes on old Claude 3 rows)`,
  },
  {
    kind: "set", provider: "anthropic", key: "claude-3-haiku-20240307", rates: { cache_write_1h: "0.5" },
    why: "upstream has $6/MTok for the 1-hour cache write; Anthropic charges 2x input ($0.50)",
    source: `${ANTHROPIC_PRICING}; a known LiteLLM data problem ($6 1-hour writes on old Claude 3 rows)`,
  },
  {
    kind: "add", provider: "anthropic", key: "claude-3-5-haiku-20241022", lp: "anthropic",
    rates: { input: "0.8", output: "4", cache_write_5m: "1", cache_write_1h: "1.6", cache_read: "0.08" },
    why: "upstream dropped the Anthropic-direct row; current price (the seed system used the $1/$5 launch price, " +
      "and older LiteLLM had a wrong $6 1-hour write)",
    source: `${ANTHROPIC_PRICING} (Claude Haiku 3.5); the seed's price from its AnthropicPricingService table`,
  },
  ...["vertex_ai/claude-3-5-haiku", "vertex_ai/claude-3-5-haiku@20241022"].map((key): Correction => ({
    kind: "set", provider: "google-vertex-ai", key, rates: { input: "0.8", output: "4" },
    why: "upstream keeps the $1 / $5 launch price; Anthropic cut Claude 3.5 Haiku to $0.80 / $4 in December 2024 " +
      "on every platform it sells through (Anthropic API, Bedrock, Vertex AI: the Bedrock rows already have it); " +
      "the cache rates then follow from the Anthropic-direct row (rule claude-cache-anthropic-row)",
    source: `${ANTHROPIC_PRICING} (Claude Haiku 3.5: $0.80 / $4); ` +
      "Bedrock rows of the same model in this table ($0.80 / $4)",
  })),
  {
    kind: "add", provider: "anthropic", key: "claude-3-5-sonnet-20241022", lp: "anthropic", rates: CLAUDE_35_SONNET,
    why: "upstream dropped the Anthropic-direct row (last in LiteLLM mirror 37a04775, 2026-03-12)",
    source: `${ANTHROPIC_PRICING} (Claude Sonnet 3.5: $3 / $15, writes $3.75, reads $0.30); the seed's AnthropicPricingService table`,
  },
  {
    kind: "add", provider: "anthropic", key: "claude-3-5-sonnet-20240620", lp: "anthropic", rates: CLAUDE_35_SONNET,
    why: "upstream dropped the Anthropic-direct row; same price as the 20241022 snapshot",
    source: `${ANTHROPIC_PRICING} (Claude Sonnet 3.5); the seed's AnthropicPricingService table`,
  },
  {
    kind: "add", provider: "anthropic", key: "claude-3-sonnet-20240229", lp: "anthropic", rates: { input: "3", output: "15" },
    why: "not in upstream; Claude 3 Sonnet never had prompt caching, so only input/output",
    source: "the seed's AnthropicPricingService table ($3 / $15)",
  },
  ...[
    ["claude-3-opus-latest", "claude-3-opus-20240229"],
    ["claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"],
    ["claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"],
    ["claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219"],
  ].map(([key, of]): Correction => ({
    kind: "alias", provider: "anthropic", key: key ?? "", of: of ?? "",
    why: "responses echo the alias as model; every snapshot this alias ever pointed to has the same price",
    source: "Anthropic model aliases (-latest names a snapshot); fixture anthropic-messages/basic_response.sse",
  })),
  {
    kind: "unset", provider: "openai", key: "gpt-5-nano", service: "priority",
    why: "upstream priority input is $2.50/MTok (50x base, gpt-5's priority price) with no priority output; " +
      "gpt-5-nano is not offered on priority processing, so a priority response falls back to base prices",
    source: "LiteLLM price file: gpt-5-nano priority input $2.50/MTok (50x base) and no priority output",
  },
  {
    kind: "set", provider: "google-ai-studio", key: "gemini/gemini-1.5-flash", mode: "chat", rates: { output: "0.3" },
    tiers: [{ above: 128000, output: "0.6" }],
    why: "upstream re-tagged the chat model as mode embedding with output $0; restored the chat prices",
    source: "LiteLLM price file (re-tagged mode embedding, output $0); the row's earlier prices 0.075/0.3, >128k 0.15/0.6",
  },
  ...[
    ["openai", "gpt-realtime", "5"],
    ["openai", "gpt-realtime-2025-08-28", "5"],
    ["openai", "gpt-realtime-1.5", "5"],
    ["openai", "gpt-realtime-2", "5"],
    ["openai", "gpt-realtime-2.1", "5"],
    ["openai", "gpt-realtime-mini", "0.8"],
    ["openai", "gpt-realtime-mini-2025-10-06", "0.8"],
    ["openai", "gpt-realtime-mini-2025-12-15", "0.8"],
    ["openai", "gpt-realtime-2.1-mini", "0.8"],
    ["azure-openai", "azure/gpt-realtime-2025-08-28", "5"],
    ["azure-openai", "azure/gpt-realtime-1.5-2026-02-23", "5"],
    ["azure-openai", "azure/gpt-realtime-mini-2025-10-06", "0.8"],
  ].map(([provider, key, image]): Correction => ({
    kind: "set", provider: provider!, key: key!, rates: { image_input: image! },
    why: REALTIME_IMAGE_WHY,
    source: `${OPENAI_REALTIME_PRICING} (gpt-realtime image input $5, gpt-realtime-mini $0.80); the row's input_cost_per_image`,
  })),
  {
    kind: "set", provider: "openai", key: "gpt-realtime-mini", rates: { cache_read: "0.06" },
    why: "upstream has no cached-text rate on the undated row (its dated snapshots have $0.06), so cached text " +
      "would be billed at the full $0.60 input rate",
    source: `${OPENAI_REALTIME_PRICING} (gpt-realtime-mini cached input $0.06); gpt-realtime-mini-2025-10-06 in this table`,
  },
  ...[
    ["openai", "gpt-4o-realtime-preview"],
    ["openai", "gpt-4o-realtime-preview-2024-12-17"],
    ["openai", "gpt-4o-realtime-preview-2025-06-03"],
    ["azure-openai", "azure/gpt-4o-realtime-preview-2024-12-17"],
  ].map(([provider, key]): Correction => ({
    kind: "set", provider: provider!, key: key!, rates: { cache_read_audio: "2.5" },
    why: "upstream has no cached-audio rate, so cached audio would be billed at the $40 audio input rate",
    source: `${OPENAI_REALTIME_PRICING} (gpt-4o-realtime-preview cached audio input $2.50); azure/eu/gpt-4o-realtime-preview-2024-12-17 in this table`,
  })),
  {
    kind: "drop", provider: "aws-bedrock", key: "eu.anthropic.claude-3-5-haiku-20241022-v1:0",
    why: "priced exactly as Claude 3 Haiku (0.25/1.25), a copy error (Claude 3.5 Haiku had no EU inference " +
      "profile); without the row, lookup treats the id like any unknown profile (base price if all profiles agree)",
    source: "comparison with us./base rows of the same model (0.8/4)",
  },
  // DALL·E by size and quality: upstream has only per-pixel rates for these keys (a per-image price divided by the
  // pixel count, not exact), which Kestrel does not read; the per-image prices are OpenAI's.
  ...([
    ["standard/1024-x-1792/dall-e-3", "0.08"],
    ["standard/1792-x-1024/dall-e-3", "0.08"],
    ["hd/1024-x-1024/dall-e-3", "0.08"],
    ["hd/1024-x-1792/dall-e-3", "0.12"],
    ["hd/1792-x-1024/dall-e-3", "0.12"],
    ["512-x-512/dall-e-2", "0.018"],
    ["256-x-256/dall-e-2", "0.016"],
  ] as const).map(([key, usd]): Correction => ({
    kind: "units", provider: "openai", key, lp: "openai", mode: "image_generation", units: { image: usd },
    why: "upstream prices this size and quality per pixel only (inexact); OpenAI bills it per image",
    source: "OpenAI pricing page (platform.openai.com/docs/pricing, Image generation: DALL·E 3 standard $0.040 " +
      "1024x1024 / $0.080 1024x1792; HD $0.080 / $0.120; DALL·E 2 $0.016 256x256, $0.018 512x512, $0.020 1024x1024)",
  })),
  // Perplexity (docs/architecture.md §21): the request fee by search context size is upstream's; which unit each
  // model bills is Perplexity's pricing page.
  {
    kind: "set", provider: "perplexity-ai", key: "perplexity/sonar-deep-research", units: { query: "0.005", request: "0" },
    why: "upstream's search_context_cost_per_query on this row is Deep Research's price per search query " +
      "(num_search_queries, $5 per 1,000); Deep Research has no request fee",
    source: `${PERPLEXITY_PRICING}: Sonar Deep Research search queries $5 / 1K; request fees apply to Sonar, ` +
      "Sonar Pro and Sonar Reasoning Pro only",
  },
  ...["perplexity/sonar", "perplexity/sonar-pro", "perplexity/sonar-reasoning", "perplexity/sonar-reasoning-pro"].map((key): Correction => ({
    kind: "set", provider: "perplexity-ai", key, units: { query: "0" },
    why: "the searches these models run are paid by the request fee: num_search_queries is not billed apart",
    source: `${PERPLEXITY_PRICING}: no search-query price for Sonar, Sonar Pro, Sonar Reasoning (Pro)`,
  })),
  ...([
    ["gpt-4o-search-preview-2025-03-11", { low: "0.03", medium: "0.035", high: "0.05" }],
    ["gpt-4o-mini-search-preview-2025-03-11", { low: "0.025", medium: "0.0275", high: "0.03" }],
  ] as const).map(([key, search]): Correction => ({
    kind: "set", provider: "openai", key, search,
    why: "upstream has the per-request search fee on the undated row only; OpenAI answers with the dated name",
    source: `${OPENAI_SEARCH_PRICING}; the undated rows of this table`,
  })),
  ...["gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-03-20", "gpt-4o-mini-tts-2025-12-15"].map((key): Correction => ({
    kind: "set", provider: "openai", key, rates: { input: "0.6", output: "12" },
    why: "upstream has gpt-4o's $2.50 / $10 text rates; the voice's text input is $0.60 and all it outputs is audio " +
      "tokens at $12 (its usage reports them as output_tokens, without an audio split)",
    source: "OpenAI pricing page (platform.openai.com/docs/pricing, Text to speech: gpt-4o-mini-tts text input $0.60, " +
      "audio output $12.00 per 1M tokens)",
  })),
];

/** Rules applied to every row they match, after the list above. */
export const RULES = [
  {
    id: "claude-cache-anthropic-row",
    why: "a Bedrock / Vertex / Azure Claude row without cache rates takes them from the Anthropic-direct row of " +
      "the same model when both have the same input and output price (Claude is sold at one list price on every " +
      "platform; upstream omits cache rates on many of these rows, e.g. Claude 3.x on Vertex)",
    source: `${ANTHROPIC_PRICING}; Vertex AI and Bedrock list the same cache prices`,
  },
  {
    id: "claude-cache-multipliers",
    why: "Anthropic prices prompt caching as multipliers of the input price of the same tier on every platform: " +
      "cache read 0.1x, 5-minute write 1.25x; applied where neither the row nor an Anthropic-direct row at the " +
      "same price has the rate, so a cache read is never billed at the full input price",
    source: `${ANTHROPIC_PRICING} (prompt caching multipliers); Vertex AI and Bedrock list the same cache prices`,
  },
  {
    id: "claude-1h-write",
    why: "1-hour cache writes cost 2x the input price of the same tier on every Claude model; upstream omits " +
      "the rate on many rows (Bedrock, Vertex, Sonnet 4 above 200k), which would bill them at the 5-minute rate",
    source: `${ANTHROPIC_PRICING} (prompt caching multipliers; long context pricing)`,
  },
  {
    id: "anthropic-batch",
    why: "Message Batches cost 50% of every rate (cache and long-context rates included); upstream has no " +
      "batch rates for Anthropic-direct rows, so service_tier \"batch\" would bill at full price",
    source: `${ANTHROPIC_PRICING} (batch processing)`,
  },
  {
    id: "anthropic-web-search",
    why: "web search costs $10 per 1,000 searches on every model; upstream omits it on a few rows",
    source: `${ANTHROPIC_PRICING} (web search tool)`,
  },
  {
    id: "family-service-tiers",
    why: "a dated snapshot without flex / priority / batch rates takes them from its undated family row when both " +
      "have the same standard rates; OpenAI answers with the dated name (o4-mini-2025-04-16) while upstream " +
      "lists the tier rates only on the undated row (o4-mini)",
    source: "OpenAI pricing page (platform.openai.com/docs/pricing, Flex and Priority processing): one price per model",
  },
  {
    id: "gemini-audio-cache",
    why: "Google discounts cached audio by the same fraction as cached text (Gemini 2.5 Flash: text 0.30 -> 0.03, " +
      "audio 1.00 -> 0.10; Gemini 2.0 Flash: 0.10 -> 0.025, 0.70 -> 0.175); upstream has no audio cache rate, so " +
      "the audio cache-read rate is audio input x cache read / input",
    source: "Gemini API pricing page (ai.google.dev/gemini-api/docs/pricing, context caching price per modality)",
  },
] as const;

/** LiteLLM providers whose Gemini rows are Google's own models, priced with Google's context-cache rule. */
export const GEMINI_SELLERS: ReadonlySet<string> = new Set(["gemini", "vertex_ai-language-models"]);

/** LiteLLM providers whose `claude-*` rows are Anthropic models billed with Anthropic's multipliers. */
export const CLAUDE_SELLERS: ReadonlySet<string> = new Set([
  "anthropic",
  "bedrock",
  "bedrock_converse",
  "vertex_ai-anthropic_models",
  "azure_ai",
]);
