/**
 * @module OpenAI and Azure OpenAI, and the endpoint routing every OpenAI-style provider shares.
 *
 * Metered endpoints: chat completions, legacy completions (and FIM), embeddings, rerank, audio transcription
 * and translation (token usage, else the seconds reported), text-to-speech and images (src/providers/units.ts),
 * search-preview request fees (src/providers/search-fees.ts), the
 * Responses API (create, and GET of a stored or re-streamed response). Not metered (no accumulator):
 * `/responses/input_tokens` (a free counting call), moderations, files, batches, models and every other path.
 */
import { OPENAI } from "../usage/normalize-openai.ts";
import { bodyModel, segmentAfter, trimmedPath } from "./facts.ts";
import { type ChatOptions, createChatAccumulator } from "./openai-chat.ts";
import { createResponsesAccumulator } from "./openai-responses.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import { withSearchPreviewFee } from "./search-fees.ts";
import { createImageAccumulator, createSpeechAccumulator, withTranscribedSeconds } from "./units.ts";
import type { ProviderSpec, RequestFacts, UsageAccumulator } from "./types.ts";

export type OpenAiEndpoint = "chat" | "transcription" | "speech" | "images" | "responses" | null;

const CHAT_SUFFIXES = [
  "/chat/completions",
  "/completions",
  "/embeddings",
  "/rerank",
];

/** A response id, optionally `/cancel`; not `input_tokens` (a free counting call) nor a list path. */
const RESPONSE_ID = /^(?!input_tokens$)[^/]+(?:\/cancel)?$/;

/** Which accumulator an OpenAI-style path takes, from its (trailing-slash-free) upstream path. */
export function openAiEndpoint(path: string): OpenAiEndpoint {
  for (const suffix of CHAT_SUFFIXES) if (path.endsWith(suffix)) return "chat";
  if (path.endsWith("/audio/transcriptions") || path.endsWith("/audio/translations")) return "transcription";
  if (path.endsWith("/audio/speech")) return "speech";
  if (/\/images\/(generations|edits|variations)$/.test(path)) return "images";
  if (path.endsWith("/responses")) return "responses";
  // `/responses/{id}` (retrieve, re-stream) and `/responses/{id}/cancel` return a response object.
  const at = path.lastIndexOf("/responses/");
  if (at !== -1 && RESPONSE_ID.test(path.slice(at + "/responses/".length))) return "responses";
  return null;
}

/** The accumulator for an OpenAI-style request, or null for endpoints that report no usage. */
export function createOpenAiStyleAccumulator(facts: RequestFacts, options: ChatOptions): UsageAccumulator | null {
  switch (openAiEndpoint(trimmedPath(facts))) {
    case "chat":
      return createChatAccumulator(facts, options);
    case "transcription":
      return withTranscribedSeconds(createChatAccumulator(facts, options), facts);
    case "speech":
      return createSpeechAccumulator(facts);
    case "images":
      return createImageAccumulator(facts);
    case "responses":
      return createResponsesAccumulator(facts, options.flavor);
    default:
      return null;
  }
}

export const openai: ProviderSpec = {
  id: "openai",
  label: "OpenAI",
  logStyle: "openai",
  createAccumulator: (facts) => withSearchPreviewFee(createOpenAiStyleAccumulator(facts, { flavor: OPENAI }), facts),
  requestModel: bodyModel,
  acceptsStreamUsage,
};

/**
 * Azure OpenAI: OpenAI's formats, plus a first streamed chunk holding only `prompt_filter_results` (empty model,
 * no usage) that the chat accumulator skips. Classic paths name the deployment, and the body's `model` is
 * ignored there; the v1 API (`/openai/v1/…`) takes `model` from the body. The response's `model` (the
 * underlying snapshot) is what is priced; the request model is only the fallback.
 */
export const azureOpenai: ProviderSpec = {
  id: "azure-openai",
  auth: { header: "api-key", bearer: false },
  label: "Azure OpenAI",
  logStyle: "openai",
  createAccumulator: (facts) => withSearchPreviewFee(createOpenAiStyleAccumulator(facts, { flavor: OPENAI }), facts),
  requestModel: (facts) => segmentAfter(facts.path, "/deployments/", false) ?? bodyModel(facts),
  acceptsStreamUsage,
};
