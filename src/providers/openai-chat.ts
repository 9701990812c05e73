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
  return new ChatAccumulator(facts, options);
}

/** The accumulator's state in fields and its behaviour on the prototype: an open stream holds no closures for it. */
class ChatAccumulator implements UsageAccumulator {
  private readonly facts: RequestFacts;
  private readonly flavor: OpenAiFlavor;
  private readonly errorAnywhere: boolean;
  private status: number | null = null;
  private model: string | null = null;
  private id: string | null = null;
  /** Stops model probing once MODEL_TRIES chunks named none. */
  private modelTries = 0;
  private tier: string | null = null;
  private usage: JsonObject | null = null;
  /** OpenRouter: `usage.cost` as written (src/providers/reported-cost.ts). */
  private costText: string | null = null;
  private upstreamError: string | null = null;
  /** Chunks without usage: one output token each for a cut stream's estimate. */
  private contentChunks = 0;
  /**
   * A stream was read, and whether its `data: [DONE]` came: OpenAI-style streams always end with it, so a stream
   * that ends without it was dropped (a close-delimited stream's lost connection reads as a clean end).
   */
  private streamed = false;
  private done = false;

  constructor(facts: RequestFacts, options: ChatOptions) {
    this.facts = facts;
    this.flavor = options.flavor;
    this.errorAnywhere = options.errorAnywhere === true;
  }

  onResponse(code: number): void {
    this.status = code;
  }

  onEvent(event: SseEvent): void {
    // HOT: the data is probed where it lies in the chunk (no view per event).
    const data = event.bytes;
    const start = event.dataStart;
    const last = event.dataEnd;
    this.streamed = true;
    if (!isObjectData(data, start, last)) {
      if (equalsAt(data, start, last, DONE)) this.done = true;
      return;
    }
    if (this.model === null && this.modelTries < MODEL_TRIES) this.readModel(data, start, last);
    let found = false;
    for (let at = findKey(data, USAGE, start, last); at !== -1;) {
      const end = valueEnd(data, at, last);
      if (end === -1) break;
      if (!isNull(data, at, last)) {
        const value = asObject(parseSlice(data, at, end));
        if (value !== undefined) {
          this.usage = value;
          found = true;
          if (this.flavor.costIsUsd) this.costText = usageCostText(event.data);
        }
      }
      at = findKey(data, USAGE, end, last);
    }
    if (found) this.readTier(data, start, last);
    else this.contentChunks++;
    if (
      leadingKey(data, ERROR, start, last) !== -1 || (this.errorAnywhere && findKey(data, ERROR, start, last) !== -1)
    ) this.checkError(data, start, last);
    else {
      const at = leadingKey(data, OBJECT, start, last);
      if (at !== -1 && at + ERROR_VALUE.length <= last && equalsAt(data, at, at + ERROR_VALUE.length, ERROR_VALUE)) {
        this.checkError(data, start, last);
      }
    }
  }

  onJson(body: unknown, bytes?: Uint8Array): void {
    const o = asObject(body);
    if (o === undefined) return;
    if (this.flavor.costIsUsd && bytes !== undefined) this.costText = usageCostText(bytes);
    this.model = textOf(o.model) ?? this.model;
    this.id = textOf(o.id) ?? this.id;
    this.tier = textOf(o.service_tier) ?? this.tier;
    this.usage = asObject(o.usage) ?? asObject(path(o, "x_groq", "usage")) ?? this.usage;
    if (o.error !== undefined && o.error !== null) this.upstreamError ??= describeError(o.error);
  }

  finish(complete: boolean): MeterResult {
    const usage = this.usage;
    return settle({
      complete: complete && (!this.streamed || this.done),
      status: this.status,
      model: this.model,
      native: usage,
      reported: usage === null ? null : normalizeOpenAi(usage, this.flavor),
      outputEstimate: this.contentChunks,
      body: this.facts.body,
      serviceTier: this.tier,
      reportedCostPico: usage === null ? null : reportedCostPico(usage, this.flavor, this.costText),
      upstreamError: this.upstreamError,
      responseId: this.id,
    });
  }

  /** Model and tier of the first chunk that names a model (Azure's filter chunk names "", skipped). */
  private readModel(data: Uint8Array, start: number, end: number): void {
    this.modelTries++;
    // Only a leading `id` is the chunk's (a tool call's `id` sits deeper); Azure's chunks lead with `choices`.
    const idAt = leadingKey(data, ID, start, end);
    if (idAt !== -1) this.id = textOf(readString(data, idAt, end)) ?? this.id;
    const at = findKey(data, MODEL, start, end);
    if (at !== -1) this.model = textOf(readString(data, at, end));
    if (this.model !== null) this.readTier(data, start, end);
  }

  private readTier(data: Uint8Array, start: number, end: number): void {
    const at = findKey(data, SERVICE_TIER, start, end);
    if (at !== -1) this.tier = textOf(readString(data, at, end)) ?? this.tier;
  }

  /** Parses the whole chunk (rare: only when its first key says error) and keeps a top-level error. */
  private checkError(data: Uint8Array, start: number, end: number): void {
    const chunk = asObject(parseSlice(data, start, end));
    if (chunk === undefined) return;
    if (chunk.error !== undefined && chunk.error !== null) this.upstreamError ??= describeError(chunk.error);
    else if (chunk.object === "error") this.upstreamError ??= describeError(chunk);
  }
}
