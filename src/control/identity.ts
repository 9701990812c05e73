/**
 * @module A definition's identities, derived in one place from its canonical form (src/control/definitions.ts: scope
 * keys in scope-table order, canonical values, defaults filled):
 * - its text: the stored `definition` column, and the test for "unchanged" on every write and reload;
 * - its spend key: what it counts (its id, scope and window — not its limits or alerts). The in-memory window and
 *   the shared counters live under it, so a changed limit keeps the spend and a changed scope starts afresh.
 */
import { SCOPE_KEYS, type Scope } from "../attributes/scopes.ts";
import type { Budget, RateLimit } from "./types.ts";

function orderedScope(scope: Scope): Scope {
  const out: Scope = {};
  for (const key of SCOPE_KEYS) if (scope[key] !== undefined) out[key] = scope[key];
  return out;
}

/** The stored text of a budget: fields in one fixed order. */
export function budgetText(b: Budget): string {
  return JSON.stringify({
    id: b.id,
    scope: orderedScope(b.scope),
    window: b.window,
    limit_usd: b.limit_usd,
    limit_tokens: b.limit_tokens,
    action: b.action,
    alert_at: b.alert_at,
    timezone: b.timezone,
    unpriced: b.unpriced,
  });
}

export function rateLimitText(l: RateLimit): string {
  return JSON.stringify({ id: l.id, scope: orderedScope(l.scope), rpm: l.rpm, tpm: l.tpm });
}

/** What a budget counts: a new key starts a new window (and new shared counters). */
export function budgetSpendKey(b: Budget): string {
  return `budget:${b.id} ${JSON.stringify({ scope: orderedScope(b.scope), window: b.window, timezone: b.timezone })}`;
}

export function rateLimitSpendKey(l: RateLimit): string {
  return `rate_limit:${l.id} ${JSON.stringify({ scope: orderedScope(l.scope) })}`;
}

/** Whose counters a definition owns (`budget:ID`, `rate_limit:ID`). */
export const ownerOf = (kind: "budget" | "rate_limit", id: string) => `${kind}:${id}`;
