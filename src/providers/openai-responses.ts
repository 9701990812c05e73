/**
 * @module Accumulator for the OpenAI Responses API (OpenAI, Azure, xAI, GitHub Copilot style), JSON and SSE.
 *
 * Usage is `response.usage` of a terminal event: `response.completed`, `response.incomplete` (still billed)
 * or `response.failed` (usually `usage: null`). `response.created` may carry an all-zero usage: ignored.
 * Errors come as an `error` event in two shapes (`{code, message}` at the top level, or nested under `error`)
 * and as `response.failed` with `response.error`.
 *
 * Several terminal events in one body: the LAST one wins (usage, model, tier), as for a background response
 * re-streamed in full, where adding them up would bill it twice. One HTTP response carries one response on the
 * real wire; a recording that concatenates a tool loop (openai-reasoning-encrypted-content.1) is four requests.
 *
 * Hosted web search is billed per call outside `usage`: `web_search_call` items of the terminal response's
 * `output` are counted into `web_search_requests`.
 *
 * HOT: named events are classified by a byte compare of the `event:` name; only terminal and error events are
 * parsed (once each). Delta events only increment a counter.
 */
import { findKey, keyPattern, parseSlice, readString } from "../json/probe.ts";
import { equalsAt } from "../sse/bytes.ts";
import type { SseEvent } from "../sse/types.ts";
import { asObject, type JsonObject, textOf } from "../usage/fields.ts";
import { normalizeOpenAi, type OpenAiFlavor, reportedCostPico } from "../usage/normalize-openai.ts";
import type { Usage } from "../usage/types.ts";
import { ascii, type Classify, endsWithBytes, isObjectData, kindOf, OTHER, UNKNOWN } from "./event-kind.ts";
import { settle } from "./settle.ts";
import type { MeterResult, RequestFacts, UsageAccumulator } from "./types.ts";
import { describeError } from "./upstream-error.ts";

const TERMINAL = 1;
const ERROR = 2;
const CREATED = 3;
const DELTA = 4;

const NAMES: ReadonlyArray<readonly [Uint8Array, number]> = [
  [ascii("response.completed"), TERMINAL],
  [ascii("response.incomplete"), TERMINAL],
  [ascii("response.failed"), TERMINAL],
  [ascii("response.created"), CREATED],
  [ascii("error"), ERROR],
];
const PREFIX = ascii("response.");
const DELTA_SUFFIX = ascii(".delta");
const MODEL = keyPattern("model");

const classify: Classify = (buf, start, end) => {
  for (const [name, kind] of NAMES) if (equalsAt(buf, start, end, name)) return kind;
  if (endsWithBytes(buf, start, end, DELTA_SUFFIX)) return DELTA;
  // Every other Responses event is `response.…`; any other name is not this family's (fall back to `type`).
  return end - start > PREFIX.length && equalsAt(buf, start, start + PREFIX.length, PREFIX) ? OTHER : UNKNOWN;
};

/** `web_search_call` items in a response's output: hosted web search is billed per call. */
function webSearchCalls(response: JsonObject): number {
  if (!Array.isArray(response.output)) return 0;
  let n = 0;
  for (const item of response.output) if (asObject(item)?.type === "web_search_call") n++;
  return n;
}

export function createResponsesAccumulator(facts: RequestFacts, flavor: OpenAiFlavor): UsageAccumulator {
  let status: number | null = null;
  let model: string | null = null;
  let id: string | null = null;
  let tier: string | null = null;
  /** The last terminal response's usage; null also when that usage was null (failed). */
  let usage: JsonObject | null = null;
  let webSearch = 0;
  let upstreamError: string | null = null;
  /** Delta events: one output token each for a cut stream's estimate. */
  let deltas = 0;
  /** A stream was read, and whether a terminal event came: a stream always ends with one, else it was dropped. */
  let streamed = false;
  let terminal = false;

  /** A whole response object: a terminal event's `response`, or a JSON body. */
  function takeResponse(response: JsonObject): void {
    usage = asObject(response.usage) ?? null;
    model = textOf(response.model) ?? model;
    id = textOf(response.id) ?? id;
    tier = textOf(response.service_tier) ?? tier;
    webSearch = webSearchCalls(response);
    if (response.status === "failed" && response.error !== undefined && response.error !== null) {
      upstreamError ??= describeError(response.error);
    }
  }

  return {
    onResponse(code) {
      status = code;
    },
    onEvent(event: SseEvent) {
      streamed = true;
      const kind = kindOf(event, classify);
      if (kind === OTHER) return;
      if (kind === DELTA) {
        deltas++;
        return;
      }
      const data = event.data;
      if (!isObjectData(data)) return;
      if (kind === CREATED) {
        if (model === null) {
          const at = findKey(data, MODEL);
          if (at !== -1) model = textOf(readString(data, at));
        }
        return;
      }
      const o = asObject(parseSlice(data));
      if (o === undefined) return;
      if (kind === ERROR) {
        // Checked: without an event name, a nested `"type":"error"` must not count.
        if (o.type === "error") upstreamError ??= describeError(o.error ?? o);
        return;
      }
      const response = asObject(o.response);
      if (response !== undefined) {
        takeResponse(response);
        terminal = true;
      }
    },
    onJson(body) {
      const o = asObject(body);
      if (o === undefined) return;
      if (o.object === "response" || o.usage !== undefined) takeResponse(o);
      else if (o.error !== undefined && o.error !== null) upstreamError ??= describeError(o.error);
    },
    finish(complete): MeterResult {
      let reported: Usage | null = usage === null ? null : normalizeOpenAi(usage, flavor);
      if (reported !== null && webSearch > reported.web_search_requests) {
        reported = { ...reported, web_search_requests: webSearch };
      }
      return settle({
        complete: complete && (!streamed || terminal),
        status,
        model,
        native: usage,
        reported,
        outputEstimate: deltas,
        body: facts.body,
        serviceTier: tier,
        reportedCostPico: usage === null ? null : reportedCostPico(usage, flavor),
        upstreamError,
        responseId: id,
      });
    },
  };
}
