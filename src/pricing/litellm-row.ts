/**
 * @module One LiteLLM price row (`model_prices_and_context_window.json` format) → ModelPrice, exactly. Used by
 * the generator for the embedded table and by the override parser for user files in the same format.
 */
import { decimalToScaled } from "./decimal.ts";
import type { JsonNode } from "./json-source.ts";
import {
  MAX_TOKEN_RATE_PICO,
  type ModelPrice,
  PRICE_MODES,
  type PriceMode,
  type RateSet,
  type Rates,
  SEARCH_CONTEXT_SIZES,
  type SearchContextRates,
  type TierRates,
  type UnitRates,
} from "./types.ts";

/** LiteLLM field (without tier / service suffix) → token class. */
const FIELD: Readonly<Record<string, keyof Rates>> = {
  input_cost_per_token: "input",
  output_cost_per_token: "output",
  cache_read_input_token_cost: "cache_read",
  input_cost_per_token_cache_hit: "cache_read", // DeepSeek's synonym
  cache_creation_input_token_cost: "cache_write_5m",
  cache_creation_input_token_cost_above_1hr: "cache_write_1h", // "1hr" is the TTL, not a threshold
  output_cost_per_reasoning_token: "reasoning",
  input_cost_per_audio_token: "audio_input",
  output_cost_per_audio_token: "audio_output",
  image_input_token: "image_input", // input_cost_per_image_token, read on image rows only
  image_output_token: "image_output", // output_cost_per_image_token, likewise
  cache_read_input_audio_token_cost: "cache_read_audio",
  citation_cost_per_token: "citation",
  // LiteLLM's OpenAI realtime rows put the cached-audio READ price under this name (OpenAI charges no cache
  // writes): gpt-4o-realtime-preview-2024-10-01 has $20/M here, which is OpenAI's cached audio input price, and
  // rows that have both names give them the same value.
  cache_creation_input_audio_token_cost: "cache_read_audio",
};

/** Price fields in units Kestrel does not meter: ignored (video seconds, pages, sessions…). */
const EXTRA_UNIT = /cost_per_(image|pixel|video|audio_per_second|page|query)|_per_session|per_1k_calls|image_token|video_token/;
/** Units that replace token pricing: on a row of a token mode (chat, embedding…) the row is not kept. */
export const NON_TOKEN_BILLING = /^(input|output)_cost_per_(character|second|request)(_|$)/;
/** Modes whose rows are priced per unit (docs/architecture.md §21). */
const UNIT_MODES: ReadonlySet<string> = new Set(["audio_speech", "audio_transcription", "image_generation", "rerank", "search"]);
/**
 * Per-unit fields of those modes → unit rate. Not read: `output_cost_per_second` (LiteLLM's estimate of speech
 * length, and a duplicate of the input rate on whisper rows) and `*_cost_per_pixel` (LiteLLM's per-image prices
 * divided by the pixel count, not exact: the per-image prices are corrections in corrections.ts).
 */
const UNIT_FIELD: Readonly<Record<string, keyof UnitRates>> = {
  input_cost_per_character: "character",
  input_cost_per_second: "second",
  input_cost_per_image: "image",
  output_cost_per_image: "image",
  input_cost_per_query: "query",
  input_cost_per_request: "request",
};
const IGNORED_IN_UNIT_MODES = /^output_cost_per_second$|_cost_per_pixel$/;

export const RATE_CLASSES = [
  "input",
  "output",
  "cache_read",
  "cache_write_5m",
  "cache_write_1h",
  "reasoning",
  "audio_input",
  "audio_output",
  "cache_read_audio",
  "image_input",
  "image_output",
  "citation",
] as const satisfies readonly (keyof Rates)[];

const SERVICE = /_(flex|priority|batches)(?=$|_above_\d+k?_tokens$)/;
const TIER = /_above_(\d+)(k?)_tokens$/;
/** Realtime (WebSocket sessions, §18) and the per-unit modes (§21) are metered too. */
const MODES: ReadonlySet<string> = new Set(PRICE_MODES);

export interface RowProblem {
  /** Top-level field of the row at fault. */
  field: string;
  message: string;
}

export interface RowResult {
  price: ModelPrice | null;
  /** One per problem; a row with problems must not be used as is. */
  problems: RowProblem[];
  /** Why the row cannot price token usage at all (not an error: the row is simply not kept). */
  skip?: string;
}

/** Converts one row. `defaultMode` applies when the row has no `mode` (override files). */
export function convertLiteLLMRow(node: JsonNode, defaultMode?: PriceMode): RowResult {
  const problems: RowProblem[] = [];
  if (node.kind !== "object") return { price: null, problems: [{ field: "", message: "must be an object" }] };
  const base: RateSet = {};
  const services: Record<string, RateSet> = {};
  const extra: Partial<ModelPrice> = {};
  let lp = "";
  let mode: string | undefined = defaultMode;
  let skip: string | undefined;
  // The mode decides how the other fields read; it may come after them.
  for (const [field, v] of node.entries) if (field === "mode" && v.kind === "string") mode = v.value;
  const unitMode = mode !== undefined && UNIT_MODES.has(mode);
  const units: UnitRates = {};
  const pico = (field: string, v: JsonNode, scale = 12): number | null => {
    const top = field.split(".")[0] ?? field;
    const bad = (message: string) => (problems.push({ field: top, message: `"${field}" ${message}` }), null);
    if (v.kind !== "number") return bad("must be a non-negative number");
    const n = decimalToScaled(v.text, scale);
    if (n === null && /^\d/.test(v.text)) return bad(`must be exact to ${scale === 12 ? "1e-12 USD" : "0.001"}`);
    if (n === null || n < 0n) return bad("must be a non-negative number");
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) return bad("is too large");
    return Number(n);
  };
  for (const [field, v] of node.entries) {
    if (field === "litellm_provider" && v.kind === "string") lp = v.value;
    else if (field === "mode" && v.kind === "string") mode = v.value;
    else if (field === "deprecation_date" && v.kind === "string") extra.deprecated = v.value;
    else if (field === "max_output_tokens" && v.kind === "number") {
      const n = Number(v.text);
      if (Number.isSafeInteger(n) && n > 0) extra.max_output = n;
    }
    else if (field === "search_context_cost_per_query") searchContext(field, v);
    else if (field === "web_search_billing_unit" && v.kind === "string" && v.value === "per_query") extra.web_search_per_query = true;
    else if (field === "provider_specific_entry" && v.kind === "object") {
      for (const [k, m] of v.entries) {
        if (m.kind !== "number") continue; // e.g. {"bedrock_invocation_schema": "titan_v2"}
        const t = pico(`${field}.${k}`, m, 3);
        if (t === null) continue;
        if (k === "fast") extra.fast = t;
        else (extra.geo ??= {})[k] = t;
      }
    } else if (field.startsWith("regional_processing_uplift_multiplier_")) {
      const t = pico(field, v, 3);
      if (t !== null) (extra.geo ??= {})[field.slice("regional_processing_uplift_multiplier_".length)] = t;
    } else if (unitMode && UNIT_FIELD[field] !== undefined) {
      const unit = UNIT_FIELD[field] as keyof UnitRates;
      const n = v.kind === "number" ? decimalToScaled(v.text, 12) : null;
      // An inexact or odd per-unit rate leaves the row out with the reason, as a missing price would.
      if (n === null || n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) skip ??= `"${field}" is not exact to 1e-12 USD`;
      else if (unit === "second" && n % 1000n !== 0n) skip ??= `"${field}" is not exact to 1e-12 USD per millisecond`;
      else if (n > 0n) units[unit] = Number(n);
    } else if (unitMode && IGNORED_IN_UNIT_MODES.test(field)) {
      continue;
    } else if (unitMode && field === "input_cost_per_image_token") {
      placeRate("image_input_token", v);
    } else if (unitMode && field === "output_cost_per_image_token") {
      placeRate("image_output_token", v);
    } else if (NON_TOKEN_BILLING.test(field)) {
      skip ??= `billed by ${field.replace(/^(input|output)_cost_per_/, "")}`;
    } else if (field.includes("cost") && !EXTRA_UNIT.test(field)) {
      placeRate(field, v);
    }
  }
  /**
   * The medium size is the per-call web search price (Anthropic, Gemini, Responses tool calls). Where the three
   * sizes differ the row bills a request fee by size (docs/architecture.md §21), so all three are kept.
   */
  function searchContext(field: string, v: JsonNode): void {
    if (v.kind !== "object") return;
    const sizes: Partial<SearchContextRates> = {};
    for (const size of SEARCH_CONTEXT_SIZES) {
      const node = v.entries.find(([k]) => k === `search_context_size_${size}`)?.[1];
      const p = node ? pico(`${field}.search_context_size_${size}`, node) : null;
      if (p !== null) sizes[size] = p;
    }
    if (sizes.medium !== undefined && sizes.medium > 0) extra.web_search = sizes.medium;
    const { low, medium, high } = sizes;
    if (low !== undefined && medium !== undefined && high !== undefined && (low !== medium || medium !== high)) {
      extra.search_context = { low, medium, high };
    }
  }
  function placeRate(field: string, v: JsonNode): void {
    const service = SERVICE.exec(field)?.[1];
    let name = service ? field.replace(SERVICE, "") : field;
    const tier = TIER.exec(name);
    if (tier) name = name.slice(0, tier.index);
    const cls = FIELD[name];
    if (cls === undefined) return void problems.push({ field, message: `"${field}" is not a known price field` });
    const value = pico(field, v);
    if (value === null) return;
    if (value > MAX_TOKEN_RATE_PICO) {
      return void problems.push({ field, message: `"${field}" is above ${MAX_TOKEN_RATE_PICO / 1e12} USD per token` });
    }
    const set = service ? (services[service === "batches" ? "batch" : service] ??= {}) : base;
    let target: Rates = set;
    if (tier) {
      const above = Number(tier[1]) * (tier[2] === "k" ? 1000 : 1);
      const tiers = (set.tiers ??= []);
      target = tiers.find((t) => t.above === above) ?? (tiers.push({ above }), tiers[tiers.length - 1] as TierRates);
    }
    const prev = target[cls];
    if (prev !== undefined && prev !== value) {
      problems.push({ field, message: `"${field}" disagrees with another field for ${cls}` });
    }
    target[cls] = value;
  }
  if (mode === undefined || !MODES.has(mode)) skip ??= `mode "${mode ?? "none"}"`;
  // An embedding produces no output tokens, so a missing output price is 0, not unknown.
  if (mode === "embedding" && base.output === undefined && base.input !== undefined) base.output = 0;
  const hasUnits = Object.keys(units).length > 0;
  // A row priced per unit alone has no token rates; one with rates of both kinds keeps both (gpt-4o-mini-tts).
  if (unitMode && base.input === undefined && base.output === undefined && base.image_output === undefined && !hasUnits) {
    skip ??= "no price";
  } else if (!unitMode && (base.input === undefined || base.output === undefined)) skip ??= "no input or output token price";
  for (const set of [base, ...Object.values(services)]) set.tiers?.sort((a, b) => a.above - b.above);
  if (base.reasoning !== undefined && base.reasoning === base.output) delete base.reasoning;
  const price = {
    ...base,
    mode: (mode ?? "chat") as PriceMode,
    lp,
    ...units,
    ...services,
    ...extra,
    ...(lp === "xai" ? { tier_inclusive: true as const } : {}),
  } as ModelPrice;
  checkMultipliers(price, problems);
  return skip === undefined ? { price, problems } : { price, problems, skip };
}

/** Every rate × every multiplier must stay a whole number of pico-USD, so cost() never rounds. */
function checkMultipliers(price: ModelPrice, problems: RowProblem[]): void {
  const mults = [...Object.values(price.geo ?? {}), ...(price.fast ? [price.fast] : [])];
  if (mults.length === 0) return;
  const sets: Rates[] = [price, price.flex ?? {}, price.priority ?? {}, price.batch ?? {}];
  for (const s of [...sets]) sets.push(...((s as RateSet).tiers ?? []));
  for (const s of sets) {
    for (const cls of RATE_CLASSES) {
      const rate = s[cls];
      if (rate === undefined) continue;
      for (const m of mults) {
        if ((rate * m) % 1000 !== 0) problems.push({ field: cls, message: `${cls} × multiplier ${m / 1000} is not exact` });
      }
    }
  }
}
