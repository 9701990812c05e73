/**
 * @module Gemini grounding with Google Search (docs/architecture.md §21): the search queries a response reports in
 * `candidates[].groundingMetadata.webSearchQueries`. Google bills Gemini 3 models per search query and Gemini 2.5
 * and older per grounded prompt (ai.google.dev/gemini-api/docs/pricing, "Grounding with Google Search"); empty
 * query strings are not billed ("we ignore the empty web search queries when counting unique queries"). The count
 * kept is of unique non-empty queries; whether they or the one prompt are billed is the price row's
 * (`web_search_per_query`, from LiteLLM's `web_search_billing_unit`).
 *
 * HOT: one probe per stream chunk for the `webSearchQueries` key; only that array is parsed, where present.
 */
import { findKey, keyPattern, parseSlice, valueEnd } from "../json/probe.ts";
import { asObject, textOf } from "../usage/fields.ts";
import type { Usage } from "../usage/types.ts";

const WEB_SEARCH_QUERIES = keyPattern("webSearchQueries");

export interface Grounding {
  /** A stream chunk's bytes: every `webSearchQueries` array in it. */
  fromBytes(data: Uint8Array): void;
  /** A parsed chunk or JSON body. */
  fromChunk(chunk: unknown): void;
  /** `usage` with the searches counted, or as it is when the response ran none. */
  apply(usage: Usage | null): Usage | null;
}

export function createGrounding(): Grounding {
  const queries = new Set<string>();
  const add = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const q of list) {
      const text = textOf(q);
      if (text !== null && text.trim() !== "") queries.add(text);
    }
  };
  return {
    fromBytes(data) {
      for (let at = findKey(data, WEB_SEARCH_QUERIES); at !== -1;) {
        const end = valueEnd(data, at);
        if (end === -1) return;
        add(parseSlice(data, at, end));
        at = findKey(data, WEB_SEARCH_QUERIES, end);
      }
    },
    fromChunk(chunk) {
      const candidates = asObject(chunk)?.candidates;
      if (!Array.isArray(candidates)) return;
      for (const c of candidates) add(asObject(asObject(c)?.groundingMetadata)?.webSearchQueries);
    },
    apply(usage) {
      if (usage === null || queries.size === 0) return usage;
      return { ...usage, web_search_requests: queries.size, grounded_prompts: 1 };
    },
  };
}
