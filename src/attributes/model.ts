/**
 * @module The canonical model a request names: what budgets and rate limits match on and what `requested_model`
 * stores (docs/architecture.md §12). The family a dated alias belongs to, in lower case, so that `GPT-4o-mini`,
 * `gpt-4o-mini-2024-07-18` and `gpt-4o-mini` are one model to spend control. Pricing never uses it: the price is
 * the billed model's (the response's), which stays as reported in `model`.
 */

/**
 * Version suffixes a provider puts on a model family, stripped from the end one at a time (at most four):
 * Bedrock `-v2:0`, dates `-2024-08-06` / `-20241022` / `@20241022`, Cohere `-08-2024`, OpenAI and Mistral `-0613` /
 * `-2407`, Gemini `-002`, and `-latest`.
 */
const SUFFIXES: readonly RegExp[] = [
  /-v\d+:\d+$/,
  /-\d{4}-\d{2}-\d{2}$/,
  /[-@]\d{8}$/,
  /-\d{2}-\d{4}$/,
  /-\d{3,4}$/,
  /-latest$/,
];

/** Gemini's resource form (`models/gemini-2.0-flash`) names the same model as its id. */
const PREFIX = "models/";

const MAX_MODEL = 256;

/** The canonical form of a model id, or null for none. Pure and cheap (a few regex tests); results are memoized. */
export function canonicalModel(model: string | null | undefined): string | null {
  if (model === null || model === undefined) return null;
  const known = memo.get(model);
  if (known !== undefined) return known;
  let m = model.trim().toLowerCase();
  if (m.startsWith(PREFIX)) m = m.slice(PREFIX.length);
  for (let round = 0; round < 4; round++) {
    const before = m;
    for (const suffix of SUFFIXES) {
      const cut = m.replace(suffix, "");
      // A suffix is only a suffix when something is left before it (`o3-2025-04-16`, never `2024-08-06` alone).
      if (cut !== m && cut.length > 0) {
        m = cut;
        break;
      }
    }
    if (m === before) break;
  }
  const out = m === "" ? null : m.slice(0, MAX_MODEL);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(model, out);
  return out;
}

/** Distinct ids remembered; real traffic names few models, invented names only cost a recompute. */
const MEMO_LIMIT = 4096;
const memo = new Map<string, string | null>();
