/**
 * @module Cohere usage → normalized Usage. `billed_units` is what Cohere bills; `tokens` (raw, including the
 * prompt template) and `cached_tokens` (a share of the RAW input, larger than the billed input) stay in the
 * native usage only: reading them as input or cache reads would bill the template.
 */
import { buildUsage } from "./build.ts";
import { asObject, countOf, type JsonObject } from "./fields.ts";
import type { Usage } from "./types.ts";

/**
 * `u` is v2 chat `usage` (`{billed_units, tokens, cached_tokens}`) or v1 / embed `meta` (`{billed_units}`).
 * Falls back to `tokens` when there are no billed units; rerank's `search_units` are search queries. Null when
 * neither holds a count.
 */
export function normalizeCohere(u: JsonObject): Usage | null {
  for (const key of ["billed_units", "tokens"]) {
    const units = asObject(u[key]);
    if (units === undefined) continue;
    const input = countOf(units.input_tokens);
    const output = countOf(units.output_tokens);
    if (input !== undefined || output !== undefined) return buildUsage({ input: input ?? 0, output: output ?? 0 });
    // Rerank bills search units, priced per query (docs/architecture.md §21).
    const search = countOf(units.search_units);
    if (search !== undefined) return buildUsage({ input: 0, output: 0, searchQueries: search });
  }
  return null;
}
