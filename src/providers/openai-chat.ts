/**
 * @module Accumulator for OpenAI-style chat, legacy completions, embeddings and transcription responses, shared
 * by OpenAI, Azure and the OpenAI-compatible long tail.
 *
 * Streams are data-only chunks: the LAST non-null `usage` wins. It is `null` on intermediate chunks (OpenAI,
 * DeepSeek), absent (Mistral, Groq), on a separate `choices: []` chunk (OpenAI, Azure, xAI) or on the finish
 * chunk (Mistral, DeepSeek), repeated under `x_groq.usage` (Groq: identical, read once), or on every chunk
 * (Perplexity, cumulative). `data: [DONE]` is not JSON. Azure opens with a `prompt_filter_results` chunk whose
 * `model` is "" (skipped: the model is the first non-empty one).
 *
 * HOT: every chunk costs one probe for the `usage` key (plus an `isNull` check); a usage value is the only JSON
 * ever parsed, and only its own bytes. The model is read once. In-stream errors are found by an O(1) check of
 * the chunk's first key, except for OpenRouter (error after other keys), which probes every chunk.
 */
import { findKey, isNull, keyPattern, parseSlice, readString, valueEnd } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import type { SseEvent } from "../sse/types.ts";
import { asObject, type JsonObject, path, textOf } from "../usage/fields.ts";
import { normalizeOpenAi, type OpenAiFlavor, reportedCostPico } from "../usage/normalize-openai.ts";
import { isObjectData, leadingKey } from "./event-kind.ts";
import { usageCostText } from "./reported-cost.ts";
import { settle } from "./settle.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const USAGE = keyPattern("usage");
const ID = keyPattern("id");
const MODEL = keyPattern("model");
const SERVICE_TIER = keyPattern("service_tier");
const ERROR = keyPattern("error");
const OBJECT = keyPattern("object");
const ERROR_VALUE = new TextEncoder().encode('"error"');
const DONE = new TextEncoder().encode("[DONE]");

/** Chunks probed for a model before giving up on streams that never name one. */
const MODEL_TRIES = 16;

export interface ChatOptions {
  flavor: OpenAiFlavor;
  /** Probe every chunk for an `error` key (OpenRouter puts it after `id`/`model`/`provider`). */
  errorAnywhere?: boolean;
}

export function createChatAccumulator(facts: RequestFacts, options: ChatOptions): UsageAccumulator {
  const flavor = options.flavor;
  const errorAnywhere = options.errorAnywhere === true;
  let status: number | null = null;
  let model: string | null = null;
  let id: string | null = null;
  /** Stops model probing once MODEL_TRIES chunks named none. */
  let modelTries = 0;
  let tier: string | null = null;
  let usage: JsonObject | null = null;
  /** OpenRouter: `usage.cost` as written (src/providers/reported-cost.ts). */
  let costText: string | null = null;
  let upstreamError: string | null = null;
  /** Chunks without usage: one output token each for a cut stream's estimate. */
  let contentChunks = 0;
  /**
   * A stream was read, and whether its `data: [DONE]` came: OpenAI-style streams always end with it, so a stream
   * that ends without it was dropped (a close-delimited stream's lost connection reads as a clean end).
   */
  let streamed = false;
  let done = false;

  /** Model and tier of the first chunk that names a model (Azure's filter chunk names "", skipped). */
  function readModel(data: Uint8Array, start: number, end: number): void {
    modelTries++;
    // Only a leading `id` is the chunk's (a tool call's `id` sits deeper); Azure's chunks lead with `choices`.
    const idAt = leadingKey(data, ID, start, end);
    if (idAt !== -1) id = textOf(readString(data, idAt, end)) ?? id;
    const at = findKey(data, MODEL, start, end);
    if (at !== -1) model = textOf(readString(data, at, end));
    if (model !== null) readTier(data, start, end);
  }

  function readTier(data: Uint8Array, start: number, end: number): void {
    const at = findKey(data, SERVICE_TIER, start, end);
    if (at !== -1) tier = textOf(readString(data, at, end)) ?? tier;
  }

  /** Parses the whole chunk (rare: only when its first key says error) and keeps a top-level error. */
  function checkError(data: Uint8Array, start: number, end: number): void {
    const chunk = asObject(parseSlice(data, start, end));
    if (chunk === undefined) return;
    if (chunk.error !== undefined && chunk.error !== null) upstreamError ??= describeError(chunk.error);
    else if (chunk.object === "error") upstreamError ??= describeError(chunk);
  }

  return {
    onResponse(code) {
      status = code;
    },
    onEvent(event: SseEvent) {
      // HOT: the data is probed where it lies in the chunk (no view per event).
      const data = event.bytes;
      const start = event.dataStart;
      const last = event.dataEnd;
      streamed = true;
      if (!isObjectData(data, start, last)) {
        if (equalsAt(data, start, last, DONE)) done = true;
        return;
      }
      if (model === null && modelTries < MODEL_TRIES) readModel(data, start, last);
      let found = false;
      for (let at = findKey(data, USAGE, start, last); at !== -1;) {
        const end = valueEnd(data, at, last);
        if (end === -1) break;
        if (!isNull(data, at, last)) {
          const value = asObject(parseSlice(data, at, end));
          if (value !== undefined) {
            usage = value;
            found = true;
            if (flavor.costIsUsd) costText = usageCostText(event.data);
          }
        }
        at = findKey(data, USAGE, end, last);
      }
      if (found) readTier(data, start, last);
      else contentChunks++;
      if (
        leadingKey(data, ERROR, start, last) !== -1 || (errorAnywhere && findKey(data, ERROR, start, last) !== -1)
      ) checkError(data, start, last);
      else {
        const at = leadingKey(data, OBJECT, start, last);
        if (at !== -1 && at + ERROR_VALUE.length <= last && equalsAt(data, at, at + ERROR_VALUE.length, ERROR_VALUE)) {
          checkError(data, start, last);
        }
      }
    },
    onJson(body, bytes) {
      const o = asObject(body);
      if (o === undefined) return;
      if (flavor.costIsUsd && bytes !== undefined) costText = usageCostText(bytes);
      model = textOf(o.model) ?? model;
      id = textOf(o.id) ?? id;
      tier = textOf(o.service_tier) ?? tier;
      usage = asObject(o.usage) ?? asObject(path(o, "x_groq", "usage")) ?? usage;
      if (o.error !== undefined && o.error !== null) upstreamError ??= describeError(o.error);
    },
    finish(complete): MeterResult {
      return settle({
        complete: complete && (!streamed || done),
        status,
        model,
        native: usage,
        reported: usage === null ? null : normalizeOpenAi(usage, flavor),
        outputEstimate: contentChunks,
        body: facts.body,
        serviceTier: tier,
        reportedCostPico: usage === null ? null : reportedCostPico(usage, flavor, costText),
        upstreamError,
        responseId: id,
      });
    },
  };
}
