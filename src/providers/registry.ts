/**
 * @module Every provider Kestrel proxies (the original system's 26 ids), id → ProviderSpec. Routing (upstream
 * hosts) lives in src/resolve/; this table says how responses are metered and labelled.
 */
import { anthropic } from "./anthropic.ts";
import { awsBedrock } from "./bedrock.ts";
import { cohere } from "./cohere.ts";
import { googleAiStudio, googleVertexAi } from "./google.ts";
import { azureOpenai, openai } from "./openai.ts";
import { COMPATIBLE } from "./openai-compatible.ts";
import { PASSTHROUGH } from "./passthrough.ts";
import { replicate } from "./replicate.ts";
import type { ProviderSpec } from "./types.ts";

/** All providers, sorted by id. */
export const PROVIDERS: readonly ProviderSpec[] = [
  anthropic,
  awsBedrock,
  azureOpenai,
  cohere,
  googleAiStudio,
  googleVertexAi,
  openai,
  ...COMPATIBLE,
  ...PASSTHROUGH,
  replicate,
].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const BY_ID: ReadonlyMap<string, ProviderSpec> = new Map(PROVIDERS.map((spec) => [spec.id, spec]));

/** The spec for a provider id (lower-case, as in the URL), or undefined. */
export function getProvider(id: string): ProviderSpec | undefined {
  return BY_ID.get(id);
}
