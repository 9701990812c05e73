/**
 * @module Anthropic Messages usage → normalized Usage (also Bedrock InvokeModel and Vertex rawPredict Claude).
 *
 * Rules (tested in test/usage/normalize-anthropic.test.ts):
 * - input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens (input_tokens excludes cache).
 * - 1 h cache writes: `cache_creation.ephemeral_1h_input_tokens`, capped at `cache_creation_input_tokens`; the
 *   rest of the writes are 5 m. A streamed `message_delta` does not repeat the split, so after the field-by-field
 *   merge the split is the start's: its 1 h count stays (capped at the final total) and every token the final
 *   total adds is billed at the 5 m rate, the cheaper reading of an unreported split.
 * - `usage.iterations` (compaction, advisor, fallback betas): the top-level numbers leave out compaction
 *   iterations and advisor sub-inferences, and with a server-side fallback they count only the attempt that
 *   served the answer. When iterations are present, Usage is the SUM of the iterations billed at the serving
 *   model's rates: every iteration except `advisor_message` (another model, its own rates; it stays in the
 *   native usage for the pricing layer) and, when a `fallback_message` exists, except iterations naming a
 *   model other than the fallback's (declined attempts, which the top level also leaves out).
 * - web_search_requests = server_tool_use.web_search_requests; reasoning = output_tokens_details.thinking_tokens.
 */
import { buildUsage } from "./build.ts";
import { asObject, count, countOf, type JsonObject, path, textOf } from "./fields.ts";
import type { Usage } from "./types.ts";

interface Counts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
}

function countsOf(u: JsonObject): Counts {
  const split = asObject(u.cache_creation);
  const cacheWrite = countOf(u.cache_creation_input_tokens) ??
    count(split?.ephemeral_5m_input_tokens) + count(split?.ephemeral_1h_input_tokens);
  const cacheRead = count(u.cache_read_input_tokens);
  return {
    input: count(u.input_tokens) + cacheWrite + cacheRead,
    output: count(u.output_tokens),
    cacheRead,
    cacheWrite,
    cacheWrite1h: Math.min(count(split?.ephemeral_1h_input_tokens), cacheWrite),
  };
}

/** The iterations billed at the serving model's rates, or null when the usage has none. */
export function billedIterations(u: JsonObject): JsonObject[] | null {
  if (!Array.isArray(u.iterations) || u.iterations.length === 0) return null;
  const all = u.iterations.map(asObject).filter((it): it is JsonObject => it !== undefined);
  let served: string | null = null;
  for (const it of all) if (it.type === "fallback_message") served = textOf(it.model) ?? served;
  return all.filter((it) => {
    if (it.type === "advisor_message") return false;
    const model = textOf(it.model);
    return served === null || model === null || model === served;
  });
}

/** The model that served a usage with a `fallback_message` iteration, or null. */
export function fallbackModel(u: JsonObject): string | null {
  if (!Array.isArray(u.iterations)) return null;
  let served: string | null = null;
  for (const it of u.iterations) if (path(it, "type") === "fallback_message") served = textOf(path(it, "model"));
  return served;
}

export function normalizeAnthropic(u: JsonObject): Usage {
  const parts = billedIterations(u)?.map(countsOf) ?? [countsOf(u)];
  const sum: Counts = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
  for (const p of parts) {
    sum.input += p.input;
    sum.output += p.output;
    sum.cacheRead += p.cacheRead;
    sum.cacheWrite += p.cacheWrite;
    sum.cacheWrite1h += p.cacheWrite1h;
  }
  return buildUsage({
    ...sum,
    reasoning: count(path(u, "output_tokens_details", "thinking_tokens")),
    webSearch: count(path(u, "server_tool_use", "web_search_requests")),
  });
}
