/** @module ALL /{provider}/{rest}: resolve → forward → meter → respond; one record per request, whatever happens. */
import { requestAttributes } from "../attributes/attributes.ts";
import type { Config } from "../config.ts";
import { admit } from "../control/admit.ts";
import type { Control } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import { errorResponse, ProxyError, toResponse } from "../errors.ts";
import type { ConnectProbe } from "../forward/connect-probe.ts";
import { createRefusalMemory } from "../forward/usage-refusals.ts";
import { type Call, type SendOptions, sendRequest } from "../forward/send.ts";
import type { Watchdog } from "../forward/watchdog.ts";
import { checkModel, identifyRequest, type KeyOptions, type Keyed, swapCredentials, withoutKeyParam } from "../keys/gate.ts";
import { KeyRefusal } from "../keys/types.ts";
import { getProvider } from "../providers/registry.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import type { Resolve } from "../resolve/resolve.ts";
import type { Traits } from "../runtime.ts";
import { answer } from "./answer.ts";
import { Live, type LiveDeps } from "./live.ts";
import { sendFailure } from "./outcome.ts";

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

export function createProxyHandler(deps: ProxyDeps) {
  const { config, watchdog } = deps;
  const live = new Set<Live>();
  const shared: LiveDeps = { watchdog, live, finish: deps.finish };
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
    const facts: RequestFacts = {
      provider: spec.id,
      method: req.method,
      path: target.path,
      query,
      body: undefined,
      headers: req.headers,
    };
    // Watched, listening for the client's abort and counted in flight from here until its record.
    const state = new Live(shared, req.signal, spec, facts, clientPath, target.url, startedAt, t0);
    try {
      return await exchange(req, state, address);
    } catch (err) {
      // A bug of Kestrel's own: the exchange is still recorded once, the upstream released, and the caller (the
      // app) answers with a JSON 500 through the logger.
      state.controller.abort();
      state.record({ status: 500, outcome: "error", error: `internal error: ${describeError(err)}` });
      throw err;
    }
  }

  /** Send, meter, respond: everything after routing. */
  async function exchange(req: Request, state: Live, address: string): Promise<Response> {
    const { spec, facts } = state;
    let keyed: Keyed | null = null;
    try {
      // Before the body is read: an unknown key costs the client nothing upstream and Kestrel no upload.
      if (deps.keys) keyed = await identifyRequest(deps.keys, spec, facts, address);
    } catch (err) {
      if (!(err instanceof KeyRefusal)) throw err;
      // Attributed to the key when it was identified (a provider it may not use), never to the secret's fingerprint.
      if (err.key !== null) state.attributes = await requestAttributes(spec, facts, err.key);
      return fail(err, state);
    }
    const call: Call = {
      url: keyed === null ? state.upstreamUrl : withoutKeyParam(state.upstreamUrl),
      method: req.method,
      owner: state,
      sentAt: state.t0,
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
    let sent: Awaited<ReturnType<typeof sendRequest>>;
    try {
      sent = await sendRequest(req, spec, facts, call, sending);
    } catch (err) {
      return fail(err, state);
    }
    return answer(state, {
      upstream: sent.upstream,
      injected: sent.injected,
      sentAt: call.sentAt,
      fetchDecodesZstd: deps.traits.fetchDecodesZstd,
    });
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

/** Records an exchange that ended before the upstream's answer reached the client, and answers the client. */
function fail(err: unknown, state: Live): Response {
  const failure = sendFailure(err, state.why);
  state.record({ status: failure.status, outcome: failure.outcome, error: failure.error });
  return failure.response;
}

/**
 * Methods provider APIs use. Others (WebDAV, `TRACE`, which fetch refuses to send, made-up ones) get 405 rather
 * than a misleading upstream error. Bun's server closes the connection on a method it does not know (`FOO`)
 * before Kestrel sees the request; Deno's passes every method through.
 */
const FORWARDED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const ALLOW = [...FORWARDED_METHODS].join(", ");
