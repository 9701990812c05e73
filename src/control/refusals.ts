/**
 * @module The 429 answers of spend control: message and JSON members per refusal kind. Budget messages read
 * `Budget "team-a-month" is exhausted: $50.01 of $50 spent this month` (USD) or
 * `Budget "b" is exhausted: 1200 of 1000 tokens used today` (tokens); the period is "today", "this week",
 * "this month", "in total" or "in the last 24h" (the rolling length as written).
 */
import { type BudgetLedger, money } from "./ledger.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { Attributes, Refusal } from "./types.ts";
import { isoTime } from "./window.ts";

/** Whole seconds, rounded up and at least 1 (a 0 would invite an immediate retry that still fails). */
function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.max(1, Math.ceil(ms / 1000));
}

function period(ledger: BudgetLedger): string {
  const spec = ledger.spec;
  if (spec.kind === "total") return "in total";
  if (spec.kind === "rolling") return `in the last ${spec.label}`;
  return spec.unit === "day" ? "today" : `this ${spec.unit}`;
}

export function budgetRefusal(ledger: BudgetLedger, by: "usd" | "tokens", now: number): Refusal {
  const b = ledger.budget;
  // Requests in flight hold their upper bound until they finish (docs/architecture.md §12): say so when that is
  // what fills the budget, or the message would read "$3 of $4 spent: exhausted".
  const held = by === "usd"
    ? (ledger.reservedPico > 0n ? ` (+$${money(ledger.reservedPico)} held by requests in flight)` : "")
    : (ledger.reservedTokens > 0 ? ` (+${ledger.reservedTokens} held by requests in flight)` : "");
  const spent = by === "usd" ? `$${money(ledger.spentPico)}${held} of $${b.limit_usd} spent` :
    `${ledger.spentTokens}${held} of ${b.limit_tokens} tokens used`;
  const details: Refusal["details"] = { budget: b.id };
  if (b.limit_usd !== null) {
    details.limit_usd = b.limit_usd;
    details.spent_usd = money(ledger.spentPico);
    details.reserved_usd = money(ledger.reservedPico);
  }
  if (b.limit_tokens !== null) {
    details.limit_tokens = b.limit_tokens;
    details.spent_tokens = ledger.spentTokens;
    details.reserved_tokens = ledger.reservedTokens;
  }
  details.resets_at = ledger.spec.kind === "calendar" ? isoTime(ledger.end) : null;
  return {
    code: "budget_exceeded",
    id: b.id,
    message: `Budget "${b.id}" is exhausted: ${spent} ${period(ledger)}`,
    retryAfterSeconds: seconds(ledger.retryAfterMs(now)),
    details,
  };
}

/** Too many requests without a bound on their cost are in flight against a block budget: one must finish first. */
export function busyRefusal(ledger: BudgetLedger, cap: number): Refusal {
  const b = ledger.budget;
  return {
    code: "budget_busy",
    id: b.id,
    message: `Budget "${b.id}" already has ${cap} requests in flight whose cost Kestrel cannot bound ` +
      `(no max_tokens, no output limit or no price for the model); retry when one has finished`,
    retryAfterSeconds: 1,
    details: { budget: b.id, in_flight_unbounded: cap },
  };
}

export function unpricedRefusal(ledger: BudgetLedger, attrs: Attributes): Refusal {
  const b = ledger.budget;
  const model = attrs.model_known ? attrs.requested_model ?? "(none)" : "(not readable from the request)";
  return {
    code: "unpriced_model",
    id: b.id,
    message: `Budget "${b.id}" refuses model "${model}" of provider "${attrs.provider}": it has no known price, ` +
      `and the budget limits spend in USD`,
    retryAfterSeconds: null,
    details: { budget: b.id, provider: attrs.provider, model: attrs.requested_model, limit_usd: b.limit_usd },
  };
}

export function rateRefusal(limiter: RateLimiter, on: "rpm" | "tpm", now: number): Refusal {
  const l = limiter.limit;
  const what = on === "rpm" ? `${l.rpm} requests per minute` : `${l.tpm} tokens per minute`;
  return {
    code: "rate_limited",
    id: l.id,
    message: `Rate limit "${l.id}" reached: ${what}`,
    retryAfterSeconds: seconds(limiter.retryAfterMs(on, now)),
    details: { rate_limit: l.id, rpm: l.rpm, tpm: l.tpm },
  };
}
