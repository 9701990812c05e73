/**
 * @module A WebSocket upgrade on a provider route (docs/architecture.md §18): resolve as for HTTP, admit, open
 * the upstream WebSocket, and only once the upstream accepted answer the client's upgrade (a refusal is passed
 * back as the upstream gave it); then relay, meter and record until both sides are closed.
 */
import type { Config } from "../config.ts";
import { errorResponse, ProxyError, toResponse } from "../errors.ts";
import { credentialOf } from "../attributes/attribution.ts";
import { isKestrelSecret } from "../keys/secret.ts";
import { upstreamRequestHeaders } from "../forward/headers.ts";
import type { Watchdog } from "../forward/watchdog.ts";
import { ulid } from "../ids.ts";
import { getProvider } from "../providers/registry.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { describeError } from "../redact.ts";
import type { Resolve } from "../resolve/resolve.ts";
import { type Attributes, requestAttributes } from "../attributes/attributes.ts";
import { canonicalModel } from "../attributes/model.ts";
import type { Exchange } from "../exchange.ts";
import { splitUrl } from "../routes/proxy.ts";
import { type Session, sessionExchange } from "./exchange.ts";
import { CLOSE_GOING_AWAY, CLOSE_POLICY } from "./frames.ts";
import { createRealtimeMeter, familyOf, type RealtimeMeter, urlModel } from "./meter.ts";
import { MAX_BUFFERED, Relay } from "./relay.ts";
import type { SessionSpend } from "./spend.ts";
import type { WebSocketRuntime } from "./types.ts";
import { connectUpstream, UpstreamFailure, type Upstream } from "./upstream.ts";

export interface RealtimeDeps {
  config: Pick<Config, "connectTimeoutMs" | "idleTimeoutMs"> & Partial<Pick<Config, "requireKestrelKeys">>;
  /** The runtime's sockets; null where there are none (in-process tests): upgrades are then answered 501. */
  websockets: WebSocketRuntime | null;
  resolve: Resolve;
  watchdog: Watchdog;
  now(): number;
  /** The sink's `finish`, as for HTTP exchanges. */
  finish(exchange: Exchange): void;
  /** Budgets and rate limits for sessions (src/realtime/spend.ts). */
  spend: SessionSpend;
}

/** True for a request asking to become a WebSocket (`Upgrade: websocket`). */
export function isUpgrade(req: Request): boolean {
  const upgrade = req.headers.get("upgrade");
  return upgrade !== null && upgrade.toLowerCase() === "websocket";
}

/** Handshake fields of the client's request that are Kestrel's own to send upstream (src/realtime/handshake.ts). */
const HANDSHAKE_REQUEST = ["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "accept-encoding", "content-length"];
/** Fields of the upstream's 101 that belong to its hop; the rest (request ids, rate limits) reach the client. */
const HANDSHAKE_RESPONSE = new Set([
  "connection", "upgrade", "sec-websocket-accept", "sec-websocket-extensions", "sec-websocket-protocol",
  "content-length", "transfer-encoding", "keep-alive", "date", "server",
]);
/** Hop-by-hop fields of a refusal (the body is passed whole, so its framing is the runtime's). */
const REFUSAL_DROP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"];

export function createRealtimeHandler(deps: RealtimeDeps) {
  const live = new Set<Relay>();

  async function handle(req: Request, conn?: unknown): Promise<Response> {
    const startedAt = deps.now();
    const t0 = performance.now();
    const { path: clientPath, query } = splitUrl(req.url);
    let target;
    try {
      target = deps.resolve(clientPath, query);
    } catch (err) {
      if (err instanceof ProxyError) return toResponse(err);
      throw err;
    }
    // Nothing has gone upstream for any of these, so nothing is recorded (as for an unknown provider).
    const bad = badUpgrade(req);
    if (bad !== null) return bad;
    const ws = deps.websockets;
    if (ws === null) return errorResponse("websocket_unsupported", 501, "This Kestrel cannot relay WebSocket upgrades");
    // Kestrel keys do not front realtime sessions yet (README "Keys"): such a key must not reach the provider.
    const credential = credentialOf(req.headers, query);
    // With `--require-kestrel-keys` no session can open at all, so none escapes the keys.
    if ((credential !== null && isKestrelSecret(credential)) || deps.config.requireKestrelKeys === true) {
      return errorResponse("realtime_kestrel_key_unsupported", 501, "Kestrel keys cannot open realtime sessions yet: use the provider's own key");
    }

    const spec = getProvider(target.provider)!;
    const facts: RequestFacts = { provider: spec.id, method: "GET", path: target.path, query, body: undefined, headers: req.headers };
    const session: Session = {
      id: ulid(startedAt),
      spec,
      facts,
      clientPath,
      upstreamUrl: target.url,
      startedAt,
      t0,
      ttfbMs: null,
      responseHeaders: null,
      attributes: await sessionAttributes(spec, facts, urlModel(query)),
      reservation: null,
    };
    const fail = (status: number, outcome: "error" | "timeout" | "upstream_error" | "blocked" | "client_aborted", error: string) =>
      deps.finish(sessionExchange(session, { kind: "failed", status, outcome, error }));

    const admission = deps.spend.admitSession(session.attributes!);
    if (!admission.admitted) {
      fail(admission.response.status, "blocked", admission.reason);
      return admission.response;
    }
    session.reservation = admission.reservation;

    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
    const headers = upstreamRequestHeaders(req.headers);
    for (const name of HANDSHAKE_REQUEST) headers.delete(name);
    let upstream: Upstream;
    try {
      upstream = await connectUpstream(ws.dial, target.url, headers, offered, {
        connectTimeoutMs: deps.config.connectTimeoutMs,
        answerTimeoutMs: deps.config.idleTimeoutMs,
        maxMessage: MAX_BUFFERED,
      });
    } catch (err) {
      const host = JSON.stringify(new URL(target.url).host);
      const timeout = (err instanceof UpstreamFailure && err.timeout) || (err as { code?: unknown }).code === "ETIMEDOUT";
      const failure = err instanceof UpstreamFailure
        ? new ProxyError(timeout ? "upstream_timeout" : "upstream_unreachable", timeout ? 504 : 502, `${err.message} (${host})`)
        : new ProxyError(timeout ? "upstream_timeout" : "upstream_unreachable", timeout ? 504 : 502, `Cannot reach upstream ${host}: ${describeError(err)}`);
      fail(failure.status, timeout ? "timeout" : "error", failure.message);
      return toResponse(failure);
    }
    session.ttfbMs = performance.now() - t0;

    if (upstream.kind === "refused") {
      session.responseHeaders = upstream.headers;
      const status = upstream.status >= 200 && upstream.status <= 599 ? upstream.status : 502;
      fail(status, "upstream_error", `upstream refused the upgrade with status ${upstream.status}`);
      if (status !== upstream.status) {
        return errorResponse("bad_upstream_response", 502, `Upstream answered the upgrade with status ${upstream.status}`);
      }
      const out = new Headers(upstream.headers);
      for (const name of REFUSAL_DROP) out.delete(name);
      const body = status === 204 || status === 304 ? null : upstream.body as Uint8Array<ArrayBuffer>;
      return new Response(body, { status, headers: out });
    }

    session.responseHeaders = upstream.head.headers;
    const passOn = new Headers();
    upstream.head.headers.forEach((value, name) => {
      if (!HANDSHAKE_RESPONSE.has(name)) passOn.append(name, value);
    });
    let accepted;
    try {
      accepted = ws.accept(req, { protocol: upstream.head.headers.get("sec-websocket-protocol"), headers: passOn }, conn);
    } catch (err) {
      upstream.socket.close(CLOSE_GOING_AWAY, "client upgrade failed");
      fail(400, "client_aborted", `client upgrade failed: ${describeError(err)}`);
      return errorResponse("bad_upgrade", 400, "The WebSocket upgrade could not be completed");
    }

    const family = familyOf(spec.id, target.path);
    let problem: string | null = null;
    const noteProblem = (what: string, err: unknown) => (problem ??= `${what}: ${describeError(err)}`);
    let relay: Relay;
    const meter: RealtimeMeter | null = family === null ? null : createRealtimeMeter(family, {
      urlModel: urlModel(query),
      now: deps.now,
      emit(metered) {
        const ex = sessionExchange(session, { kind: "response", metered });
        deps.finish(ex);
        deps.spend.onMeteredResponse(ex).then((close) => {
          if (close !== null) relay.end("spend", close.code || CLOSE_POLICY, close.reason);
        }, (err) => noteProblem("spend control", err));
      },
    });
    relay = new Relay(accepted.socket, upstream.socket, {
      fromUpstream: meter === null ? () => {} : (payload) => {
        try {
          meter.fromUpstream(payload);
        } catch (err) {
          noteProblem("meter", err);
        }
      },
      fromClient: meter === null ? () => {} : (data) => {
        try {
          meter.fromClient(data);
        } catch (err) {
          noteProblem("meter", err);
        }
      },
      ended(ending, stats) {
        live.delete(relay);
        deps.watchdog.unwatch(relay);
        try {
          meter?.end();
        } catch (err) {
          noteProblem("meter", err);
        }
        const model = meter?.model ?? urlModel(query);
        deps.finish(sessionExchange(session, { kind: "closed", ending, stats, model, problem }));
      },
    }, deps.watchdog.now);
    live.add(relay);
    deps.watchdog.watch(relay);
    return accepted.response;
  }

  return {
    handle,
    /** Sessions still open (graceful shutdown waits for these). */
    get inFlight() {
      return live.size;
    },
    /** Closes every session with 1001 (end of the shutdown grace period); each still writes its records. */
    cutAll() {
      for (const relay of live) relay.end("shutdown", CLOSE_GOING_AWAY, "Kestrel is shutting down");
    },
  };
}

/** A request that cannot be a WebSocket handshake (RFC 6455 §4.2.1), answered without going upstream. */
function badUpgrade(req: Request): Response | null {
  if (req.method !== "GET") {
    return errorResponse("bad_upgrade", 400, `A WebSocket upgrade must be a GET request, not ${JSON.stringify(req.method.slice(0, 32))}`);
  }
  if (!req.headers.get("sec-websocket-key")) return errorResponse("bad_upgrade", 400, "A WebSocket upgrade needs a Sec-WebSocket-Key header");
  if (req.headers.get("sec-websocket-version") !== "13") {
    const response = errorResponse("bad_upgrade", 426, "Only WebSocket version 13 is supported");
    response.headers.set("sec-websocket-version", "13");
    return response;
  }
  return null;
}

/**
 * A session's attributes: the model is the one its URL names (OpenAI `?model=`), else unknown until its responses
 * report it (Gemini names it in its first message): then spend control treats it as any model at the upgrade, and
 * each response's record is counted under the model it reports.
 */
async function sessionAttributes(spec: ProviderSpec, facts: RequestFacts, model: string | null): Promise<Attributes> {
  const attributes = await requestAttributes(spec, facts);
  return model === null ? attributes : { ...attributes, requested_model: canonicalModel(model), model_known: true };
}
