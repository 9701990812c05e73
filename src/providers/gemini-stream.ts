/**
 * @module Accumulator for Gemini `generateContent` / `streamGenerateContent` (AI Studio and Vertex).
 *
 * `usageMetadata` is cumulative: each chunk's object is merged over the previous one, present (non-null) fields
 * only, so a Vertex chunk carrying only `{trafficType}` neither erases nor zeroes the counts. The model is
 * `modelVersion`. Without `alt=sse` the stream is one JSON array of the same chunks (onJson gets the array).
 * An `{"error": …}` chunk inside a 200 stream sets upstreamError.
 *
 * A stream is complete when it ends; a cut stream keeps its running totals as `estimated`, and chunks that came
 * without counts (Vertex) add ceil(bytes of their `candidates` JSON / 4) output tokens.
 *
 * HOT: one probe per chunk for `usageMetadata` (at the chunk's end) and a parse of that small object only.
 */
import { findKey, keyPattern, parseSlice, readString, valueEnd } from "../json/probe.ts";
import type { SseEvent } from "../sse/types.ts";
import { tokensFromBytes } from "../usage/estimate.ts";
import { asObject, type JsonObject, textOf } from "../usage/fields.ts";
import { geminiTier, hasGeminiCounts, normalizeGemini } from "../usage/normalize-gemini.ts";
import { isObjectData, leadingKey } from "./event-kind.ts";
import { createGrounding } from "./grounding.ts";
import { settle } from "./settle.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const USAGE_METADATA = keyPattern("usageMetadata");
const MODEL_VERSION = keyPattern("modelVersion");
const RESPONSE_ID = keyPattern("responseId");
const CANDIDATES = keyPattern("candidates");
const ERROR = keyPattern("error");

export function createGeminiAccumulator(facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let model: string | null = null;
  let id: string | null = null;
  let merged: JsonObject | null = null;
  /** Bytes of `candidates` in chunks after the last one with counts (the estimate for a cut stream). */
  let uncounted = 0;
  let upstreamError: string | null = null;
  const grounding = createGrounding();

  function merge(u: JsonObject): void {
    const into: JsonObject = merged ?? {};
    for (const key of Object.keys(u)) if (u[key] !== null && u[key] !== undefined) into[key] = u[key];
    merged = into;
  }

  /** One chunk as a parsed object (JSON bodies and arrays). */
  function takeChunk(chunk: unknown): void {
    const o = asObject(chunk);
    if (o === undefined) return;
    if (o.error !== undefined && o.error !== null) upstreamError ??= describeError(o.error);
    grounding.fromChunk(o);
    model = textOf(o.modelVersion) ?? model;
    id = textOf(o.responseId) ?? id;
    const u = asObject(o.usageMetadata);
    if (u !== undefined) merge(u);
  }

  return {
    onResponse(code) {
      status = code;
    },
    onEvent(event: SseEvent) {
      const data = event.data;
      if (!isObjectData(data)) return;
      let counted = false;
      const at = findKey(data, USAGE_METADATA);
      if (at !== -1) {
        const u = asObject(parseSlice(data, at, valueEnd(data, at)));
        if (u !== undefined) {
          merge(u);
          counted = hasGeminiCounts(u);
        }
      }
      if (model === null) {
        // `modelVersion` follows `usageMetadata` in Google's chunks: search after it first.
        let m = at === -1 ? -1 : findKey(data, MODEL_VERSION, at);
        if (m === -1) m = findKey(data, MODEL_VERSION);
        if (m !== -1) model = textOf(readString(data, m));
        // Read with the model, from the first chunk that names one: not probed on every chunk.
        const r = findKey(data, RESPONSE_ID);
        if (r !== -1) id = textOf(readString(data, r)) ?? id;
      }
      if (counted) uncounted = 0;
      else {
        const c = findKey(data, CANDIDATES);
        const end = c === -1 ? -1 : valueEnd(data, c);
        if (end !== -1) uncounted += end - c;
      }
      grounding.fromBytes(data);
      if (leadingKey(data, ERROR) !== -1) takeChunk(parseSlice(data));
    },
    onJson(body) {
      if (Array.isArray(body)) { for (const chunk of body) takeChunk(chunk); }
      else takeChunk(body);
    },
    finish(complete): MeterResult {
      const usage = grounding.apply(merged === null ? null : normalizeGemini(merged));
      return settle({
        complete,
        status,
        model,
        native: merged,
        reported: complete ? usage : null,
        partial: complete ? null : usage,
        outputEstimate: tokensFromBytes(uncounted),
        body: facts.body,
        serviceTier: geminiTier(merged?.trafficType),
        upstreamError,
        responseId: id,
      });
    },
  };
}
