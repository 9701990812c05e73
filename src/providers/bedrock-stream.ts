/**
 * @module Accumulators for AWS Bedrock Runtime: Converse / ConverseStream, and InvokeModel /
 * InvokeModelWithResponseStream.
 *
 * - Converse JSON: the body's `usage`. ConverseStream (binary event-stream): the `metadata` event's `usage`,
 *   the only usage in the stream. Content deltas estimate a cut stream's output: ceil(bytes of their text,
 *   reasoning text and tool input strings / 4); the `p` padding field is never counted.
 * - InvokeModel: the body is the model's own JSON. Claude bodies (and Claude events inside the stream's
 *   `chunk` frames, base64 `{"bytes": …}`) go to the Anthropic accumulator, whose usage wins. Other models are
 *   metered from the `x-amzn-bedrock-*-token-count` response headers or, in a stream, from the last event's
 *   `amazon-bedrock-invocationMetrics`.
 * - `:message-type` `exception` / `error` frames set upstreamError; usage stays unknown unless reported.
 * Responses name no model (it is in the URL): the model is null unless a Claude body names one.
 */
import type { EventStreamMessage, HeaderValue } from "../eventstream/types.ts";
import { findKey, keyPattern, parseSlice, readString, valueEnd } from "../json/probe.ts";
import { OffsetEvent } from "../sse/event.ts";
import { tokensFromBytes } from "../usage/estimate.ts";
import { asObject, countOf, type JsonObject, path, textOf } from "../usage/fields.ts";
import { normalizeBedrock } from "../usage/normalize-bedrock.ts";
import { createAnthropicAccumulator } from "./anthropic-stream.ts";
import { settle } from "./settle.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const DELTA = keyPattern("delta");
const CONTENT_KEYS = [keyPattern("text"), keyPattern("input")];
const BYTES = keyPattern("bytes");
const METRICS = keyPattern("amazon-bedrock-invocationMetrics");
const QUOTE = 0x22;

function header(m: EventStreamMessage, name: string): string | null {
  const v: HeaderValue | undefined = m.headers[name];
  return typeof v === "string" ? v : null;
}

/** The error an `exception` or `error` frame reports, or null for an event frame. */
function frameError(m: EventStreamMessage): string | null {
  const type = header(m, ":message-type");
  if (type === "exception") {
    const payload = asObject(parseSlice(m.payload));
    const name = header(m, ":exception-type") ?? "exception";
    const message = textOf(payload?.message) ?? textOf(payload?.Message);
    return describeError(message === null ? name : `${name}: ${message}`);
  }
  if (type === "error") {
    return describeError({ code: header(m, ":error-code") ?? "error", message: header(m, ":error-message") });
  }
  return null;
}

/** Bytes of the content strings of a ConverseStream contentBlockDelta payload. */
function contentBytes(payload: Uint8Array): number {
  const delta = findKey(payload, DELTA);
  if (delta === -1) return 0;
  let n = 0;
  for (const key of CONTENT_KEYS) {
    const at = findKey(payload, key, delta);
    if (at === -1 || payload[at] !== QUOTE) continue;
    const end = valueEnd(payload, at);
    if (end !== -1) n += end - at - 2;
  }
  return n;
}

function tierOf(o: JsonObject): string | null {
  return textOf(path(o, "serviceTier", "type")) ?? textOf(o.serviceTier);
}

export function createConverseAccumulator(facts: RequestFacts): UsageAccumulator {
  let status: number | null = null;
  let usage: JsonObject | null = null;
  let tier: string | null = null;
  let bytes = 0;
  let upstreamError: string | null = null;
  return {
    onResponse(code) {
      status = code;
    },
    onJson(body) {
      const o = asObject(body);
      if (o === undefined) return;
      usage = asObject(o.usage) ?? usage;
      tier = tierOf(o) ?? tier;
    },
    onMessage(m) {
      const error = frameError(m);
      if (error !== null) {
        upstreamError ??= error;
        return;
      }
      const type = header(m, ":event-type");
      if (type === "contentBlockDelta") bytes += contentBytes(m.payload);
      else if (type === "metadata") {
        const o = asObject(parseSlice(m.payload));
        if (o === undefined) return;
        usage = asObject(o.usage) ?? usage;
        tier = tierOf(o) ?? tier;
      }
    },
    finish(complete): MeterResult {
      return settle({
        complete,
        status,
        model: null,
        native: usage,
        reported: usage === null ? null : normalizeBedrock(usage),
        outputEstimate: tokensFromBytes(bytes),
        body: facts.body,
        serviceTier: tier,
        upstreamError,
      });
    },
  };
}

/** InvokeModel's token-count headers, in the invocation-metrics spelling; null when there are none. */
function headerUsage(headers: Headers): JsonObject | null {
  const read = (name: string) => {
    const raw = headers.get(`x-amzn-bedrock-${name}-token-count`);
    return raw === null ? undefined : countOf(Number(raw));
  };
  const fields: Array<readonly [string, number | undefined]> = [
    ["inputTokenCount", read("input")],
    ["outputTokenCount", read("output")],
    ["cacheReadInputTokenCount", read("cache-read-input")],
    ["cacheWriteInputTokenCount", read("cache-write-input")],
  ];
  const usage: JsonObject = {};
  for (const [key, value] of fields) if (value !== undefined) usage[key] = value;
  return Object.keys(usage).length === 0 ? null : usage;
}

function base64Bytes(text: string): Uint8Array | null {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function createInvokeAccumulator(facts: RequestFacts): UsageAccumulator {
  const claude = createAnthropicAccumulator(facts);
  /** Each chunk's decoded payload, shown to the Anthropic accumulator as one unnamed SSE event. */
  const wrapped = new OffsetEvent();
  let status: number | null = null;
  /** Stream `amazon-bedrock-invocationMetrics`, else the response headers: for non-Claude models. */
  let metrics: JsonObject | null = null;
  let upstreamError: string | null = null;
  return {
    onResponse(code, headers) {
      status = code;
      claude.onResponse(code);
      metrics = headerUsage(headers);
    },
    onJson(body) {
      claude.onJson(body);
    },
    onMessage(m) {
      const error = frameError(m);
      if (error !== null) {
        upstreamError ??= error;
        return;
      }
      if (header(m, ":event-type") !== "chunk") return;
      const at = findKey(m.payload, BYTES);
      const encoded = at === -1 ? undefined : readString(m.payload, at);
      const data = encoded === undefined ? null : base64Bytes(encoded);
      if (data === null) return;
      const found = findKey(data, METRICS);
      if (found !== -1) metrics = asObject(parseSlice(data, found, valueEnd(data, found))) ?? metrics;
      wrapped.setData(data, 0, data.length);
      claude.onEvent(wrapped);
    },
    finish(complete): MeterResult {
      if (claude.seen()) {
        const result = claude.finish(complete);
        return { ...result, upstreamError: result.upstreamError ?? upstreamError };
      }
      return settle({
        complete,
        status,
        model: null,
        native: metrics,
        reported: metrics === null ? null : normalizeBedrock(metrics),
        body: facts.body,
        upstreamError,
      });
    },
  };
}
