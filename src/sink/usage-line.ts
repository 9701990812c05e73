/**
 * @module The seed's usage log lines, one style per provider family:
 * `OpenAI API Usage - Request: req_abc123, Model: gpt-4, Tokens: Prompt=15/Completion=87/Total=102, Streaming: false, Cost: $0.001350`
 * `Anthropic API Usage - Request: …, Model: …, Tokens: I=15/O=87/CC=0/CR=0, Cost: I=$0.000045/O=$0.001305, Total: $0.001350, Streaming: false`
 */
import { usdFixed } from "../pricing/money.ts";
import type { ProviderSpec } from "../providers/types.ts";
import { redact } from "../redact.ts";
import { type Fact, pinRequestId } from "../usage/fact.ts";
import { isUnpriced } from "../usage/record.ts";

const n = (v: number | null) => v ?? 0;
const money = (pico: number) => `$${usdFixed(pico, 6)}`;

function tokens(style: ProviderSpec["logStyle"], r: Fact): string {
  const uncached = n(r.input_tokens) - n(r.cache_read_tokens) - n(r.cache_write_tokens);
  switch (style) {
    case "anthropic":
      return `I=${uncached}/O=${n(r.output_tokens)}/CC=${n(r.cache_write_tokens)}/CR=${n(r.cache_read_tokens)}`;
    case "gemini":
      return `Prompt=${n(r.input_tokens)}/Candidates=${n(r.output_tokens) - n(r.reasoning_tokens)}/Thoughts=${
        n(r.reasoning_tokens)
      }/Cached=${n(r.cache_read_tokens)}/Total=${n(r.total_tokens)}`;
    case "bedrock":
      return `Input=${uncached}/Output=${n(r.output_tokens)}/CacheRead=${n(r.cache_read_tokens)}/CacheWrite=${
        n(r.cache_write_tokens)
      }/Total=${n(r.total_tokens)}`;
    case "cohere":
      return `Input=${n(r.input_tokens)}/Output=${n(r.output_tokens)}/Total=${n(r.total_tokens)}`;
    default:
      return `Prompt=${n(r.input_tokens)}/Completion=${n(r.output_tokens)}/Total=${n(r.total_tokens)}`;
  }
}

/** The Anthropic cost parts: I and O always, then cache writes, cache reads and the rest when non-zero. */
function anthropicCost(breakdown: Readonly<Record<string, number>>, total: number): string {
  const b = (k: string) => breakdown[k] ?? 0;
  const parts = [`I=${money(b("input"))}`, `O=${money(b("output"))}`];
  const cacheWrite = b("cache_write_5m") + b("cache_write_1h");
  if (cacheWrite) parts.push(`CC=${money(cacheWrite)}`);
  if (b("cache_read")) parts.push(`CR=${money(b("cache_read"))}`);
  if (b("web_search")) parts.push(`WS=${money(b("web_search"))}`);
  return `Cost: ${parts.join("/")}, Total: ${money(total)}`;
}

/** A refused request names what refused it: the refusal's message, which the record keeps as `usage_error`. */
const blockedBy = (r: Fact) => r.outcome === "blocked" && r.problems !== null ? ` (${redact(r.problems)})` : "";

/**
 * The line, from the fact: the request id it shows is made now when the upstream sent none, and kept in the fact so
 * the stored record has the same.
 */
export function usageLine(spec: ProviderSpec, r: Fact): string {
  const breakdown = r.breakdown;
  const usage = r.usage_source === "none"
    ? "unknown"
    : `${tokens(spec.logStyle, r)}${r.usage_source === "estimated" ? " (estimated)" : ""}`;
  const head = `${spec.label} API Usage - Request: ${pinRequestId(r)}, Model: ${r.model ?? "unknown"}, Tokens: ${usage}`;
  // Without usage there is nothing to price: "unpriced" is kept for usage that has no price (isUnpriced).
  const cost = r.cost_pico !== null ? `Cost: ${money(r.cost_pico)}` : isUnpriced(r) ? "Cost: unpriced" : "Cost: none";
  const tail = r.outcome === "ok" ? "" : `, Status: ${r.status}, Outcome: ${r.outcome}${blockedBy(r)}`;
  if (spec.logStyle === "anthropic") {
    const parts = r.cost_pico === null || breakdown === null ? cost : anthropicCost(breakdown, r.cost_pico);
    return `${head}, ${parts}, Streaming: ${r.streaming}${tail}`;
  }
  return `${head}, Streaming: ${r.streaming}, ${cost}${tail}`;
}
