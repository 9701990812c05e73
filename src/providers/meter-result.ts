/** @module The one constructor of a MeterResult with nothing but model, native body, usage and source known. */
import type { Usage, UsageSource } from "../usage/types.ts";
import type { MeterResult } from "./types.ts";

/** What a body reported (or the request said); no usage means source "none" whatever was passed. */
export function meterResult(
  model: string | null,
  native: unknown,
  usage: Usage | null,
  source: UsageSource,
  responseId: string | null = null,
): MeterResult {
  return {
    model,
    native,
    usage,
    source: usage === null ? "none" : source,
    serviceTier: null,
    geo: null,
    reportedCostPico: null,
    upstreamError: null,
    responseId,
  };
}

/** Nothing known: an accumulator that failed, a session part with no response. */
export const NO_RESULT: Readonly<MeterResult> = meterResult(null, null, null, "none");
