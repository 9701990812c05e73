/**
 * @module Spend control for realtime sessions (docs/architecture.md §18), at the two points where budgets and rate
 * limits act on a session:
 * - `admitSession`, before the upstream socket is opened: budgets and rate limits checked as for an HTTP request (an
 *   `rpm` limit counts the session as one request); a refusal answers the client's upgrade with the same 429 JSON
 *   and writes a `blocked` record, and no upstream socket is opened. A session's cost has no bound known up front,
 *   so it reserves nothing: it is policed response by response instead.
 * - `onMeteredResponse`, once a metered response's spend is settled (the sink settles each as it comes; a `tpm`
 *   limit counts its tokens): when a `block` budget it counts in is now exhausted, the session is closed on both
 *   sides with 1008 and a reason naming the budget, its record says `blocked`, and the alert goes out as for HTTP.
 */
import { type Attributes, countedModel } from "../attributes/attributes.ts";
import { Refused, refusalResponse } from "../control/refused.ts";
import type { Control, Estimate, Reservation } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import { CLOSE_POLICY } from "./frames.ts";

export type Admission =
  | { admitted: true; reservation: Reservation | null }
  | { admitted: false; response: Response; reason: string };

/** Close both sides with this code and reason, and record the session as `blocked`. */
export interface SpendClose {
  code: number;
  reason: string;
}

export interface SessionSpend {
  admitSession(attributes: Attributes): Admission;
  onMeteredResponse(response: Exchange): Promise<SpendClose | null>;
}

/** Nothing reserved: a session is policed response by response. */
const NOTHING: Estimate = Object.freeze({ pico: 0n, tokens: 0, priced: true });
const ADMITTED: Admission = Object.freeze({ admitted: true, reservation: null });

/** `settled()` resolves once every exchange handed to the sink so far has settled its spend (the sink's `drained`). */
export function createSessionSpend(control: Control | null, now: () => number, settled: () => Promise<void>): SessionSpend {
  return {
    admitSession(attributes) {
      if (control === null || !control.active) return ADMITTED;
      const verdict = control.check(attributes, now(), NOTHING);
      if (verdict.refusal === null) return { admitted: true, reservation: verdict.reservation };
      const refused = new Refused(verdict.refusal, verdict.remainingUsd);
      return { admitted: false, response: refusalResponse(refused), reason: refused.message };
    },
    async onMeteredResponse(response) {
      if (control === null || !control.active || response.attributes === null) return null;
      await settled();
      const model = countedModel(response.attributes, response.meter?.model ?? null);
      const refusal = control.blockedBy({ ...response.attributes, requested_model: model, model_known: true }, now());
      // A close reason is at most 123 bytes (RFC 6455 §5.5.1).
      return refusal === null ? null : { code: CLOSE_POLICY, reason: `Budget "${refusal.id}" is exhausted`.slice(0, 123) };
    },
  };
}
