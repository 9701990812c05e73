/**
 * @module Estimates for cut streams (client abort, upstream reset, idle timeout), flagged `source: "estimated"`.
 *
 * Deliberately simple and explicit, so a reader can redo them by hand:
 * - input not yet reported: ceil(UTF-8 bytes of the JSON request body / 4); 0 when the body was not inspected.
 * - output, by what a stream carries per event (each family documents which it uses):
 *   - one token per content chunk for OpenAI-style chat/completions and Responses `*.delta` events (OpenAI
 *     streams emit about one token per chunk: openai-text.sse has 302 content chunks for 300 tokens);
 *   - ceil(content bytes / 4) where events carry text runs (Anthropic and Bedrock deltas, Gemini candidates);
 *     measured on the Anthropic fixtures this is 0.6–1.0× the billed output.
 * Reasoning the stream never showed (hidden thinking) cannot be estimated and is not.
 */
import { buildUsage } from "./build.ts";
import type { Usage } from "./types.ts";

const encoder = new TextEncoder();

/** ceil(bytes / 4): the usual ~4 bytes of English text per token. */
export function tokensFromBytes(bytes: number): number {
  return bytes > 0 ? Math.ceil(bytes / 4) : 0;
}

/** Input tokens of a request body that was inspected, or 0. */
export function estimateInputTokens(body: unknown): number {
  if (body === undefined || body === null) return 0;
  try {
    const json = JSON.stringify(body);
    return json === undefined ? 0 : tokensFromBytes(encoder.encode(json).length);
  } catch {
    return 0;
  }
}

/** A Usage made of estimated input and output; null when both are 0 (nothing to estimate from). */
export function estimatedUsage(input: number, output: number): Usage | null {
  return input === 0 && output === 0 ? null : buildUsage({ input, output });
}
