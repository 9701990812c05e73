/** @module The pre-forward budget and rate-limit check for one request, as the proxy calls it. */
import type { Attributes } from "../attributes/attributes.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import { estimate } from "./estimate.ts";
import { Refused } from "./refused.ts";
import type { Control, Verdict } from "./types.ts";

const ALLOW: Verdict = Object.freeze({ refusal: null, remainingUsd: null, reservation: null });

/**
 * Throws `Refused` when a budget or rate limit refuses the request; otherwise returns what it reserved and what the
 * tightest USD budget has left (for `x-kestrel-budget-remaining-usd`). Fails open: a fault in the check is a
 * warning, not a refusal, so it cannot take every request down with it.
 */
export function admit(
  control: Control,
  pricer: Pick<Pricer, "bound">,
  spec: ProviderSpec,
  facts: RequestFacts,
  attributes: Attributes,
  now: number,
  warn: (message: string) => void,
): Verdict {
  let verdict: Verdict;
  try {
    verdict = control.check(attributes, now, estimate({
      model: spec.requestModel(facts),
      modelKnown: attributes.model_known,
      provider: spec.id,
      bytes: facts.bodyBytes ?? null,
      body: facts.body,
    }, pricer));
  } catch (err) {
    warn(`Budget check failed, request let through: ${describeError(err)}`);
    return ALLOW;
  }
  if (verdict.refusal !== null) throw new Refused(verdict.refusal, verdict.remainingUsd);
  return verdict;
}
