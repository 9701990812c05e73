/**
 * @module The request half of an exchange: read the body (small JSON only), ask a streaming chat request for
 * usage when the provider accepts it, send it, and — if the upstream refuses the added `stream_options` after all —
 * send the client's original request instead, so the client never sees an error Kestrel caused.
 */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { type ForwardOptions, sendUpstream, type UpstreamCall } from "./forward.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import { lacksStreamUsage, readRequestBody, type RequestBody, withStreamUsage } from "./request-body.ts";

export interface Sent {
  upstream: Response;
  /** True when Kestrel added `stream_options.include_usage` and the upstream took it. */
  injected: boolean;
}

export interface SendOptions extends ForwardOptions {
  injectStreamUsage: boolean;
  /** Providers that refused an injected `stream_options` once: never asked again in this process. */
  refused: Set<string>;
  onRefused(provider: string): void;
}

const REFUSAL = /stream_options|include_usage/;
const decoder = new TextDecoder();

type Call = Omit<UpstreamCall, "headers" | "body">;

export async function sendRequest(req: Request, spec: ProviderSpec, facts: RequestFacts, call: Call, options: SendOptions): Promise<Sent> {
  const headers = upstreamRequestHeaders(req.headers);
  const original = await readRequestBody(req);
  facts.body = original.json;
  const send = (body: RequestBody) => sendUpstream({ ...call, headers, body: body.body }, options);

  const inject = options.injectStreamUsage && !options.refused.has(spec.id) && lacksStreamUsage(original.json) &&
    spec.acceptsStreamUsage(facts);
  if (!inject) return { upstream: await send(original), injected: false };

  const asked = withStreamUsage(original.json as Record<string, unknown>);
  headers.set("content-length", String(asked.length));
  const upstream = await send(asked);
  if (upstream.status !== 400 && upstream.status !== 422) return { upstream, injected: true };

  // Error bodies are small; read it to see whether our addition was the problem.
  const bytes = new Uint8Array(await upstream.arrayBuffer());
  if (!REFUSAL.test(decoder.decode(bytes))) {
    return { upstream: new Response(bytes, upstream), injected: true };
  }
  options.refused.add(spec.id);
  options.onRefused(spec.id);
  headers.set("content-length", String((original.body as Uint8Array).byteLength));
  return { upstream: await send(original), injected: false };
}
