/**
 * @module One finished exchange: everything the record, the metrics and the span need, handed by the proxy (and
 * the realtime relay) to the sink. Below the routes, the sink and the metrics, so none of them imports another.
 */
import type { Attributes } from "./attributes/attributes.ts";
import type { Reservation } from "./control/types.ts";
import type { MeterOutcome } from "./meter/meter.ts";
import type { ProviderSpec, RequestFacts } from "./providers/types.ts";
import type { Outcome } from "./usage/record.ts";

export interface Exchange {
  spec: ProviderSpec;
  facts: RequestFacts;
  /** Client path without the query. */
  clientPath: string;
  /** The upstream URL (its host is the span's `server.address`). */
  upstreamUrl: string;
  startedAt: number;
  durationMs: number;
  ttfbMs: number | null;
  /** Kestrel's own time: arrival → sent upstream, + upstream answer → client response ready (§13); null: no answer. */
  addedMs: number | null;
  status: number;
  outcome: Outcome;
  streaming: boolean;
  /** Upstream response headers (request id), or null. */
  responseHeaders: Headers | null;
  meter: MeterOutcome | null;
  /** Why Kestrel itself failed or cut the exchange, or null. */
  error: string | null;
  /**
   * The request's attributes as computed at admission (src/attributes/attributes.ts); null when the exchange ended
   * before its request was read (the sink computes them from what arrived).
   */
  attributes: Attributes | null;
  /** What admission reserved against budgets: the sink releases it as it settles the spend. */
  reservation: Reservation | null;
  /** A realtime session's record (src/realtime/exchange.ts builds these); absent for HTTP exchanges. */
  realtime?: RealtimeColumns;
}

/** The record's realtime columns (src/usage/record.ts): the session, and for the session record its traffic. */
export interface RealtimeColumns {
  sessionId: string;
  responseId: string | null;
  closeCode: number | null;
  bytesUp: number | null;
  bytesDown: number | null;
  framesUp: number | null;
  framesDown: number | null;
}
