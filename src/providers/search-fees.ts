/**
 * @module Search and per-request fees on chat completions (docs/architecture.md §21): Perplexity's request fee by
 * search context size, its search queries, citation tokens and Deep Research reasoning; OpenAI search-preview
 * models' per-request fee by context size. Each wraps the chat accumulator: the tokens stay as it read them.
 *
 * The size is the one the response reports (Perplexity `usage.search_context_size`), else the request's
 * `web_search_options.search_context_size`, else the provider's documented default. A fee whose size came from the
 * request turns a `reported` usage into `request`: the record says the weakest source of any of its counts.
 */
import { asObject, count, type JsonObject, textOf } from "../usage/fields.ts";
import type { Usage, UsageSource } from "../usage/types.ts";
import { OPENAI } from "../usage/normalize-openai.ts";
import { bodyModel, trimmedPath } from "./facts.ts";
import { createChatAccumulator } from "./openai-chat.ts";
import type { MeterResult, ProviderSpec, RequestFacts, UsageAccumulator } from "./types.ts";

/** Perplexity: "Default search_context_size is low" (docs.perplexity.ai/guides/search-context-size-guide). */
export const PERPLEXITY_DEFAULT_CONTEXT = "low";
/** OpenAI: `web_search_options.search_context_size` "medium is the default" (chat completions API reference). */
export const OPENAI_DEFAULT_CONTEXT = "medium";

/**
 * The context size a request asks for, lower case, or null. Perplexity's Pro Search (`search_type` `pro`, or
 * `auto`, which may choose it) is priced apart and the table has no such price: the size then names the search
 * type too (`pro/low`), so the fee is unpriced with that reason rather than billed at the plain size's price.
 */
export function requestedContext(facts: RequestFacts): { size: string | null; searchType: string | null } {
  const options = asObject(asObject(facts.body)?.web_search_options);
  const size = textOf(options?.search_context_size)?.toLowerCase() ?? null;
  const type = textOf(options?.search_type)?.toLowerCase() ?? null;
  return { size, searchType: type === null || type === "fast" ? null : type };
}

/** A wrapper that keeps every callback of `inner` and replaces its result. */
function wrap(inner: UsageAccumulator, finish: (r: MeterResult) => MeterResult): UsageAccumulator {
  return {
    ...(inner.onResponse ? { onResponse: inner.onResponse.bind(inner) } : {}),
    ...(inner.onEvent ? { onEvent: inner.onEvent.bind(inner) } : {}),
    ...(inner.onJson ? { onJson: inner.onJson.bind(inner) } : {}),
    ...(inner.onMessage ? { onMessage: inner.onMessage.bind(inner) } : {}),
    finish: (complete) => finish(inner.finish(complete)),
  };
}

/** `reported` becomes `request` when a count came from the request; `estimated` stays the weaker. */
function weaker(source: UsageSource, fromRequest: boolean): UsageSource {
  return fromRequest && source === "reported" ? "request" : source;
}

/**
 * Perplexity's search models (docs.perplexity.ai/getting-started/models): `sonar`, `sonar-pro`, `sonar-reasoning`,
 * `sonar-reasoning-pro`, `sonar-deep-research`; the retired offline `sonar-small-chat` / `sonar-medium-chat` and
 * the open models (`llama-…`, `mistral-…`) had no request fee.
 */
function searches(model: string | null): boolean {
  const id = model?.replace(/^perplexity\//, "") ?? "";
  return id.startsWith("sonar") && !id.endsWith("-chat");
}

/**
 * Perplexity chat completions. Its usage (docs.perplexity.ai/api-reference/chat-completions-post) reports
 * `search_context_size`, `num_search_queries`, and, for Deep Research, `citation_tokens` and `reasoning_tokens`,
 * both outside `prompt_tokens` / `completion_tokens` (their sum is `total_tokens`). One request fee per search
 * request; what each model bills of these is the table's (corrections.ts: Deep Research bills search queries and
 * no request fee, the others the fee and not the queries).
 */
export function withPerplexityFees(inner: UsageAccumulator, facts: RequestFacts): UsageAccumulator {
  return wrap(inner, (r) => {
    if (r.usage === null) return r;
    const native = asObject(r.native);
    const reported = textOf(native?.search_context_size)?.toLowerCase() ?? null;
    const asked = requestedContext(facts);
    const model = r.model ?? bodyModel(facts);
    const fee = reported !== null || searches(model);
    const size = reported ?? asked.size ?? PERPLEXITY_DEFAULT_CONTEXT;
    const usage: Usage = {
      ...r.usage,
      search_queries: count(native?.num_search_queries),
      request_fees: fee ? 1 : 0,
    };
    addPriced(usage, native);
    return {
      ...r,
      usage,
      source: weaker(r.source, fee && reported === null),
      searchContext: fee ? (asked.searchType === null ? size : `${asked.searchType}/${size}`) : null,
    };
  });
}

/** Citation tokens and Deep Research reasoning: priced where the row has their rates, not columns. */
function addPriced(usage: Usage, native: JsonObject | undefined): void {
  const citation = count(native?.citation_tokens);
  if (citation > 0) usage.citation_tokens = citation;
  const research = count(native?.reasoning_tokens);
  if (research > 0) usage.research_reasoning_tokens = research;
}

/**
 * The Perplexity spec: the OpenAI-compatible one with its fees metered on chat completions, and on `/v1/sonar`,
 * the Sonar API's newer path, which answers in the same chat completion shape (Perplexity's quickstart).
 */
export function perplexity(spec: ProviderSpec): ProviderSpec {
  return {
    ...spec,
    createAccumulator(facts) {
      const path = trimmedPath(facts);
      if (path.endsWith("/v1/sonar")) return withPerplexityFees(createChatAccumulator(facts, { flavor: OPENAI }), facts);
      const inner = spec.createAccumulator(facts);
      return inner !== null && path.endsWith("/chat/completions") ? withPerplexityFees(inner, facts) : inner;
    },
  };
}

/**
 * OpenAI search-preview models on chat completions search on every request and bill one fee per request by the
 * request's context size (OpenAI does not report it): `gpt-4o-search-preview`, `gpt-4o-mini-search-preview` and
 * their snapshots. Other models are left as they are.
 */
export function withSearchPreviewFee(inner: UsageAccumulator | null, facts: RequestFacts): UsageAccumulator | null {
  if (inner === null || !trimmedPath(facts).endsWith("/chat/completions")) return inner;
  // Hot path: every OpenAI chat request comes here. One that names another model is left unwrapped; one that names
  // none (an Azure deployment) is decided by the answer's model.
  const asked = bodyModel(facts);
  if (asked !== null && !asked.includes("-search-preview")) return inner;
  return wrap(inner, (r) => {
    const model = r.model ?? asked;
    if (r.usage === null || model === null || !model.includes("-search-preview")) return r;
    const size = requestedContext(facts).size ?? OPENAI_DEFAULT_CONTEXT;
    return { ...r, usage: { ...r.usage, request_fees: 1 }, source: weaker(r.source, true), searchContext: size };
  });
}
