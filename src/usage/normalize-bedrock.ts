/**
 * @module Bedrock usage → normalized Usage: Converse `usage`, `amazon-bedrock-invocationMetrics`, and the
 * InvokeModel `x-amzn-bedrock-*-token-count` headers (read into the metrics spelling by bedrock.ts).
 *
 * Bedrock's input count EXCLUDES cache reads and writes (as Anthropic's does), so
 * input = inputTokens + cacheRead + cacheWrite. Both spellings occur, sometimes in one body
 * (`cacheReadInputTokens` and `cacheReadInputTokenCount`): they are the same number, read once.
 */
import { buildUsage } from "./build.ts";
import { asObject, count, firstCount, type JsonObject } from "./fields.ts";
import type { Usage } from "./types.ts";

/** Sum of `cacheDetails[]` entries with a 1-hour TTL. */
function oneHour(details: unknown): number {
  if (!Array.isArray(details)) return 0;
  let n = 0;
  for (const d of details) {
    const o = asObject(d);
    if (o?.ttl === "1h") n += count(o.inputTokens);
  }
  return n;
}

/** Null when neither spelling of the input or output count is present. */
export function normalizeBedrock(u: JsonObject): Usage | null {
  const input = firstCount(u.inputTokens, u.inputTokenCount);
  const output = firstCount(u.outputTokens, u.outputTokenCount);
  if (input === undefined && output === undefined) return null;
  const cacheRead = firstCount(u.cacheReadInputTokens, u.cacheReadInputTokenCount) ?? 0;
  const cacheWrite = firstCount(u.cacheWriteInputTokens, u.cacheWriteInputTokenCount) ?? 0;
  return buildUsage({
    input: (input ?? 0) + cacheRead + cacheWrite,
    output: output ?? 0,
    cacheRead,
    cacheWrite,
    cacheWrite1h: oneHour(u.cacheDetails),
  });
}
