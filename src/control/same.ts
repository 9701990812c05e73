/** @module Whether a reloaded definition is unchanged, so its ledger (and in-memory spend) can be kept. */
import { type Budget, type RateLimit, type Scope, SCOPE_KEYS } from "./types.ts";

function sameScope(a: Scope, b: Scope): boolean {
  return SCOPE_KEYS.every((k) => a[k] === b[k]);
}

export function sameBudget(a: Budget, b: Budget): boolean {
  return sameScope(a.scope, b.scope) && a.window === b.window && a.limit_usd === b.limit_usd &&
    a.limit_tokens === b.limit_tokens && a.action === b.action && a.timezone === b.timezone &&
    a.unpriced === b.unpriced && a.alert_at.length === b.alert_at.length &&
    a.alert_at.every((t, i) => t === b.alert_at[i]);
}

export function sameRateLimit(a: RateLimit, b: RateLimit): boolean {
  return sameScope(a.scope, b.scope) && a.rpm === b.rpm && a.tpm === b.tpm;
}
