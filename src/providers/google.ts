/**
 * @module Google AI Studio (Gemini API) and Vertex AI.
 *
 * Metered: `…/models/{model}:generateContent` and `:streamGenerateContent` (SSE with `alt=sse`, else a JSON
 * array), the OpenAI-compatible endpoints (`/v1beta/openai/…`, Vertex `/endpoints/openapi/…`), Claude on
 * Vertex (`publishers/anthropic/models/{model}:rawPredict|:streamRawPredict`, Anthropic's format) and other
 * partner models' rawPredict (OpenAI-style chat bodies). Not metered: `:countTokens`, `:computeTokens` and
 * Claude's `count-tokens:rawPredict` (free counting), embeddings (no usage in the response), batch, caches,
 * files and model lists.
 */
import { OPENAI } from "../usage/normalize-openai.ts";
import { createAnthropicAccumulator } from "./anthropic-stream.ts";
import { bodyModel, segmentAfter, trimmedPath } from "./facts.ts";
import { createGeminiAccumulator } from "./gemini-stream.ts";
import { createChatAccumulator } from "./openai-chat.ts";
import { createOpenAiStyleAccumulator } from "./openai.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderAuth, ProviderSpec, RequestFacts, UsageAccumulator } from "./types.ts";

/** The `:method` of a Google model path (`…/models/gemini-2.5-pro:streamGenerateContent` → that), or "". */
function methodOf(path: string): string {
  const slash = path.lastIndexOf("/");
  const colon = path.indexOf(":", slash + 1);
  return colon === -1 ? "" : path.slice(colon + 1);
}

function createGoogleAccumulator(facts: RequestFacts): UsageAccumulator | null {
  const path = trimmedPath(facts);
  const method = methodOf(path);
  if (method === "generateContent" || method === "streamGenerateContent") return createGeminiAccumulator(facts);
  if (method === "rawPredict" || method === "streamRawPredict") {
    if (path.includes("/models/count-tokens:")) return null;
    if (path.includes("/publishers/anthropic/")) return createAnthropicAccumulator(facts);
    if (!path.includes("/publishers/google/")) return createChatAccumulator(facts, { flavor: OPENAI });
    return null;
  }
  if (method !== "") return null;
  return createOpenAiStyleAccumulator(facts, { flavor: OPENAI });
}

/** The model a Google path names (`/models/{model}:…`), else the body's (OpenAI-compatible endpoints). */
function googleModel(facts: RequestFacts): string | null {
  return segmentAfter(facts.path, "/models/", true) ?? bodyModel(facts);
}

export const googleAiStudio: ProviderSpec = {
  id: "google-ai-studio",
  auth: { header: "x-goog-api-key", bearer: false },
  label: "Gemini",
  logStyle: "gemini",
  createAccumulator: createGoogleAccumulator,
  requestModel: googleModel,
  acceptsStreamUsage,
};

/** Express mode's upstream path (src/resolve/routes.ts): `/v1/publishers/…` or `/v1beta1/publishers/…`, no project. */
const EXPRESS_PATH = /^\/v\d[^/]*\/publishers\//;

/**
 * Vertex AI takes an API key (`x-goog-api-key`) only in express mode; every project path wants an OAuth access
 * token from a service account, which Kestrel keys cannot front yet (docs/architecture.md §20).
 */
function vertexAuth(path: string): ProviderAuth {
  return EXPRESS_PATH.test(path) ? { header: "x-goog-api-key", bearer: false } : "unsupported";
}

export const googleVertexAi: ProviderSpec = {
  id: "google-vertex-ai",
  auth: vertexAuth,
  label: "Vertex AI",
  logStyle: "gemini",
  createAccumulator: createGoogleAccumulator,
  requestModel: googleModel,
  acceptsStreamUsage,
};
