/**
 * @module Cohere. v2 chat: JSON `usage`, or in the stream the `message-end` event's `delta.usage`
 * (`{billed_units, tokens, cached_tokens}`; billed units are what is billed, src/usage/normalize-cohere.ts).
 * v1 chat / generate, embed, rerank and classify: `meta.billed_units`. Responses name no model.
 * `/tokenize` and `/detokenize` are free; the Compatibility API (`/compatibility/v1/…`) is OpenAI's format.
 * A cut stream's output estimate is one token per `*-delta` event (cohere-text.sse: 7 content deltas for 7
 * billed output tokens).
 */
import type { SseEvent } from "../sse/types.ts";
import { parseSlice } from "../json/probe.ts";
import { asObject, type JsonObject, path } from "../usage/fields.ts";
import { normalizeCohere } from "../usage/normalize-cohere.ts";
import { OPENAI } from "../usage/normalize-openai.ts";
import { ascii, endsWithBytes, isObjectData, kindOf, nameTable, OTHER } from "./event-kind.ts";
import { bodyModel, trimmedPath } from "./facts.ts";
import { createOpenAiStyleAccumulator } from "./openai.ts";
import { settle } from "./settle.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { MeterResult, ProviderSpec, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const END = 1;
const DELTA = 2;
const ERROR = 3;

const named = nameTable([["message-end", END], ["error", ERROR]], [
  "message-start",
  "content-start",
  "content-end",
  "tool-plan-delta",
  "tool-call-start",
  "tool-call-delta",
  "tool-call-end",
  "citation-start",
  "citation-end",
  "debug",
]);
const DELTA_SUFFIX = ascii("-delta");

/** message-end and error matter; every `*-delta` counts toward a cut stream's estimate. */
function classify(buf: Uint8Array, start: number, end: number): number {
  return endsWithBytes(buf, start, end, DELTA_SUFFIX) ? DELTA : named(buf, start, end);
}

/** The usage carrier of a Cohere JSON body: v2 `usage`, else v1 `meta` (its billed units and tokens). */
function usageOf(o: JsonObject): JsonObject | null {
  const usage = asObject(o.usage);
  if (usage !== undefined) return usage;
  const meta = asObject(o.meta);
  if (meta === undefined || (meta.billed_units === undefined && meta.tokens === undefined)) return null;
  const picked: JsonObject = {};
  for (const key of ["billed_units", "tokens", "cached_tokens"]) if (meta[key] !== undefined) picked[key] = meta[key];
  return picked;
}

export function createCohereAccumulator(facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let usage: JsonObject | null = null;
  let deltas = 0;
  let upstreamError: string | null = null;
  return {
    onResponse(code) {
      status = code;
    },
    onEvent(event: SseEvent) {
      const kind = kindOf(event, classify);
      if (kind === OTHER) return;
      if (kind === DELTA) {
        deltas++;
        return;
      }
      if (!isObjectData(event.data)) return;
      const o = asObject(parseSlice(event.data));
      if (o === undefined) return;
      if (kind === END) usage = asObject(path(o, "delta", "usage")) ?? usage;
      else if (kind === ERROR) upstreamError ??= describeError(o.error ?? o.message ?? o);
    },
    onJson(body) {
      const o = asObject(body);
      if (o === undefined) return;
      usage = usageOf(o) ?? usage;
    },
    finish(complete): MeterResult {
      return settle({
        complete,
        status,
        model: null,
        native: usage,
        reported: usage === null ? null : normalizeCohere(usage),
        outputEstimate: deltas,
        body: facts.body,
        upstreamError,
      });
    },
  };
}

const COHERE_ENDPOINTS = ["/chat", "/generate", "/embed", "/rerank", "/classify", "/summarize"];

export const cohere: ProviderSpec = {
  id: "cohere",
  label: "Cohere",
  logStyle: "cohere",
  createAccumulator(facts) {
    const p = trimmedPath(facts);
    if (p.includes("/compatibility/")) return createOpenAiStyleAccumulator(facts, { flavor: OPENAI });
    return COHERE_ENDPOINTS.some((suffix) => p.endsWith(suffix)) ? createCohereAccumulator(facts) : null;
  },
  requestModel: bodyModel,
  acceptsStreamUsage,
};
