/** @module A request refused before forwarding, and the 429 answer it gets. */
import type { Refusal } from "./types.ts";

/** Thrown by the pre-forward check; the proxy answers 429 and records the exchange as `blocked`. */
export class Refused extends Error {
  constructor(readonly refusal: Refusal, readonly remainingUsd: string | null = null) {
    super(refusal.message);
    this.name = "Refused";
  }
}

/**
 * `429 {"error":{"code","message",…details}}` with `Retry-After` when the window will let the request through, and
 * `x-kestrel-budget-remaining-usd` when a USD budget refused it.
 */
export function refusalResponse(refused: Refused): Response {
  const { refusal } = refused;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (refusal.retryAfterSeconds !== null) headers["retry-after"] = String(Math.max(1, Math.ceil(refusal.retryAfterSeconds)));
  if (refused.remainingUsd !== null) headers["x-kestrel-budget-remaining-usd"] = refused.remainingUsd;
  const body = { error: { code: refusal.code, message: refusal.message, ...refusal.details } };
  return new Response(JSON.stringify(body), { status: 429, headers });
}
