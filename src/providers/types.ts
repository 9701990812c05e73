/** @module The contract between shared code and provider families. Imports no provider file. */
import type { EventStreamMessage } from "../eventstream/types.ts";
import type { SseEvent } from "../sse/types.ts";
import type { Usage, UsageSource } from "../usage/types.ts";

/** What the proxy knows about a request when it picks a meter. */
export interface RequestFacts {
  /** Provider id, lower-case (`openai`, `aws-bedrock`, …). */
  provider: string;
  method: string;
  /** Upstream path after mapping (e.g. `/v1/chat/completions`), raw (not decoded), no query. */
  path: string;
  /** Raw query string with its `?`, or "". */
  query: string;
  /** Parsed JSON request body when it was small enough to inspect, else undefined. */
  body: unknown;
  /** True when the whole request body was read (or there was none), so what it names is known; absent: not read. */
  inspected?: boolean;
  /** The request body's size in bytes (read, else declared); absent or null when unknown. */
  bodyBytes?: number | null;
  /** A multipart upload's audio length (ms) from its file's container header, once streamed past; else null. */
  uploadAudioMs?: () => number | null;
  headers: Headers;
}

/** Reads one response's usage. One instance per request; never throws out of its methods on bad input. */
export interface UsageAccumulator {
  /** Called once with the upstream status and headers, before any body. */
  onResponse?(status: number, headers: Headers): void;
  /** SSE bodies: every event. Views are valid only during the call. */
  onEvent?(event: SseEvent): void;
  /** JSON bodies: the whole body, parsed once, and its bytes (valid only during the call). */
  onJson?(body: unknown, bytes?: Uint8Array): void;
  /** AWS event-stream bodies: every decoded message. */
  onMessage?(message: EventStreamMessage): void;
  /** Bodies with no framing Kestrel reads (binary audio): every chunk as it goes to the client. */
  onBytes?(chunk: Uint8Array): void;
  /** End of the response; `complete` is false when it was cut (client abort, upstream reset, idle timeout). */
  finish(complete: boolean): MeterResult;
}

/** What one response reported, as the provider said it and normalized. */
export interface MeterResult {
  /** The model as the response reports it, or null. */
  model: string | null;
  /** The provider's final usage object as reported (`usage_native`), or null. */
  native: unknown;
  /** Normalized usage, or null when unknown (unknown is not zero). */
  usage: Usage | null;
  source: UsageSource;
  /** Service tier the response reports (`default`, `flex`, `priority`, `batch`, …), or null. */
  serviceTier: string | null;
  /** Inference geography the response reports (Anthropic `inference_geo`), or null. */
  geo: string | null;
  /** Cost the provider itself reported, in pico-USD (OpenRouter `usage.cost`, xAI `cost_in_usd_ticks`). */
  reportedCostPico: number | null;
  /** An error reported inside a successful response (an SSE `error` event, Bedrock exception frame), or null. */
  upstreamError: string | null;
  /** The response's own id (`chatcmpl-…`, `msg_…`, `resp_…`, Gemini `responseId`) where read, else null. */
  responseId: string | null;
  /** The search context size the request fees are billed at (src/providers/search-fees.ts), where one applies. */
  searchContext?: string | null;
}

/**
 * The header a provider reads its API key from, or "unsupported": the request authenticates by signing (Bedrock
 * SigV4) or by an OAuth access token (Vertex AI project paths), which Kestrel keys cannot front yet.
 */
export type ProviderAuth = { header: string; bearer: boolean } | "unsupported";

/** How a provider's responses are metered and logged. Routing lives in `src/resolve/`. */
export interface ProviderSpec {
  /** Provider id as in the URL, lower-case. */
  id: string;
  /**
   * Where the provider reads its API key: a Kestrel key's request gets the provider secret here
   * (src/keys/gate.ts). Absent: `Authorization: Bearer`. A function: it depends on the upstream path (Vertex AI).
   */
  auth?: ProviderAuth | ((path: string) => ProviderAuth);
  /** Name used in log lines (`OpenAI API Usage - …`, `Groq API Usage - …`). */
  label: string;
  /** Which seed log line this provider's records use. */
  logStyle: "openai" | "anthropic" | "gemini" | "bedrock" | "cohere";
  /** The accumulator for this request, or null when the endpoint reports no usage (audio, images, lists…). */
  createAccumulator(facts: RequestFacts): UsageAccumulator | null;
  /** The model the request names (body `model`, or the URL for Gemini / Bedrock), the fallback for pricing. */
  requestModel(facts: RequestFacts): string | null;
  /**
   * Where the client's path, not the response, says what is billed (Bedrock: the URL's model id with its
   * inference-profile prefix, and the AWS region). A non-null field wins over the response's model / geo.
   * Reads only the path, so `kestrel reprice` can ask it about a stored record.
   */
  billedBy?(clientPath: string): { model: string | null; geo: string | null };
  /**
   * True when the upstream accepts `stream_options.include_usage` on this request, so Kestrel may add it to a
   * streaming chat/completions request that did not ask for usage (and strip the usage chunk again).
   */
  acceptsStreamUsage(facts: RequestFacts): boolean;
}
