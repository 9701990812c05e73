/**
 * @module Accumulator for Anthropic Messages responses, JSON and SSE; also used for Claude on Vertex
 * (rawPredict / streamRawPredict) and inside Bedrock InvokeModel streams (events without `event:` names).
 *
 * Stream rules:
 * - `message_start.message.usage` starts the usage; each `message_delta.usage` is CUMULATIVE and overwrites it
 *   field by field (top-level keys, non-null values). Never added up.
 * - A second `message_start` (duplicated or spliced by a proxy) starts over: the last message is the one
 *   metered. Whether an abandoned first generation was billed, the stream does not say.
 * - The model is `message_start.message.model`, replaced by the model a `fallback` content block hands over
 *   to (or a `fallback_message` iteration names): the model that served the answer, which a non-streaming body
 *   reports as its `model` and whose rates the top-level usage is billed at.
 * - `event: error` sets upstreamError; usage stays unknown unless `message_start` had reported some.
 * - Without a `message_delta` (cut, error) the start's usage is completed with an output estimate:
 *   ceil(bytes of the text / partial_json / thinking strings of the content deltas / 4).
 * Normalization (iterations, the 1 h cache-write split) is in src/usage/normalize-anthropic.ts.
 *
 * HOT: events are classified by their name bytes; only message_start, message_delta, error and
 * content_block_start (a few per message) are parsed. A content delta in the exact shape Anthropic sends is
 * measured by comparing it with that shape (src/providers/anthropic-delta.ts); anything else costs key probes.
 * Every event is read where it lies in its chunk (`bytes[dataStart, dataEnd)`), with no view per event.
 */
import { findKey, keyPattern, parseSlice, valueEnd } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import type { SseEvent } from "../sse/types.ts";
import { tokensFromBytes } from "../usage/estimate.ts";
import { asObject, type JsonObject, path, textOf } from "../usage/fields.ts";
import { fallbackModel, normalizeAnthropic } from "../usage/normalize-anthropic.ts";
import { textDeltaBytes } from "./anthropic-delta.ts";
import { ascii, isObjectData, kindOf, nameTable, OTHER } from "./event-kind.ts";
import { settle } from "./settle.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const START = 1;
const DELTA = 2;
const BLOCK_START = 3;
const CONTENT = 4;
const ERROR = 5;

// Content deltas first: they are nearly every event, and the table is tried in order.
const classify = nameTable([
  ["content_block_delta", CONTENT],
  ["message_start", START],
  ["message_delta", DELTA],
  ["content_block_start", BLOCK_START],
  ["error", ERROR],
], ["message_stop", "content_block_stop", "ping"]);

const DELTA_KEY = keyPattern("delta");
const CONTENT_KEYS = [keyPattern("text"), keyPattern("partial_json"), keyPattern("thinking")];
const CONTENT_BLOCK = keyPattern("content_block");
const TYPE = keyPattern("type");
const FALLBACK = ascii('"fallback"');
const QUOTE = 0x22;

/** Bytes of the content string a content_block_delta carries (escaped, without quotes); signatures are 0. */
function contentBytes(data: Uint8Array, start: number, last: number): number {
  const known = textDeltaBytes(data, start, last);
  if (known !== -1) return known;
  const delta = findKey(data, DELTA_KEY, start, last);
  if (delta === -1) return 0;
  for (const key of CONTENT_KEYS) {
    const at = findKey(data, key, delta, last);
    if (at === -1 || data[at] !== QUOTE) continue;
    const end = valueEnd(data, at, last);
    return end === -1 ? 0 : end - at - 2;
  }
  return 0;
}

/** What an Anthropic response reported so far; `finish` turns it into a MeterResult. */
export interface AnthropicState {
  onResponse(status: number): void;
  onEvent(event: SseEvent): void;
  onJson(body: unknown): void;
  /** True once a message_start or a JSON message was seen (the body really is Anthropic's). */
  seen(): boolean;
  finish(complete: boolean): MeterResult;
}

export function createAnthropicAccumulator(facts: RequestFacts): AnthropicState & UsageAccumulator {
  return new AnthropicAccumulator(facts);
}

/** The accumulator's state in fields and its behaviour on the prototype: an open stream holds no closures for it. */
class AnthropicAccumulator implements AnthropicState, UsageAccumulator {
  private readonly facts: RequestFacts;
  private status: number | null = null;
  private model: string | null = null;
  /** The model a `fallback` content block handed the answer to; reset by each message_start. */
  private served: string | null = null;
  /** message_start usage overwritten by each message_delta usage. */
  private merged: JsonObject | null = null;
  /** A message_delta with usage arrived after the last message_start: `merged` is final. */
  private final = false;
  private started = false;
  private bytes = 0;
  private upstreamError: string | null = null;
  private id: string | null = null;

  constructor(facts: RequestFacts) {
    this.facts = facts;
  }

  onResponse(code: number): void {
    this.status = code;
  }

  onEvent(event: SseEvent): void {
    const kind = kindOf(event, classify);
    if (kind === OTHER) return;
    const data = event.bytes;
    const from = event.dataStart;
    const last = event.dataEnd;
    if (kind === CONTENT) {
      this.bytes += contentBytes(data, from, last);
      return;
    }
    if (kind === BLOCK_START) {
      this.blockStart(data, from, last);
      return;
    }
    if (!isObjectData(data, from, last)) return;
    const o = asObject(parseSlice(data, from, last));
    if (o === undefined) return;
    if (kind === START) this.start(asObject(o.message));
    else if (kind === DELTA) {
      const usage = asObject(o.usage);
      if (usage !== undefined) this.delta(usage);
    } else if (kind === ERROR) this.upstreamError ??= describeError(o.error ?? o);
  }

  onJson(body: unknown): void {
    const o = asObject(body);
    if (o === undefined) return;
    if (o.type === "error") {
      this.upstreamError ??= describeError(o.error ?? o);
      return;
    }
    const usage = asObject(o.usage);
    if (usage === undefined) return;
    this.started = true;
    // A non-streaming body's `model` already names the model that served the answer.
    this.model = textOf(o.model) ?? this.model;
    this.id = textOf(o.id) ?? this.id;
    this.merged = usage;
    this.final = true;
  }

  seen(): boolean {
    return this.started;
  }

  finish(complete: boolean): MeterResult {
    const merged = this.merged;
    const usage = merged === null ? null : normalizeAnthropic(merged);
    const speed = merged?.speed;
    return settle({
      complete,
      status: this.status,
      model: this.served ?? (merged === null ? null : fallbackModel(merged)) ?? this.model,
      native: merged,
      reported: this.final ? usage : null,
      partial: this.final ? null : usage,
      outputEstimate: tokensFromBytes(this.bytes),
      body: this.facts.body,
      // Fast mode (`speed: "fast"`) is priced as its own tier; otherwise standard / priority / batch.
      serviceTier: speed === "fast" ? "fast" : textOf(merged?.service_tier),
      geo: textOf(merged?.inference_geo),
      upstreamError: this.upstreamError,
      responseId: this.id,
    });
  }

  private start(message: JsonObject | undefined): void {
    this.started = true;
    this.model = textOf(message?.model) ?? this.model;
    this.id = textOf(message?.id) ?? this.id;
    this.served = null;
    const usage = asObject(message?.usage);
    this.merged = usage === undefined ? null : { ...usage };
    this.final = false;
    this.bytes = 0;
  }

  private delta(usage: JsonObject): void {
    const into: JsonObject = this.merged ?? {};
    for (const key of Object.keys(usage)) {
      const value = usage[key];
      if (value !== null && value !== undefined) into[key] = value;
    }
    this.merged = into;
    this.final = true;
  }

  private blockStart(data: Uint8Array, start: number, last: number): void {
    const block = findKey(data, CONTENT_BLOCK, start, last);
    if (block === -1) return;
    const type = findKey(data, TYPE, block, last);
    if (type === -1 || type + FALLBACK.length > last || !equalsAt(data, type, type + FALLBACK.length, FALLBACK)) {
      return;
    }
    const end = valueEnd(data, block, last);
    if (end === -1) return;
    const parsed = parseSlice(data, block, end);
    this.served = textOf(path(parsed, "to", "model")) ?? this.served;
  }
}
