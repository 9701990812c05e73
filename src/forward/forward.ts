/** @module One upstream call: fetch with manual redirects, a connect timeout, and errors mapped to 502 / 504. */
import { ProxyError } from "../errors.ts";
import { describeError } from "../redact.ts";
import type { ConnectProbe } from "./connect-probe.ts";

/** Why Kestrel cut an exchange short (null while it runs); `body`: the client's request body went silent. */
export type Cut = "client" | "idle" | "connect" | "shutdown" | "body";

/**
 * The exchange a call belongs to (src/routes/live.ts implements it): one object, so a call needs no closure per
 * hook.
 */
export interface CallOwner {
  readonly controller: AbortController;
  /** Why Kestrel cut the exchange, set by whoever aborts the controller before aborting; null while it runs. */
  readonly why: Cut | null;
  cut(why: Cut): void;
  /** Bytes of the client's request body moved (`done`: it ended, or the upstream answered without the rest). */
  onBodyProgress(done: boolean): void;
}

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null;
  owner: CallOwner;
  /**
   * Called once the request is known (body read, `facts.body` set) and before anything is sent: the request's
   * attributes are computed here, and budgets and rate limits throw a `Refused`.
   */
  admit?(): Promise<void>;
}

export interface ForwardOptions {
  fetch: typeof fetch;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  probe: ConnectProbe | null;
}

/** A client that left before the upstream answered: nothing to send, only a record to write. */
export class ClientGone extends Error {
  override name = "ClientGone";
}

/** `host[:port]` of an absolute URL, without parsing it. */
export function hostOf(url: string): string {
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  return url.slice(start, end < 0 ? undefined : end);
}

export async function sendUpstream(call: UpstreamCall, options: ForwardOptions): Promise<Response> {
  // Once fetch has settled it evidently connected (or failed on its own): a probe that times out later — fetch
  // used a pooled connection or another address family — must not abort a healthy answer mid-stream.
  let settled = false;
  if (options.probe) {
    const origin = call.url.slice(0, call.url.indexOf("/", call.url.indexOf("//") + 2));
    const owner = call.owner;
    options.probe(origin, options.connectTimeoutMs).then((result) => {
      if (result === "timeout" && !settled) owner.cut("connect");
    });
  }
  try {
    return await options.fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      redirect: "manual",
      signal: call.owner.controller.signal,
      // Kestrel runs its own idle timer (ForwardOptions.idleTimeoutMs); Bun's fetch would cut at 5 min.
      timeout: false,
      ...(call.body === null ? {} : { duplex: "half" }),
    } as RequestInit);
  } catch (err) {
    const host = hostOf(call.url);
    switch (call.owner.why) {
      case "client":
      case "shutdown":
        throw new ClientGone("Client went away before the upstream answered");
      case "connect":
        throw new ProxyError(
          "upstream_timeout",
          504,
          `Upstream ${JSON.stringify(host)} did not accept a connection within ${options.connectTimeoutMs} ms`,
        );
      case "idle":
        throw new ProxyError(
          "upstream_timeout",
          504,
          `Upstream ${JSON.stringify(host)} did not answer within ${options.idleTimeoutMs} ms`,
        );
      case "body":
        throw bodyTimeout(options);
      default:
        throw new ProxyError("upstream_unreachable", 502, `Cannot reach upstream ${JSON.stringify(host)}: ${describeError(err)}`);
    }
  } finally {
    settled = true;
    call.owner.onBodyProgress(true);
  }
}

/** The client stopped sending its request body: its fault, not the upstream's (408, not 504). */
export function bodyTimeout(options: ForwardOptions): ProxyError {
  return new ProxyError("client_timeout", 408, `The request body stalled: no bytes from the client for ${options.idleTimeoutMs} ms`);
}

