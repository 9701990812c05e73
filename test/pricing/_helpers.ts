/** Shared test helpers for pricing: a Usage from the fields a case names, and a pricer context. */
import { emptyUsage, type Usage } from "../../src/usage/types.ts";
import type { PriceContext } from "../../src/pricing/pricer.ts";

export function usage(fields: Partial<Usage>): Usage {
  const u = { ...emptyUsage(), ...fields };
  u.total_tokens = u.input_tokens + u.output_tokens;
  return u;
}

export function ctx(provider: string, model: string | null, extra: Partial<PriceContext> = {}): PriceContext {
  return { provider, model, serviceTier: null, geo: null, reportedCostPico: null, ...extra };
}
