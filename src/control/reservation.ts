/**
 * @module What an admitted request holds against the budgets it matched until it settles (docs/architecture.md
 * §12): its estimate's upper bound, or — when no bound is known — one of the few places a budget keeps for
 * unbounded requests in flight. Released exactly once, as the exchange settles (or is dropped).
 */
import type { BudgetLedger } from "./ledger.ts";
import type { Estimate, Reservation } from "./types.ts";

export class Held implements Reservation {
  private released = false;
  /** Per ledger, whether this request took one of its unbounded places (its limits may change before release). */
  private readonly places: boolean[];

  constructor(private readonly ledgers: readonly BudgetLedger[], private readonly estimate: Estimate) {
    this.places = ledgers.map((ledger) => {
      if (estimate.pico !== null) ledger.reservedPico += estimate.pico;
      if (estimate.tokens !== null) ledger.reservedTokens += estimate.tokens;
      const place = unbounded(ledger, estimate);
      if (place) ledger.unbounded++;
      return place;
    });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.ledgers.forEach((ledger, i) => {
      if (this.estimate.pico !== null) ledger.reservedPico -= this.estimate.pico;
      if (this.estimate.tokens !== null) ledger.reservedTokens -= this.estimate.tokens;
      if (this.places[i]) ledger.unbounded--;
    });
  }
}

/** The request has no bound on what this budget limits (USD or tokens). */
export function unbounded(ledger: BudgetLedger, estimate: Estimate): boolean {
  return (ledger.limitPico !== null && estimate.pico === null) ||
    (ledger.limitTokens !== null && estimate.tokens === null);
}
