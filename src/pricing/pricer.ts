/** @module The pricing engine the proxy calls once per response. Never throws; never prices silently wrong. */
import { type Cost, costWith, PriceGap } from "./cost.ts";
import { type RateBound, rateBound } from "./bound.ts";
import { describePrices } from "./describe.ts";
import { arnGap, fineTuneBase, lookupModel, type Match } from "./lookup.ts";
import { usd } from "./money.ts";
import { planOf, type RatePlan } from "./plan.ts";
import { createTable, type PriceTable } from "./table.ts";
import type { PriceEntry, PriceOverrides } from "./types.ts";
import { PRICE_VERSION } from "./version.ts";
import type { Usage } from "../usage/types.ts";

export interface PriceContext {
  provider: string;
  /** The model the response reports, else the request's. */
  model: string | null;
  /** Response service tier (`flex`, `priority`, `fast`, `batch`, `default`…). */
  serviceTier: string | null;
  /** Anthropic `inference_geo`; OpenAI / Azure data zone (`us`, `eu`); the AWS region for `aws-bedrock`. */
  geo: string | null;
  /** Cost the provider reported, already in pico-USD (OpenRouter `usage.cost`, xAI `cost_in_usd_ticks`). */
  reportedCostPico: number | null;
  /** The search context size a request fee is billed at (src/pricing/cost.ts), where one applies. */
  searchContext?: string | null;
}

export interface PriceResult {
  priced: boolean;
  cost_pico: number | null;
  /**
   * Token class → pico-USD, non-zero classes only. Request fees billed by search context size are named with the
   * size (`request_fees_low`), so the record says which price applied.
   */
  breakdown: Record<string, number> | null;
  price_version: string;
  /** Table key used. */
  matched: string | null;
  source: "table" | "override" | "reported" | null;
  /**
   * Present when the price is not the plain table price: why a priced request's cost is an upper bound (a rate
   * the row lacks), or why a known model is unpriced (no rates for the response's service tier).
   */
  note?: string;
}

export interface Pricer {
  price(usage: Usage | null, ctx: PriceContext): PriceResult;
  readonly version: string;
  readonly unpricedCount: number;
  /** Text for `kestrel prices [MODEL]`. */
  describe(model?: string): string;
  /** Whether the table prices this model (budgets with `unpriced: "block"` ask before forwarding). No warning. */
  isPriced(provider: string, model: string): boolean;
  /**
   * Upper bounds of the model's rates at the service tier a request asks for (src/pricing/bound.ts), or null when
   * it has no price. No warning.
   */
  bound(provider: string, model: string, serviceTier: string | null): RateBound | null;
}

/** Cached lookups and rate plans; beyond this the cache starts over. */
const MEMO_LIMIT = 4096;

/** What the pricer knows about one (provider, model, geo): its row, its plans by service tier. */
interface Slot {
  match: Match | null;
  /** By the response's service tier, as reported. */
  plans: Map<string | null, RatePlan>;
  /** Why an unmatched model has no price when the name says (a fine-tune, a Bedrock ARN), else null. */
  missing: string | null;
}

/** The reason an unmatched model is unpriced that its name alone gives, or null. The ARN's reason wins. */
function missingReason(provider: string, model: string): string | null {
  const arn = arnGap(provider, model);
  if (arn !== null) return `unpriced: ${arn}`;
  const ft = fineTuneBase(model);
  return ft === null ? null : `unpriced: fine-tune of ${ft} and no "ft:${ft}" price row (never billed at the base model's rates)`;
}
/** Distinct unknown models warned about; beyond this (random model names) warnings stop, counting does not. */
const WARN_LIMIT = 10_000;

export function createPricer(opts?: {
  overrides?: PriceOverrides;
  onUnpriced?(provider: string, model: string): void;
}): Pricer {
  const overrides = opts?.overrides;
  // Built on the first lookup, not at startup: correcting and indexing the embedded rows costs 40-60 ms on a cold
  // process (bench/cold-start.ts), which `serve` would otherwise pay before it listens.
  let built: PriceTable | null = null;
  const table = () => (built ??= createTable(overrides));
  const version = overrides && overrides.entries.size > 0 ? `${PRICE_VERSION}+o${overrides.fingerprint}` : PRICE_VERSION;
  const warned = new Set<string>();
  // Hot path: a few Map reads per response once a (provider, model, geo, service tier) has been seen; then integer
  // math. A new pricer (SIGHUP, src/reload.ts) starts with an empty cache, so a reload never prices from old rates.
  const slots = new Map<string, Map<string, Map<string | null, Slot>>>();
  let cached = 0;
  const bounds = new WeakMap<object, Map<string, RateBound>>();
  let unpriced = 0;

  const slot = (provider: string, model: string, geo: string | null): Slot => {
    let byModel = slots.get(provider);
    let byGeo = byModel?.get(model);
    let s = byGeo?.get(geo);
    if (s !== undefined) return s;
    // Bounded: a flood of made-up model names empties the cache rather than growing it.
    if (cached >= MEMO_LIMIT) {
      slots.clear();
      cached = 0;
      byModel = byGeo = undefined;
    }
    if (byModel === undefined) slots.set(provider, byModel = new Map());
    if (byGeo === undefined) byModel.set(model, byGeo = new Map());
    const match = lookupModel(table(), provider, model, provider === "aws-bedrock" || provider === "azure-openai" ? geo : null);
    s = { match, plans: new Map(), missing: match === null ? missingReason(provider, model) : null };
    byGeo.set(geo, s);
    cached++;
    return s;
  };
  const find = (provider: string, model: string, geo: string | null): Match | null => slot(provider, model, geo).match;
  const planFor = (s: Slot, entry: PriceEntry, tier: string | null, geo: string | null): RatePlan => {
    let plan = s.plans.get(tier);
    if (plan === undefined) {
      s.plans.set(tier, plan = planOf(entry.price, tier, geo));
      cached++;
    }
    return plan;
  };
  const none = (matched: string | null): PriceResult => {
    unpriced++;
    return { priced: false, cost_pico: null, breakdown: null, price_version: version, matched, source: null };
  };

  return {
    version,
    get unpricedCount() {
      return unpriced;
    },
    describe: (model) => describePrices(table(), version, overrides, model),
    isPriced: (provider, model) => find(provider, model, null) !== null,
    bound(provider, model, serviceTier) {
      const match = find(provider, model, null);
      if (match === null) return null;
      const tier = serviceTier === "flex" || serviceTier === "priority" ? serviceTier : "standard";
      let byTier = bounds.get(match.entry);
      if (byTier === undefined) bounds.set(match.entry, byTier = new Map());
      let b = byTier.get(tier);
      if (b === undefined) byTier.set(tier, b = rateBound(match.entry.price, serviceTier));
      return b;
    },
    price(usage, ctx) {
      if (usage === null) return none(null);
      const s = ctx.model ? slot(ctx.provider, ctx.model, ctx.geo) : null;
      const match = s?.match ?? null;
      let c: Cost | null = null;
      let gap: string | null = null;
      if (match) {
        try {
          c = costWith(usage, planFor(s!, match.entry, ctx.serviceTier, ctx.geo), ctx.searchContext ?? null);
        } catch (err) {
          // Inconsistent usage, an unpriceable class, or beyond exact range: unpriced, not wrong — and said so.
          if (err instanceof PriceGap) gap = `unpriced: ${match.key} has ${err.message} ("${ctx.serviceTier}")`;
          else if (err instanceof RangeError) gap = `unpriced: ${match.key}: ${err.message}`;
          c = null;
        }
      }
      const reported = ctx.reportedCostPico;
      if (reported !== null && Number.isSafeInteger(reported) && reported >= 0) {
        // The provider's charge is the cost; Kestrel's own computation stays beside it, as the breakdown by class.
        const breakdown = c ? nonZero(c) : null;
        const r: PriceResult = { priced: true, cost_pico: reported, breakdown, price_version: version, matched: match?.key ?? null, source: "reported" };
        const apart = match && c && COMPARED.has(ctx.provider) ? reportedApart(reported, c.total, match.key) : null;
        if (apart !== null) r.note = apart;
        return r;
      }
      if (match && c) {
        const source = match.entry.origin === "override" ? "override" : "table";
        const r: PriceResult = { priced: true, cost_pico: c.total, breakdown: nonZero(c), price_version: version, matched: match.key, source };
        if (c.note !== null) r.note = `${match.key}: ${c.note}`;
        return r;
      }
      if (s !== null && s.missing !== null) gap = s.missing;
      if (match === null && ctx.model && usage.compute_ms > 0) {
        gap = `unpriced: no per-second compute price for ${ctx.model} (a --prices row "${ctx.provider}/${ctx.model}": ` +
          `{"second": USD} gives one)`;
      }
      if (gap !== null) {
        const r = none(match?.key ?? null);
        r.note = gap;
        return r;
      }
      if (ctx.model) {
        const k = `${ctx.provider}\u0000${ctx.model}`;
        if (!warned.has(k) && warned.size < WARN_LIMIT) {
          warned.add(k);
          opts?.onUnpriced?.(ctx.provider, ctx.model);
        }
      }
      return none(match?.key ?? null);
    },
  };
}

/**
 * Providers whose reported cost is checked against the table: those where both price the same things. Perplexity's
 * `cost.total_cost` includes the request fee by search context size, which Kestrel computes too (docs/architecture.md
 * §21); its rounding to five decimals is far inside the tolerance.
 */
const COMPARED: ReadonlySet<string> = new Set(["openrouter", "grok", "perplexity-ai"]);

/** A reported cost differs from the computed one when it is off by more than 1% AND by more than $0.000001. */
export const REPORTED_TOLERANCE = { percent: 1, pico: 1_000_000 } as const;

/** Up to this, an amount × 100 (or × a percent up to 100) is exact as a Number. */
const NUMBER_EXACT = Math.floor(Number.MAX_SAFE_INTEGER / 100);

/** The note when a provider-reported cost differs from Kestrel's computation beyond REPORTED_TOLERANCE, else null. */
export function reportedApart(reported: number, computed: number, key: string): string | null {
  // Both are safe non-negative integers, so their difference is exact; Number math while the products stay exact.
  const d = Math.abs(reported - computed);
  if (d <= REPORTED_TOLERANCE.pico) return null;
  const within = d <= NUMBER_EXACT && computed <= NUMBER_EXACT
    ? d * 100 <= computed * REPORTED_TOLERANCE.percent
    : BigInt(d) * 100n <= BigInt(computed) * BigInt(REPORTED_TOLERANCE.percent);
  if (within) return null;
  return `reported cost $${usd(reported)} differs from the $${usd(computed)} computed at ${key} by more than ` +
    `${REPORTED_TOLERANCE.percent}% (the reported cost is recorded)`;
}

/**
 * The non-zero classes, in COST_CLASSES order (the record's JSON keeps it). Unrolled: a store under a computed key
 * is several times slower than a named one on both engines, and this runs once per priced response. A new class
 * must be added here too (test/pricing/cached.test.ts checks every one).
 */
export function nonZero(c: Cost): Record<string, number> {
  const out: Record<string, number> = {};
  if (c.input !== 0) out.input = c.input;
  if (c.cache_read !== 0) out.cache_read = c.cache_read;
  if (c.cache_write_5m !== 0) out.cache_write_5m = c.cache_write_5m;
  if (c.cache_write_1h !== 0) out.cache_write_1h = c.cache_write_1h;
  if (c.output !== 0) out.output = c.output;
  if (c.audio_input !== 0) out.audio_input = c.audio_input;
  if (c.audio_output !== 0) out.audio_output = c.audio_output;
  if (c.image_input !== 0) out.image_input = c.image_input;
  if (c.image_output !== 0) out.image_output = c.image_output;
  if (c.citation !== 0) out.citation = c.citation;
  if (c.web_search !== 0) out.web_search = c.web_search;
  if (c.characters !== 0) out.characters = c.characters;
  if (c.audio_ms !== 0) out.audio_ms = c.audio_ms;
  if (c.images !== 0) out.images = c.images;
  if (c.search_queries !== 0) out.search_queries = c.search_queries;
  if (c.request_fees !== 0) out[c.searchContext !== null ? `request_fees_${c.searchContext}` : "request_fees"] = c.request_fees;
  if (c.compute_ms !== 0) out.compute_ms = c.compute_ms;
  return out;
}
