/** @module ALL /{provider}/{rest}: resolve → forward → meter → respond; one record per request, whatever happens. */
import { type Attributes, requestAttributes } from "../attributes/attributes.ts";
import type { Config } from "../config.ts";
import { admit } from "../control/admit.ts";
import { Refused, refusalResponse } from "../control/refused.ts";
import type { Control, Reservation } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import { errorResponse, ProxyError, toResponse } from "../errors.ts";
import type { ConnectProbe } from "../forward/connect-probe.ts";
import { ClientGone, type Cut, hostOf } from "../forward/forward.ts";
import { clientResponseHeaders } from "../forward/headers.ts";
import { peekBody } from "../forward/peek.ts";
import { createRefusalMemory } from "../forward/usage-refusals.ts";
import { type Call, type SendOptions, sendRequest } from "../forward/send.ts";
import type { Watchdog } from "../forward/watchdog.ts";
import { type BodyEnd, meterBody } from "../meter/body.ts";
import { createMeter, framingOf, type Meter } from "../meter/meter.ts";
import { createUsageStrip, guardStrip, type UsageStrip } from "../meter/usage-strip.ts";
import { checkModel, identifyRequest, type KeyOptions, type Keyed, swapCredentials, withoutKeyParam } from "../keys/gate.ts";
import { KeyRefusal } from "../keys/types.ts";
import { getProvider } from "../providers/registry.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import type { Resolve } from "../resolve/resolve.ts";
import type { Traits } from "../runtime.ts";
import { endingOf } from "./outcome.ts";

export interface ProxyDeps {
  config: Config;
  fetch: typeof fetch;
  now(): number;
  resolve: Resolve;
  watchdog: Watchdog;
  probe: ConnectProbe | null;
  /** What this runtime's fetch and server do differently (src/runtime.ts). */
  traits: Traits;
  /** Budgets and rate limits checked before forwarding; null or inactive: nothing is checked. */
  control: Control | null;
  /** Kestrel-issued keys (docs/architecture.md §20); null: every request passes through with its own credentials. */
  keys?: KeyOptions | null;
  /** Bounds the reservation a budget takes for a request (src/control/estimate.ts). */
  pricer: Pick<Pricer, "bound">;
  /** Receives every finished exchange; must not throw. */
  finish(exchange: Exchange): void;
  warn(message: string): void;
}

/** The request path and query of `req.url`, raw (no URL parsing, no decoding). */
export function splitUrl(url: string): { path: string; query: string } {
  // Bun hands over the bare request target (`/openai/…`) when the Host header is empty or not a host name.
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { path: "/", query: "" };
  const q = url.indexOf("?", start);
  return q < 0 ? { path: url.slice(start), query: "" } : { path: url.slice(start, q), query: url.slice(q) };
}

/** What routing hands to the rest of an exchange. */
interface Routed {
  req: Request;
  target: ReturnType<Resolve>;
  spec: ProviderSpec;
  facts: RequestFacts;
  state: Live;
  record(partial: Partial<Exchange> & Pick<Exchange, "status" | "outcome">): void;
  t0: number;
  address: string;
}

/** Per-exchange state shared by the request and response halves. */
class Live {
  readonly controller = new AbortController();
  why: Cut | null = null;
  last: number;
  /** Ends the client's body now (set once the body streams): a reader that stopped pulling would never end it. */
  endBody: ((reason: unknown) => void) | null = null;
  /** The client's request body is still arriving: silence now is the client's, not the upstream's. */
  receiving = true;
  /** What the tightest matching USD budget has left (`x-kestrel-budget-remaining-usd`), or null. */
  remainingUsd: string | null = null;
  /** Computed once the request is read (admission); the record stores them. */
  attributes: Attributes | null = null;
  /** What admission reserved: released when the exchange settles. */
  reservation: Reservation | null = null;
  constructor(readonly watchdog: Watchdog) {
    this.last = watchdog.now();
  }
  cut(why: Cut) {
    if (this.why !== null) return;
    this.why = why;
    this.controller.abort();
    this.endBody?.(new Error(`Cut: ${why}`));
  }
  onIdle() {
    this.cut(this.receiving ? "body" : "idle");
  }
  /** Request body progress: bytes moved (stamped like response bytes), or it ended. */
  readonly onBodyProgress = (done: boolean) => {
    this.last = this.watchdog.now();
    if (done) this.receiving = false;
  };
}

export function createProxyHandler(deps: ProxyDeps) {
  const { config, watchdog } = deps;
  const live = new Set<Live>();
  const sending: SendOptions = {
    fetch: deps.fetch,
    probe: deps.probe,
    connectTimeoutMs: config.connectTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    injectStreamUsage: config.injectStreamUsage,
    watchStreamedUploads: deps.traits.watchStreamedUploads,
    refused: createRefusalMemory(),
    inspectAll: () => deps.control !== null && deps.control.active,
    onRefused: (endpoint) =>
      deps.warn(`${endpoint} refused stream_options.include_usage: resent as the client sent it; not asking it again for an hour`),
  };

  /** `address`: the client's IP, where the runtime knows it (failed key lookups are counted per address). */
  async function handle(req: Request, address = ""): Promise<Response> {
    const startedAt = deps.now();
    const t0 = performance.now();
    const { path: clientPath, query } = splitUrl(req.url);
    let target: ReturnType<Resolve>;
    try {
      target = deps.resolve(clientPath, query);
    } catch (err) {
      if (err instanceof ProxyError) return toResponse(err);
      throw err;
    }
    if (!FORWARDED_METHODS.has(req.method)) {
      // Nothing was sent upstream, so nothing to record (like an unknown provider).
      const response = errorResponse("method_not_allowed", 405, `Method ${JSON.stringify(req.method.slice(0, 32))} is not forwarded`);
      response.headers.set("allow", ALLOW);
      return response;
    }
    const spec = getProvider(target.provider)!;
    const state = new Live(watchdog);
    const onClientAbort = () => state.cut("client");
    req.signal.addEventListener("abort", onClientAbort, { once: true });
    live.add(state);
    watchdog.watch(state);

    const facts: RequestFacts = {
      provider: spec.id,
      method: req.method,
      path: target.path,
      query,
      body: undefined,
      headers: req.headers,
    };
    let recorded = false;
    const record = (partial: Partial<Exchange> & Pick<Exchange, "status" | "outcome">) => {
      // Exactly one record per exchange, whichever end comes first.
      if (recorded) return;
      recorded = true;
      watchdog.unwatch(state);
      live.delete(state);
      req.signal.removeEventListener("abort", onClientAbort);
      deps.finish({
        spec,
        facts,
        clientPath,
        upstreamUrl: target.url,
        startedAt,
        durationMs: performance.now() - t0,
        ttfbMs: null,
        addedMs: null,
        streaming: false,
        responseHeaders: null,
        meter: null,
        error: null,
        attributes: state.attributes,
        reservation: state.reservation,
        ...partial,
      });
    };

    try {
      return await exchange({ req, target, spec, facts, state, record, t0, address });
    } catch (err) {
      // A bug of Kestrel's own: the exchange is still recorded once, the upstream released, and the caller (the
      // app) answers with a JSON 500 through the logger.
      state.controller.abort();
      record({ status: 500, outcome: "error", error: `internal error: ${describeError(err)}` });
      throw err;
    }
  }

  /** Send, meter, respond: everything after routing. */
  async function exchange(x: Routed): Promise<Response> {
    const { req, target, spec, facts, state, record, t0, address } = x;
    let upstream: Response;
    let injected: boolean;
    let keyed: Keyed | null = null;
    try {
      // Before the body is read: an unknown key costs the client nothing upstream and Kestrel no upload.
      if (deps.keys) keyed = await identifyRequest(deps.keys, spec, facts, address);
    } catch (err) {
      if (!(err instanceof KeyRefusal)) throw err;
      // Attributed to the key when it was identified (a provider it may not use), never to the secret's fingerprint.
      if (err.key !== null) state.attributes = await requestAttributes(spec, facts, err.key);
      record({ status: err.status, outcome: "blocked", error: err.message });
      return errorResponse(err.code, err.status, err.message);
    }
    const call: Call = {
      url: keyed === null ? target.url : withoutKeyParam(target.url),
      method: req.method,
      controller: state.controller,
      cut: () => state.why,
      onConnectTimeout: () => state.cut("connect"),
      onBodyProgress: state.onBodyProgress,
      sentAt: t0,
    };
    if (keyed !== null) {
      call.credentials = (headers) => swapCredentials(headers, keyed);
      call.inspect = keyed.key.models.length > 0;
    }
    call.admit = async () => {
      const attributes = state.attributes = await requestAttributes(spec, facts, keyed?.key ?? null);
      if (keyed !== null) checkModel(keyed, attributes.requested_model, attributes.model_known);
      const control = deps.control;
      if (control === null || !control.active) return;
      const verdict = admit(control, deps.pricer, spec, facts, attributes, deps.now(), deps.warn);
      state.remainingUsd = verdict.remainingUsd;
      state.reservation = verdict.reservation;
    };
    try {
      ({ upstream, injected } = await sendRequest(req, spec, facts, call, sending));
    } catch (err) {
      if (err instanceof KeyRefusal) {
        record({ status: err.status, outcome: "blocked", error: err.message });
        return errorResponse(err.code, err.status, err.message);
      }
      if (err instanceof Refused) {
        // Nothing went upstream; the record says why, and the client learns when to come back.
        record({ status: 429, outcome: "blocked", error: err.message });
        return refusalResponse(err);
      }
      if (state.why === "shutdown") {
        record({ status: 503, outcome: "error", error: "cut at shutdown" });
        return SHUTTING_DOWN();
      }
      if (err instanceof ClientGone || state.why === "client") {
        record({ status: 0, outcome: "client_aborted", error: "client went away before the upstream answered" });
        return errorResponse("client_closed_request", 499, "Client closed the request");
      }
      const failure = err instanceof ProxyError ? err : new ProxyError("internal_error", 500, describeError(err));
      record({
        status: failure.status,
        outcome: failure.code === "upstream_timeout" ? "timeout" : failure.code === "client_timeout" ? "client_timeout" : "error",
        error: failure.message,
      });
      const response = toResponse(failure);
      // The rest of a stalled body may never come: without this the runtime keeps the connection open for it.
      if (failure.code === "client_timeout") response.headers.set("connection", "close");
      return response;
    }

    const answeredAt = performance.now();
    const ttfbMs = answeredAt - t0;
    /** Kestrel's own time so far (arrival → sent); the time to ready the response is added below (§13). */
    const beforeSend = call.sentAt - t0;
    let addedMs: number | null = null;
    state.last = watchdog.now();
    if (upstream.status < 200 || upstream.status > 599) {
      // `new Response` refuses such a status: answer for the upstream instead of throwing.
      upstream.body?.cancel().catch(() => {});
      const message = `Upstream ${JSON.stringify(hostOf(target.url))} answered with status ${upstream.status}, which is not a valid HTTP status`;
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
        strip = injected && framing === "sse" ? guardStrip(createUsageStrip(), (message) => (stripError ??= message)) : null;
        meter = createMeter(framing, acc, strip ? { onEvent: strip.onEvent } : {});
      }
    } catch (err) {
      setupError = `meter setup: ${describeError(err)}`;
    }
    const headers = clientResponseHeaders(upstream.headers, strip !== null, deps.traits.fetchDecodesZstd);
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
        if (state.why === "shutdown") {
          done("failed", 503);
          return SHUTTING_DOWN();
        }
        if (state.why === "client") {
          done("cancelled", 0);
          return errorResponse("client_closed_request", 499, "Client closed the request");
        }
        const failure = state.why === "idle"
          ? new ProxyError("upstream_timeout", 504, `Upstream ${JSON.stringify(hostOf(target.url))} went silent mid-answer`)
          : new ProxyError("upstream_unreachable", 502, `Upstream ${JSON.stringify(hostOf(target.url))} broke off its answer: ${describeError(err)}`);
        done("failed", failure.status, err);
        return toResponse(failure);
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
        state.last = watchdog.now();
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

  return {
    handle,
    /** Exchanges still running (graceful shutdown waits for these). */
    get inFlight() {
      return live.size;
    },
    /** Cuts every running exchange (end of the shutdown grace period); each still writes its record. */
    cutAll() {
      for (const state of live) state.cut("shutdown");
    },
  };
}

/** Statuses whose responses have no body (`new Response` refuses one). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

const SHUTTING_DOWN = () =>
  errorResponse("shutting_down", 503, "Kestrel is shutting down: the request was cut before it finished");

/**
 * Methods provider APIs use. Others (WebDAV, `TRACE`, which fetch refuses to send, made-up ones) get 405 rather
 * than a misleading upstream error. Bun's server closes the connection on a method it does not know (`FOO`)
 * before Kestrel sees the request; Deno's passes every method through.
 */
const FORWARDED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const ALLOW = [...FORWARDED_METHODS].join(", ");

/** JSON bodies up to this declared size are read whole (chat completions are a few KB; embeddings can be MBs). */
const SMALL_JSON_BYTES = 256 * 1024;

/** Decoded bytes the small-JSON path buffers at most (a 256 KiB brotli body can decode to gigabytes). */
const SMALL_JSON_DECODED_BYTES = 4 * 1024 * 1024;

function isSmall(headers: Headers): boolean {
  const length = Number(headers.get("content-length") ?? NaN);
  return length <= SMALL_JSON_BYTES;
}
