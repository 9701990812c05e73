/**
 * @module A record → OpenTelemetry GenAI semantic-convention attributes (`gen_ai.*`, `http.response.status_code`,
 * `server.address`). One mapping for both the JSON log line and the OTLP span (docs/architecture.md §15).
 */
import type { UsageRecord } from "../usage/record.ts";

/** An attribute value: the span encodes numbers as integers, strings as strings. */
export type AttributeValue = string | number | boolean;
export type Attributes = [key: string, value: AttributeValue][];

/** Kestrel provider id → the semconv `gen_ai.provider.name` well-known value; others keep Kestrel's id. */
export const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  "anthropic": "anthropic",
  "aws-bedrock": "aws.bedrock",
  "azure-openai": "azure.ai.openai",
  "cohere": "cohere",
  "deepseek": "deepseek",
  "google-ai-studio": "gcp.gemini",
  "google-vertex-ai": "gcp.vertex_ai",
  "grok": "x_ai",
  "groq": "groq",
  "mistral": "mistral_ai",
  "openai": "openai",
  "perplexity-ai": "perplexity",
};

export function providerName(provider: string): string {
  return Object.hasOwn(PROVIDER_NAMES, provider) ? PROVIDER_NAMES[provider]! : provider;
}

/**
 * The semconv `gen_ai.operation.name` for a request, from its method and client path, or null when the endpoint
 * is not one the conventions name (files, audio, images, Bedrock InvokeModel whose body format varies, …).
 */
export function operationName(method: string, path: string): string | null {
  if (method !== "POST") return null;
  // Gemini and Vertex name the method after a colon: `…/models/gemini-2.0-flash:streamGenerateContent`.
  const colon = path.lastIndexOf(":");
  if (colon > path.lastIndexOf("/")) {
    const verb = path.slice(colon + 1);
    if (verb === "generateContent" || verb === "streamGenerateContent") return "generate_content";
    return verb === "embedContent" || verb === "batchEmbedContents" ? "embeddings" : null;
  }
  if (path.endsWith("/chat/completions") || path.endsWith("/chat")) return "chat";
  if (path.endsWith("/completions")) return "text_completion";
  if (path.endsWith("/embeddings") || path.endsWith("/embed")) return "embeddings";
  // Anthropic Messages (not OpenAI's thread messages, which live under /threads/); Bedrock Converse; Responses.
  if (path.endsWith("/messages") && !path.includes("/threads/")) return "chat";
  if (path.endsWith("/converse") || path.endsWith("/converse-stream")) return "chat";
  if (path.endsWith("/responses")) return "chat";
  return null;
}

/** `host` of an absolute URL, without userinfo or port; null when there is none. */
export function hostOf(url: string | null): string | null {
  if (url === null) return null;
  const start = url.indexOf("//");
  if (start < 0) return null;
  let from = start + 2;
  let end = from;
  while (end < url.length && url[end] !== "/" && url[end] !== "?" && url[end] !== "#") end++;
  const at = url.lastIndexOf("@", end);
  if (at >= from) from = at + 1;
  const authority = url.slice(from, end);
  if (authority.startsWith("[")) return authority.slice(0, authority.indexOf("]") + 1);
  const colon = authority.indexOf(":");
  return colon < 0 ? authority : authority.slice(0, colon);
}

export interface GenAiSource {
  record: UsageRecord;
  /** The model the request named (body, or the URL for Gemini / Bedrock), or null. */
  requestModel: string | null;
  /** The model the response reported, or null. */
  responseModel: string | null;
  /** The response's own id (`chatcmpl-…`, `msg_…`), or null. */
  responseId: string | null;
  /** The upstream URL the request went to, or null. */
  upstreamUrl: string | null;
}

/** The semconv attributes of one exchange, in a fixed order; unknown values are left out, never sent as 0. */
export function genAiAttributes({ record: r, requestModel, responseModel, responseId, upstreamUrl }: GenAiSource): Attributes {
  const out: Attributes = [["gen_ai.provider.name", providerName(r.provider)]];
  const operation = operationName(r.method, r.path);
  if (operation !== null) out.push(["gen_ai.operation.name", operation]);
  if (requestModel !== null) out.push(["gen_ai.request.model", requestModel]);
  if (responseModel !== null) out.push(["gen_ai.response.model", responseModel]);
  if (responseId !== null) out.push(["gen_ai.response.id", responseId]);
  // Kestrel's input counts every input token (cache included), as the convention's does.
  if (r.input_tokens !== null) out.push(["gen_ai.usage.input_tokens", r.input_tokens]);
  if (r.output_tokens !== null) out.push(["gen_ai.usage.output_tokens", r.output_tokens]);
  if (r.cache_read_tokens !== null) out.push(["gen_ai.usage.cache_read.input_tokens", r.cache_read_tokens]);
  if (r.cache_write_tokens !== null) out.push(["gen_ai.usage.cache_creation.input_tokens", r.cache_write_tokens]);
  if (r.reasoning_tokens !== null) out.push(["gen_ai.usage.reasoning.output_tokens", r.reasoning_tokens]);
  if (r.status > 0) out.push(["http.response.status_code", r.status]);
  const host = hostOf(upstreamUrl);
  if (host !== null) out.push(["server.address", host]);
  if (r.outcome !== "ok") out.push(["error.type", errorType(r)]);
  return out;
}

/** The semconv `error.type`: an upstream's HTTP status as text, else Kestrel's outcome (`timeout`, `blocked`, …). */
function errorType(r: UsageRecord): string {
  return r.outcome === "upstream_error" && r.status >= 400 ? String(r.status) : r.outcome;
}
