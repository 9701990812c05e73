/**
 * @module A realtime session's records, as the `Exchange` objects the sink takes (src/sink/): one per metered
 * response and one for the session at its close. The ONE place that maps a session onto the record path, so a
 * change to `Exchange` (its attributes, computed once at admission) is made here alone.
 */
import type { Attributes } from "../attributes/attributes.ts";
import type { Reservation } from "../control/types.ts";
import { checkResult } from "../meter/meter.ts";
import { meterResult } from "../providers/meter-result.ts";
import type { Exchange } from "../exchange.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import type { Outcome } from "../usage/record.ts";
import { CLOSE_ABNORMAL } from "./frames.ts";
import type { Metered } from "./meter.ts";
import type { Ending, SessionStats } from "./relay.ts";

/** What is known of a session from its upgrade on. */
export interface Session {
  id: string;
  spec: ProviderSpec;
  facts: RequestFacts;
  clientPath: string;
  upstreamUrl: string;
  /** Epoch ms of the client's upgrade request, and its `performance.now()`. */
  startedAt: number;
  t0: number;
  /** Time to the upstream's answer to the upgrade; null when none came. */
  ttfbMs: number | null;
  /** The upstream's handshake answer headers (request id), or null. */
  responseHeaders: Headers | null;
  /** The upgrade request's attributes (src/attributes/attributes.ts), computed once; null before they are. */
  attributes: Attributes | null;
  /** What admission holds for the session (a rate limit's request); released with the session's record. */
  reservation: Reservation | null;
}

export type SessionPart =
  /** One metered response, turn or transcription. */
  | { kind: "response"; metered: Metered }
  /** The session record at close. */
  | { kind: "closed"; ending: Ending; stats: SessionStats; model: string | null; problem: string | null }
  /** The upgrade never became a session: refused by the upstream, unreachable, timed out, or blocked. */
  | { kind: "failed"; status: number; outcome: Outcome; error: string };

export function sessionExchange(s: Session, part: SessionPart): Exchange {
  const base = {
    spec: s.spec,
    facts: s.facts,
    clientPath: s.clientPath,
    upstreamUrl: s.upstreamUrl,
    ttfbMs: s.ttfbMs,
    addedMs: null,
    responseHeaders: s.responseHeaders,
    attributes: s.attributes,
    // Only the session holds a reservation; its responses settle spend without one.
    reservation: null,
  };
  const columns = { sessionId: s.id, responseId: null, closeCode: null, bytesUp: null, bytesDown: null, framesUp: null, framesDown: null };
  if (part.kind === "response") {
    const { outcome, startedAt, durationMs } = part.metered;
    return {
      ...base,
      startedAt,
      durationMs,
      status: 101,
      outcome: outcome.upstreamError === null ? "ok" : "upstream_error",
      streaming: true,
      meter: outcome,
      error: null,
      realtime: { ...columns, responseId: outcome.responseId },
    };
  }
  const durationMs = performance.now() - s.t0;
  if (part.kind === "failed") {
    return { ...base, startedAt: s.startedAt, durationMs, status: part.status, outcome: part.outcome, streaming: false, meter: null,
      error: part.error, realtime: columns, reservation: s.reservation };
  }
  const { ending, stats } = part;
  const { outcome, why } = endingOutcome(ending);
  return {
    ...base,
    startedAt: s.startedAt,
    durationMs,
    status: 101,
    outcome,
    streaming: true,
    // No usage (the responses have it), only the session's model, so the record names it.
    meter: part.model === null ? null : checkResult(meterResult(part.model, null, null, "none")),
    error: [why, part.problem].filter(Boolean).join("; ") || null,
    reservation: s.reservation,
    realtime: {
      ...columns,
      closeCode: ending.code,
      bytesUp: stats.bytesUp,
      bytesDown: stats.bytesDown,
      framesUp: stats.framesUp,
      framesDown: stats.framesDown,
    },
  };
}

/**
 * The session record's outcome: a close by either side with a code it may send is a normal end (`ok`), except an
 * upstream's error codes; a connection that dropped without a close frame (1006) is the dropping side's abort;
 * Kestrel's own closes say why.
 */
function endingOutcome(e: Ending): { outcome: Outcome; why: string | null } {
  if (e.by === "kestrel") {
    switch (e.why) {
      case "idle":
        return { outcome: "timeout", why: "idle timeout: no message either way" };
      case "shutdown":
        return { outcome: "error", why: "cut at shutdown" };
      case "invalid":
        return { outcome: "upstream_error", why: e.reason };
      case "spend":
        return { outcome: "blocked", why: e.reason };
      default:
        return { outcome: "error", why: e.reason };
    }
  }
  if (e.code === CLOSE_ABNORMAL) {
    return e.by === "client"
      ? { outcome: "client_aborted", why: "client connection dropped without a close frame" }
      : { outcome: "upstream_aborted", why: "upstream connection dropped without a close frame" };
  }
  if (e.by === "upstream" && e.code !== 1000 && e.code !== 1001 && e.code !== 1005) {
    return { outcome: "upstream_error", why: `upstream closed with ${e.code}${e.reason ? ` ${JSON.stringify(e.reason)}` : ""}` };
  }
  return { outcome: "ok", why: null };
}
