/** @module The pre-forward budget and rate-limit check for one request, as the proxy calls it. */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import { requestAttributes } from "./attributes.ts";
import { Refused } from "./refused.ts";
import type { Control } from "./types.ts";

/**
 * Throws `Refused` when a budget or rate limit refuses the request; otherwise resolves to what the tightest USD
 * budget has left (for `x-kestrel-budget-remaining-usd`), or null. Fails open: a fault in the check is a warning,
 * not a refusal, so it cannot take every request down with it.
 */
export async function admit(
  control: Control,
  spec: ProviderSpec,
  facts: RequestFacts,
  now: number,
  warn: (message: string) => void,
): Promise<string | null> {
  let verdict;
  try {
    verdict = control.check(await requestAttributes(spec, facts), now);
  } catch (err) {
    warn(`Budget check failed, request let through: ${describeError(err)}`);
    return null;
  }
  if (verdict.refusal !== null) throw new Refused(verdict.refusal);
  return verdict.remainingUsd;
}
