/**
 * @module Anthropic (`/v1/messages`). `/v1/messages/count_tokens` is free and has no accumulator; message
 * batches, models and files report no per-request usage. Anthropic's OpenAI-compatible
 * `/v1/chat/completions` is metered with the OpenAI chat accumulator.
 */
import { OPENAI } from "../usage/normalize-openai.ts";
import { createAnthropicAccumulator } from "./anthropic-stream.ts";
import { bodyModel, trimmedPath } from "./facts.ts";
import { createChatAccumulator } from "./openai-chat.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderSpec } from "./types.ts";

export const anthropic: ProviderSpec = {
  id: "anthropic",
  auth: { header: "x-api-key", bearer: false },
  label: "Anthropic",
  logStyle: "anthropic",
  createAccumulator(facts) {
    const path = trimmedPath(facts);
    if (path.endsWith("/messages")) return createAnthropicAccumulator(facts);
    if (path.endsWith("/chat/completions")) return createChatAccumulator(facts, { flavor: OPENAI });
    return null;
  },
  requestModel: bodyModel,
  acceptsStreamUsage,
};
