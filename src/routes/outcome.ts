/**
 * @module How an exchange ended, in one place: what the record says (status, outcome, reason) and what the client
 * gets, for each phase — before the upstream answered (`sendFailure`), while its small answer was read whole
 * (`readFailure`), and once its body was passed on (`endingOf`).
 */
import { Refused, refusalResponse } from "../control/refused.ts";
import { errorResponse, ProxyError, toResponse } from "../errors.ts";
import { ClientGone, type Cut, hostOf } from "../forward/forward.ts";
import { KeyRefusal } from "../keys/types.ts";
import type { BodyEnd } from "../meter/body.ts";
import type { MeterOutcome } from "../meter/meter.ts";
import { describeError } from "../redact.ts";
import type { Outcome } from "../usage/record.ts";

/** An exchange that ended before the upstream's answer reached the client. */
export interface Failure {
  /** The record's status: 0 when the client went away. */
  status: number;
  outcome: Outcome;
  error: string;
  response: Response;
}

/**
 * Before the upstream answered: a key refusal, a budget or rate-limit refusal (nothing went upstream), a cut
 * (`cut`: shutdown, the client left) or a failure to connect, upload or hear back.
 */
export function sendFailure(err: unknown, cut: Cut | null): Failure {
  if (err instanceof KeyRefusal) {
    return { status: err.status, outcome: "blocked", error: err.message, response: errorResponse(err.code, err.status, err.message) };
  }
  // The client learns when to come back.
  if (err instanceof Refused) return { status: 429, outcome: "blocked", error: err.message, response: refusalResponse(err) };
  if (cut === "shutdown") return { status: 503, outcome: "error", error: "cut at shutdown", response: shuttingDown() };
  if (err instanceof ClientGone || cut === "client") {
    return { status: 0, outcome: "client_aborted", error: "client went away before the upstream answered", response: clientClosed() };
  }
  const failure = err instanceof ProxyError ? err : new ProxyError("internal_error", 500, describeError(err));
  const response = toResponse(failure);
  // The rest of a stalled body may never come: without this the runtime keeps the connection open for it.
  if (failure.code === "client_timeout") response.headers.set("connection", "close");
  return {
    status: failure.status,
    outcome: failure.code === "upstream_timeout" ? "timeout" : failure.code === "client_timeout" ? "client_timeout" : "error",
    error: failure.message,
    response,
  };
}

/**
 * The upstream answered but its small body, read whole, failed to arrive: how the body ended (the record's outcome
 * then comes from `endingOf`, with the meter's reading), the status the client got, and its response.
 */
export function readFailure(err: unknown, cut: Cut | null, url: string): { how: BodyEnd; sent: number; response: Response } {
  if (cut === "shutdown") return { how: "failed", sent: 503, response: shuttingDown() };
  if (cut === "client") return { how: "cancelled", sent: 0, response: clientClosed() };
  const host = JSON.stringify(hostOf(url));
  const failure = cut === "idle"
    ? new ProxyError("upstream_timeout", 504, `Upstream ${host} went silent mid-answer`)
    : new ProxyError("upstream_unreachable", 502, `Upstream ${host} broke off its answer: ${describeError(err)}`);
  return { how: "failed", sent: failure.status, response: toResponse(failure) };
}

const shuttingDown = () =>
  errorResponse("shutting_down", 503, "Kestrel is shutting down: the request was cut before it finished");

const clientClosed = () => errorResponse("client_closed_request", 499, "Client closed the request");

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
