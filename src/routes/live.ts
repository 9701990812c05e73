/** @module One exchange's state, shared by the request half (src/routes/proxy.ts) and the answer (src/routes/answer.ts). */
import type { Attributes } from "../attributes/attributes.ts";
import type { Reservation } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import type { Cut } from "../forward/forward.ts";
import type { Watchdog } from "../forward/watchdog.ts";

/** Writes the exchange's one record; later calls do nothing. */
export type RecordExchange = (partial: Partial<Exchange> & Pick<Exchange, "status" | "outcome">) => void;

export class Live {
  readonly controller = new AbortController();
  why: Cut | null = null;
  last: number;
  /** Ends the client's body now (set once the body streams): a reader that stopped pulling would never end it. */
  endBody: ((reason: unknown) => void) | null = null;
  /** The client's request body is still arriving: silence now is the client's, not the upstream's. */
  receiving = true;
  /** What the tightest matching USD budget has left (`x-kestrel-budget-remaining-usd`), or null. */
  remainingUsd: string | null = null;
  /** Computed once the request is read (admission); the record stores them. */
  attributes: Attributes | null = null;
  /** What admission reserved: released when the exchange settles. */
  reservation: Reservation | null = null;
  constructor(readonly watchdog: Watchdog) {
    this.last = watchdog.now();
  }
  cut(why: Cut) {
    if (this.why !== null) return;
    this.why = why;
    this.controller.abort();
    this.endBody?.(new Error(`Cut: ${why}`));
  }
  onIdle() {
    this.cut(this.receiving ? "body" : "idle");
  }
  /** Request body progress: bytes moved (stamped like response bytes), or it ended. */
  readonly onBodyProgress = (done: boolean) => {
    this.last = this.watchdog.now();
    if (done) this.receiving = false;
  };
}
