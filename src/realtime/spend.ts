/**
 * @module SEAM: spend control for realtime sessions (docs/architecture.md §18). The relay calls these two
 * functions at the two points where budgets and rate limits act on a session; both pass everything today.
 * What they are to do (wired with the spend-control rewrite, src/control/):
 * - `admitSession`, before the upstream socket is opened: budgets and rate limits checked as for an HTTP request
 *   (an `rpm` limit counts the session as one request); a refusal answers the client's upgrade with the same
 *   429 JSON and writes a `blocked` record, and no upstream socket is opened.
 * - `onMeteredResponse`, right after each metered response was handed to the sink (which settles its spend; a
 *   `tpm` limit counts its tokens): when a `block` budget is now exhausted, it returns the 1008 close that ends
 *   the session on both sides (the session record then says `blocked`, naming the budget), and the alerts go
 *   out as for HTTP.
 */
import type { Exchange } from "../exchange.ts";

/** A session about to be opened: the same facts an HTTP request is admitted on. */
export type SessionAdmission = Pick<Exchange, "spec" | "facts" | "startedAt">;

export type Admission =
  | { admitted: true }
  | { admitted: false; response: Response; reason: string };

/** Close both sides with this code and reason, and record the session as `blocked`. */
export interface SpendClose {
  code: number;
  reason: string;
}

const ADMITTED: Admission = { admitted: true };

export function admitSession(_session: SessionAdmission): Admission | Promise<Admission> {
  return ADMITTED;
}

export function onMeteredResponse(_response: Exchange): SpendClose | null | Promise<SpendClose | null> {
  return null;
}
