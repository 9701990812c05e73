/**
 * @module The upstream answered: meter its body on the way to the client (whole when small JSON, else streamed)
 * and write the exchange's record when the body ends, however it ends (src/routes/outcome.ts).
 */
import { errorResponse } from "../errors.ts";
import { hostOf } from "../forward/forward.ts";
import { clientResponseHeaders } from "../forward/headers.ts";
import { peekBody } from "../forward/peek.ts";
import { meterBody } from "../meter/body.ts";
import { createMeter, framingOf, type Meter } from "../meter/meter.ts";
import { createUsageStrip, guardStrip } from "../meter/usage-strip.ts";
import { describeError } from "../redact.ts";
import type { Live } from "./live.ts";
import { readFailure } from "./outcome.ts";

export interface Answered {
  upstream: Response;
  /** Kestrel asked for the stream's usage chunk: it is taken out again before the client sees it. */
  injected: boolean;
  /** The moment the request went upstream (performance.now()). */
  sentAt: number;
  fetchDecodesZstd: boolean;
}

/** The answer's state goes on the exchange (`state`), which is also the client's body observer: no closures. */
export async function answer(state: Live, x: Answered): Promise<Response> {
  const { upstream, sentAt } = x;
  const { spec, facts, t0 } = state;
  const answeredAt = performance.now();
  state.status = upstream.status;
  state.responseHeaders = upstream.headers;
  state.ttfbMs = answeredAt - t0;
  /** Kestrel's own time so far (arrival → sent); the time to ready the response is added below (§13). */
  const beforeSend = sentAt - t0;
  state.last = state.deps.watchdog.now();
  if (upstream.status < 200 || upstream.status > 599) {
    // `new Response` refuses such a status: answer for the upstream instead of throwing.
    upstream.body?.cancel().catch(() => {});
    const message = `Upstream ${JSON.stringify(hostOf(state.upstreamUrl))} answered with status ${upstream.status}, which is not a valid HTTP status`;
    state.record({ status: 502, outcome: "upstream_error", ttfbMs: state.ttfbMs, responseHeaders: upstream.headers, error: message });
    return errorResponse("bad_upstream_response", 502, message);
  }
  const framing = framingOf(upstream.headers.get("content-type"));
  state.streaming = framing === "sse" || framing === "eventstream";
  let meter: Meter | null = null;
  try {
    const acc = spec.createAccumulator(facts);
    if (acc) {
      acc.onResponse?.(upstream.status, upstream.headers);
      // Only a metered SSE stream can have its injected usage chunk taken out again.
      const strip = state.strip = x.injected && framing === "sse"
        ? guardStrip(createUsageStrip(), (message) => state.stripFailed(message))
        : null;
      meter = state.meter = createMeter(framing, acc, strip ? { onEvent: strip.onEvent } : {});
    }
  } catch (err) {
    state.setupError = `meter setup: ${describeError(err)}`;
  }
  const headers = clientResponseHeaders(upstream.headers, state.strip !== null, x.fetchDecodesZstd);
  if (state.remainingUsd !== null) headers.set("x-kestrel-budget-remaining-usd", state.remainingUsd);

  const init = { status: upstream.status, statusText: upstream.statusText, headers };
  if (upstream.body === null || NULL_BODY_STATUS.has(upstream.status)) {
    upstream.body?.cancel().catch(() => {});
    state.addedMs = beforeSend + performance.now() - answeredAt;
    state.settle("complete");
    return new Response(null, init);
  }
  let source: ReadableStream<Uint8Array> = upstream.body;
  if (framing === "json" && meter !== null && isSmall(upstream.headers)) {
    // A small JSON body arrives whole after generation and no client parses half a JSON document: reading it in one go
    // costs the client nothing and skips the per-chunk stream machinery (docs/architecture.md §11, BENCHMARKS.md).
    // The declared length is the compressed one, so the decoded bytes are capped: past the cap the body streams.
    let bytes: Uint8Array | null;
    const readFrom = performance.now();
    try {
      if (upstream.headers.has("content-encoding")) {
        const peeked = await peekBody(upstream.body, SMALL_JSON_DECODED_BYTES, null);
        bytes = peeked.whole;
        source = peeked.stream ?? source;
      } else {
        bytes = new Uint8Array(await upstream.arrayBuffer()); // the declared length is the real one
      }
    } catch (err) {
      const failed = readFailure(err, state.why, state.upstreamUrl);
      state.settle(failed.how, failed.sent, err);
      return failed.response;
    }
    if (bytes !== null) {
      const readAt = performance.now(); // the body's transfer is the upstream's time, not Kestrel's
      meter.push(bytes);
      state.addedMs = beforeSend + readFrom - answeredAt + performance.now() - readAt;
      state.settle("complete");
      return new Response(bytes as Uint8Array<ArrayBuffer>, init);
    }
  }
  // Waiting on the client is not upstream silence: the idle clock runs only while a read is pending.
  state.last = Infinity;
  state.addedMs = beforeSend + performance.now() - answeredAt;
  return new Response(meterBody(source, state), init);
}

/** Statuses whose responses have no body (`new Response` refuses one). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

/** JSON bodies up to this declared size are read whole (chat completions are a few KB; embeddings can be MBs). */
const SMALL_JSON_BYTES = 256 * 1024;

/** Decoded bytes the small-JSON path buffers at most (a 256 KiB brotli body can decode to gigabytes). */
const SMALL_JSON_DECODED_BYTES = 4 * 1024 * 1024;

function isSmall(headers: Headers): boolean {
  const length = Number(headers.get("content-length") ?? NaN);
  return length <= SMALL_JSON_BYTES;
}
