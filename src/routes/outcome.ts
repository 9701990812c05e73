/** @module How an exchange whose upstream answered ended: the record's outcome and the reason it gives. */
import type { Cut } from "../forward/forward.ts";
import type { BodyEnd } from "../meter/body.ts";
import type { MeterOutcome } from "../meter/meter.ts";
import { describeError } from "../redact.ts";
import type { Outcome } from "../usage/record.ts";

export interface Ending {
  outcome: Outcome;
  /** Why Kestrel cut it or the upstream broke it off, or null. */
  why: string | null;
}

/**
 * `how` the client's body ended, the upstream's `status`, why Kestrel cut the exchange (`cut`), and what the meter
 * read. `cause` is the error a failed body ended with.
 */
export function endingOf(
  how: BodyEnd,
  status: number,
  cut: Cut | null,
  streaming: boolean,
  metered: MeterOutcome | null,
  cause: unknown,
): Ending {
  // A 2xx stream that stopped mid-event, held no event, or lacks the final usage its provider always sends last,
  // with no error event to explain it: the upstream hung up (a close-delimited stream's dropped connection reads
  // as a clean end).
  const truncated = how === "complete" && status < 300 && streaming && metered !== null &&
    metered.upstreamError === null &&
    ((metered.truncated && metered.source !== "reported") || metered.source === "estimated");
  const outcome = truncated ? "upstream_aborted" : outcomeOf(how, status, cut, metered?.upstreamError ?? null);
  const why = cut === "shutdown"
    ? "cut at shutdown"
    : truncated
    ? "upstream stream truncated: it ended before its final event"
    : how === "failed" && cut === null
    ? `upstream broke off the answer: ${describeError(cause)}`
    : null;
  return { outcome, why };
}

function outcomeOf(how: BodyEnd, status: number, cut: Cut | null, streamError: string | null): Outcome {
  if (how === "complete") return status >= 400 || streamError !== null ? "upstream_error" : "ok";
  if (cut === "idle") return "timeout";
  if (cut === "shutdown") return "error";
  if (how === "cancelled" || cut === "client") return "client_aborted";
  return "upstream_aborted";
}
