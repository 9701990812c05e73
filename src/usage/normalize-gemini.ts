/**
 * @module Gemini / Vertex `usageMetadata` → normalized Usage.
 *
 * promptTokenCount includes cachedContentTokenCount; candidatesTokenCount excludes thoughtsTokenCount; tool-use
 * prompt tokens are billed as input. So input = prompt + toolUsePrompt, output = candidates + thoughts.
 * promptTokensDetails split the prompt by modality INCLUDING cached tokens, and cacheTokensDetails split the
 * cached tokens: cached audio is a subset of both the cache reads and the audio, and is priced once, at the
 * audio cache rate (counting it as cached and again as audio billed it twice). Gemini Live names the output
 * `responseTokenCount` / `responseTokensDetails` where generateContent says `candidates…`.
 */
import { buildUsage } from "./build.ts";
import { asObject, count, countOf, firstCount, type JsonObject } from "./fields.ts";
import type { Usage } from "./types.ts";

const COUNT_FIELDS = [
  "promptTokenCount",
  "candidatesTokenCount",
  "responseTokenCount",
  "totalTokenCount",
  "thoughtsTokenCount",
  "toolUsePromptTokenCount",
  "cachedContentTokenCount",
] as const;

/** True when the metadata carries any token count (Vertex sends `{trafficType}`-only objects mid-stream). */
export function hasGeminiCounts(u: JsonObject): boolean {
  for (const field of COUNT_FIELDS) if (countOf(u[field]) !== undefined) return true;
  return false;
}

/** Tokens of one modality in a `[{modality, tokenCount}]` details list. */
function modality(list: unknown, name: string): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  for (const item of list) {
    const o = asObject(item);
    if (o?.modality === name) n += count(o.tokenCount);
  }
  return n;
}

/** Audio tokens within the cached tokens (`cacheTokensDetails`), for repricing a stored record. */
export function cachedAudio(u: JsonObject): number {
  return modality(u.cacheTokensDetails, "AUDIO");
}

/** Null when the metadata has no counts at all. */
export function normalizeGemini(u: JsonObject): Usage | null {
  if (!hasGeminiCounts(u)) return null;
  const thoughts = count(u.thoughtsTokenCount);
  return buildUsage({
    input: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    output: (firstCount(u.candidatesTokenCount, u.responseTokenCount) ?? 0) + thoughts,
    cacheRead: count(u.cachedContentTokenCount),
    reasoning: thoughts,
    audioIn: modality(u.promptTokensDetails, "AUDIO") + modality(u.toolUsePromptTokensDetails, "AUDIO"),
    audioOut: modality(u.candidatesTokensDetails ?? u.responseTokensDetails, "AUDIO"),
    cacheReadAudio: cachedAudio(u),
  });
}

/** Vertex `trafficType` as a service tier: priority and flex are priced apart; provisioned is prepaid. */
export function geminiTier(trafficType: unknown): string | null {
  switch (trafficType) {
    case "ON_DEMAND":
      return "default";
    case "ON_DEMAND_PRIORITY":
      return "priority";
    case "ON_DEMAND_FLEX":
      return "flex";
    case "PROVISIONED_THROUGHPUT":
      return "provisioned";
    default:
      return typeof trafficType === "string" && trafficType !== "" ? trafficType.toLowerCase() : null;
  }
}
