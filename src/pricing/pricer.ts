/** @module The pricing engine the proxy calls once per response. Never throws; never prices silently wrong. */
import { COST_CLASSES, cost, type Cost, PriceGap } from "./cost.ts";
import { type RateBound, rateBound } from "./bound.ts";
import { describePrices } from "./describe.ts";
import { arnGap, fineTuneBase, lookupModel, type Match } from "./lookup.ts";
import { usd } from "./money.ts";
import { createTable, type PriceTable } from "./table.ts";
import type { PriceOverrides } from "./types.ts";
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

const MEMO_LIMIT = 4096;
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
  // Hot path: one Map lookup per response once a (provider, model, geo) has been seen.
  const memo = new Map<string, Match | null>();
  const bounds = new WeakMap<object, Map<string, RateBound>>();
  let unpriced = 0;

  const find = (provider: string, model: string, geo: string | null): Match | null => {
    const k = `${provider}\u0000${model}\u0000${geo ?? ""}`;
    let m = memo.get(k);
    if (m === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      m = lookupModel(table(), provider, model, provider === "aws-bedrock" || provider === "azure-openai" ? geo : null);
      memo.set(k, m);
    }
    return m;
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
      const match = ctx.model ? find(ctx.provider, ctx.model, ctx.geo) : null;
      let c: Cost | null = null;
      let gap: string | null = null;
      if (match) {
        try {
          c = cost(usage, match.entry.price, ctx);
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
      const ft = match === null && ctx.model ? fineTuneBase(ctx.model) : null;
      if (ft !== null) gap = `unpriced: fine-tune of ${ft} and no "ft:${ft}" price row (never billed at the base model's rates)`;
      const arn = match === null && ctx.model ? arnGap(ctx.provider, ctx.model) : null;
      if (arn !== null) gap = `unpriced: ${arn}`;
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

/** The note when a provider-reported cost differs from Kestrel's computation beyond REPORTED_TOLERANCE, else null. */
export function reportedApart(reported: number, computed: number, key: string): string | null {
  const diff = BigInt(Math.abs(reported - computed));
  if (diff <= BigInt(REPORTED_TOLERANCE.pico) || diff * 100n <= BigInt(computed) * BigInt(REPORTED_TOLERANCE.percent)) return null;
  return `reported cost $${usd(reported)} differs from the $${usd(computed)} computed at ${key} by more than ` +
    `${REPORTED_TOLERANCE.percent}% (the reported cost is recorded)`;
}

function nonZero(c: Cost): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of COST_CLASSES) {
    if (c[k] === 0) continue;
    out[k === "request_fees" && c.searchContext !== null ? `${k}_${c.searchContext}` : k] = c[k];
  }
  return out;
}
