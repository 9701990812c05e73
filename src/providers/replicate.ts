/**
 * @module Replicate predictions (docs/architecture.md §21): compute seconds from `metrics.predict_time`, and the
 * token counts its language models report beside it.
 *
 * A prediction reports `metrics.predict_time` (seconds of CPU or GPU time, float) once it has finished — `status`
 * `succeeded`, `failed` or `canceled` (replicate.com/docs/reference/http, the prediction object). It arrives on
 * whichever answer first shows the finished prediction: a create with `Prefer: wait` that finished within the wait,
 * else a later `GET /v1/predictions/{id}` (or the cancel's answer). A create that comes back `starting` or
 * `processing` is recorded without usage; the poll that sees the end carries the time.
 *
 * A finished prediction can be fetched again, and every fetch repeats its metrics. Kestrel keeps no state across
 * requests in the store, so the ids of predictions metered are remembered in memory (the last METERED_MAX): a
 * repeat seen by the same process is recorded without usage. After a restart, or on another instance, a repeat of
 * an old prediction is metered again — documented, not hidden.
 */
import { buildUsage } from "../usage/build.ts";
import { asObject, firstCount, type JsonObject, textOf } from "../usage/fields.ts";
import { trimmedPath } from "./facts.ts";
import { meterResult as result } from "./meter-result.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { MeterResult, ProviderSpec, RequestFacts, UsageAccumulator } from "./types.ts";

/** Predictions whose time was metered, oldest first (a Set keeps insertion order). */
const metered = new Set<string>();
const METERED_MAX = 10_000;

const FINISHED: ReadonlySet<string> = new Set(["succeeded", "failed", "canceled"]);
const CREATE = /^\/v1\/(?:predictions|models\/[^/]+\/[^/]+\/predictions|deployments\/[^/]+\/[^/]+\/predictions)$/;
const GET = /^\/v1\/predictions\/[^/]+$/;
const CANCEL = /^\/v1\/predictions\/[^/]+\/cancel$/;

/** Seconds (float) → whole milliseconds, or undefined when not a non-negative number. */
export function predictMs(seconds: unknown): number | undefined {
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
}

/**
 * The model a create names: `/v1/models/{owner}/{name}/predictions`, else the body's `version` when it is spelled
 * `owner/name:hash` (a bare version hash names no model). Deployments answer with their model in the response.
 */
export function replicateRequestModel(facts: RequestFacts): string | null {
  const segs = trimmedPath(facts).split("/");
  if (segs[2] === "models" && segs[3] && segs[4]) return `${decoded(segs[3])}/${decoded(segs[4])}`;
  const version = textOf(asObject(facts.body)?.version);
  const colon = version?.indexOf(":") ?? -1;
  return version && colon > 0 && version.slice(0, colon).includes("/") ? version.slice(0, colon) : null;
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createPredictionAccumulator(facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let prediction: JsonObject | null = null;
  return {
    onResponse(code) {
      status = code;
    },
    onJson(body) {
      prediction = asObject(body) ?? null;
    },
    finish(): MeterResult {
      const p = prediction;
      const model = textOf(p?.model) ?? replicateRequestModel(facts);
      if (status === null || status < 200 || status >= 300 || p === null) return result(model, null, null, "none");
      const metrics = asObject(p.metrics);
      const ms = predictMs(metrics?.predict_time);
      if (!FINISHED.has(String(p.status)) || metrics === undefined || ms === undefined) return result(model, null, null, "none");
      const id = textOf(p.id);
      if (id !== null) {
        if (metered.has(id)) return result(model, null, null, "none");
        metered.add(id);
        if (metered.size > METERED_MAX) metered.delete(metered.values().next().value!);
      }
      // Replicate's language models count tokens beside the time (`input_token_count`, `output_token_count`).
      const input = firstCount(metrics.input_token_count) ?? 0;
      const output = firstCount(metrics.output_token_count) ?? 0;
      const usage = buildUsage({ input, output, computeMs: ms });
      return result(model, metrics, usage, "reported");
    },
  };
}

export const replicate: ProviderSpec = {
  id: "replicate",
  label: "Replicate",
  logStyle: "openai",
  createAccumulator(facts) {
    const path = trimmedPath(facts);
    if (facts.method === "POST" && CREATE.test(path)) return createPredictionAccumulator(facts);
    if ((facts.method === "GET" && GET.test(path)) || (facts.method === "POST" && CANCEL.test(path))) {
      return createPredictionAccumulator(facts);
    }
    return null;
  },
  requestModel: replicateRequestModel,
  acceptsStreamUsage,
};
