/**
 * @module The request half of an exchange: read the body (small JSON only), ask a streaming chat request for
 * usage when the provider accepts it, send it, and — if the upstream refuses the added `stream_options` after all —
 * send the client's original request instead, so the client never sees an error Kestrel caused.
 */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { bodyTimeout, ClientGone, type ForwardOptions, hostOf, sendUpstream, type UpstreamCall } from "./forward.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import { peekBody } from "./peek.ts";
import { type RefusalMemory, refusalKey } from "./usage-refusals.ts";
import { lacksStreamUsage, readRequestBody, type RequestBody, withStreamUsage } from "./request-body.ts";

export interface Sent {
  upstream: Response;
  /** True when Kestrel added `stream_options.include_usage` and the upstream took it. */
  injected: boolean;
}

export interface SendOptions extends ForwardOptions {
  injectStreamUsage: boolean;
  /** `Traits.watchStreamedUploads`. */
  watchStreamedUploads: boolean;
  /** Spend control is on: bodies of any framing are read when they may name a model (src/forward/request-body.ts). */
  inspectAll(): boolean;
  /** Upstream endpoints that refused an injected `stream_options` recently: not asked again for a while. */
  refused: RefusalMemory;
  onRefused(endpoint: string): void;
}

const REFUSAL = /stream_options|include_usage/;
/**
 * A refusal is a short JSON error that arrives at once; anything bigger or slower is passed on as it comes (the
 * deadline stays under the idle timeout so the watchdog does not cut the exchange while Kestrel is reading).
 */
const REFUSAL_MAX_BYTES = 64 * 1024;
const REFUSAL_MAX_MS = 10_000;
const decoder = new TextDecoder();

/**
 * One upstream call before its headers and body are known (they come from the client's request). `sentAt` is
 * set (performance.now()) as the request is handed to fetch: Kestrel's own time ends there (a resend: the last).
 */
export type Call = Omit<UpstreamCall, "headers" | "body"> & {
  sentAt: number;
  /** Replaces the client's credentials in the upstream headers (a Kestrel key's request: src/keys/gate.ts). */
  credentials?: (headers: Headers) => void;
  /** Read the whole JSON body even when spend control is off (a Kestrel key's model allow-list needs the model). */
  inspect?: boolean;
};

export async function sendRequest(req: Request, spec: ProviderSpec, facts: RequestFacts, call: Call, options: SendOptions): Promise<Sent> {
  const headers = upstreamRequestHeaders(req.headers);
  call.credentials?.(headers);
  let original: RequestBody;
  try {
    original = await readRequestBody(req, {
      owner: call.owner,
      signal: call.owner.controller.signal,
      streamed: options.watchStreamedUploads,
      idleTimeoutMs: options.idleTimeoutMs,
      inspectAll: options.inspectAll() || call.inspect === true,
    });
  } catch (err) {
    const why = call.owner.why;
    if (why === "body") throw bodyTimeout(options);
    if (why === "idle" || why === "connect") throw err;
    // The client went away mid-upload (or Kestrel is shutting down): nobody to answer.
    throw new ClientGone("Client went away while sending the request body");
  }
  facts.body = original.json;
  facts.inspected = original.inspected;
  facts.bodyBytes = original.bytes;
  if (original.uploadAudioMs) facts.uploadAudioMs = original.uploadAudioMs;
  await call.admit?.();
  const send = (body: RequestBody) => {
    call.sentAt = performance.now();
    return sendUpstream({ ...call, headers, body: body.body }, options);
  };

  if (!options.injectStreamUsage || !lacksStreamUsage(original.json) || !spec.acceptsStreamUsage(facts)) {
    return { upstream: await send(original), injected: false };
  }
  const endpoint = refusalKey(hostOf(call.url), facts.path, original.json);
  if (options.refused.has(endpoint)) return { upstream: await send(original), injected: false };

  const asked = withStreamUsage(original.json as Record<string, unknown>, original.body as Uint8Array);
  headers.set("content-length", String(asked.length));
  const upstream = await send(asked);
  if (upstream.status !== 400 && upstream.status !== 422) return { upstream, injected: true };

  // Read the error (capped, with a deadline) to see whether our addition was the problem.
  if (upstream.body === null) return { upstream, injected: true };
  const peeked = await peekBody(upstream.body, REFUSAL_MAX_BYTES, Math.min(REFUSAL_MAX_MS, options.idleTimeoutMs / 2));
  if (peeked.whole === null || !REFUSAL.test(decoder.decode(peeked.whole))) {
    return { upstream: new Response(peeked.whole as Uint8Array<ArrayBuffer> ?? peeked.stream, upstream), injected: true };
  }
  headers.set("content-length", String((original.body as Uint8Array).byteLength));
  const resent = await send(original);
  // Only a refusal that the original request cures is ours: a client's own bad stream_options fails both times.
  if (resent.ok) {
    options.refused.add(endpoint);
    options.onRefused(endpoint);
  }
  return { upstream: resent, injected: false };
}
