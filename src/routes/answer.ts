/**
 * @module The upstream answered: meter its body on the way to the client (whole when small JSON, else streamed)
 * and write the exchange's record when the body ends, however it ends (src/routes/outcome.ts).
 */
import { errorResponse } from "../errors.ts";
import { hostOf } from "../forward/forward.ts";
import { clientResponseHeaders } from "../forward/headers.ts";
import { peekBody } from "../forward/peek.ts";
import { type BodyEnd, meterBody } from "../meter/body.ts";
import { createMeter, framingOf, type Meter } from "../meter/meter.ts";
import { createUsageStrip, guardStrip, type UsageStrip } from "../meter/usage-strip.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import type { Live, RecordExchange } from "./live.ts";
import { endingOf, readFailure } from "./outcome.ts";

export interface Answered {
  upstream: Response;
  /** Kestrel asked for the stream's usage chunk: it is taken out again before the client sees it. */
  injected: boolean;
  spec: ProviderSpec;
  facts: RequestFacts;
  state: Live;
  record: RecordExchange;
  url: string;
  /** Arrival and the moment the request went upstream (performance.now()). */
  t0: number;
  sentAt: number;
  fetchDecodesZstd: boolean;
}

export async function answer(x: Answered): Promise<Response> {
  const { upstream, spec, facts, state, record, t0 } = x;
  const answeredAt = performance.now();
  const ttfbMs = answeredAt - t0;
  /** Kestrel's own time so far (arrival → sent); the time to ready the response is added below (§13). */
  const beforeSend = x.sentAt - t0;
  let addedMs: number | null = null;
  state.last = state.watchdog.now();
  if (upstream.status < 200 || upstream.status > 599) {
    // `new Response` refuses such a status: answer for the upstream instead of throwing.
    upstream.body?.cancel().catch(() => {});
    const message = `Upstream ${JSON.stringify(hostOf(x.url))} answered with status ${upstream.status}, which is not a valid HTTP status`;
    record({ status: 502, outcome: "upstream_error", ttfbMs, responseHeaders: upstream.headers, error: message });
    return errorResponse("bad_upstream_response", 502, message);
  }
  const framing = framingOf(upstream.headers.get("content-type"));
  const streaming = framing === "sse" || framing === "eventstream";
  let meter: Meter | null = null;
  let strip: UsageStrip | null = null;
  let setupError: string | null = null;
  /** A failure of the usage strip: the client gets the upstream's bytes unedited, the record says why. */
  let stripError: string | null = null;
  try {
    const acc = spec.createAccumulator(facts);
    if (acc) {
      acc.onResponse?.(upstream.status, upstream.headers);
      // Only a metered SSE stream can have its injected usage chunk taken out again.
      strip = x.injected && framing === "sse" ? guardStrip(createUsageStrip(), (message) => (stripError ??= message)) : null;
      meter = createMeter(framing, acc, strip ? { onEvent: strip.onEvent } : {});
    }
  } catch (err) {
    setupError = `meter setup: ${describeError(err)}`;
  }
  const headers = clientResponseHeaders(upstream.headers, strip !== null, x.fetchDecodesZstd);
  if (state.remainingUsd !== null) headers.set("x-kestrel-budget-remaining-usd", state.remainingUsd);

  /** `sent` is the status the client got when it differs from the upstream's (a body that never arrived). */
  const done = (how: BodyEnd, sent = upstream.status, cause?: unknown) => {
    const metered = meter ? meter.end(how === "complete") : null;
    const { outcome, why } = endingOf(how, upstream.status, state.why, streaming, metered, cause);
    record({
      status: sent,
      outcome,
      ttfbMs,
      streaming,
      responseHeaders: upstream.headers,
      meter: metered,
      addedMs,
      // Usually all null: nothing is joined then.
      error: setupError === null && stripError === null ? why : [why, setupError, stripError].filter(Boolean).join("; "),
    });
  };

  const init = { status: upstream.status, statusText: upstream.statusText, headers };
  if (upstream.body === null || NULL_BODY_STATUS.has(upstream.status)) {
    upstream.body?.cancel().catch(() => {});
    addedMs = beforeSend + performance.now() - answeredAt;
    done("complete");
    return new Response(null, init);
  }
  let source: ReadableStream<Uint8Array> = upstream.body;
  if (framing === "json" && meter !== null && isSmall(upstream.headers)) {
    // A small JSON body arrives whole after generation and no client parses half of one: reading it in one go
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
      const failed = readFailure(err, state.why, x.url);
      done(failed.how, failed.sent, err);
      return failed.response;
    }
    if (bytes !== null) {
      const readAt = performance.now(); // the body's transfer is the upstream's time, not Kestrel's
      meter.push(bytes);
      addedMs = beforeSend + readFrom - answeredAt + performance.now() - readAt;
      done("complete");
      return new Response(bytes as Uint8Array<ArrayBuffer>, init);
    }
  }
  // Waiting on the client is not upstream silence: the idle clock runs only while a read is pending.
  state.last = Infinity;
  addedMs = beforeSend + performance.now() - answeredAt;
  const body = meterBody(source, {
    read() {
      state.last = state.watchdog.now();
    },
    chunk(chunk) {
      state.last = Infinity;
      if (meter === null) return chunk;
      meter.push(chunk);
      return strip ? strip.chunk(chunk, meter.settled()) : chunk;
    },
    flush: () => strip?.flush() ?? null,
    end(how, cause) {
      if (how === "cancelled") state.cut("client");
      done(how, upstream.status, cause);
    },
    attach(cut) {
      state.endBody = cut;
    },
  });
  return new Response(body, init);
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
