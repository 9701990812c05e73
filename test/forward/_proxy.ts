/** In-process proxy handler with an injected fetch and connect probe, for races sockets cannot force. */
import { parseConfig } from "../../src/config.ts";
import type { ConnectProbe } from "../../src/forward/connect-probe.ts";
import { createWatchdog } from "../../src/forward/watchdog.ts";
import { createResolver } from "../../src/resolve/resolve.ts";
import type { Exchange } from "../../src/exchange.ts";
import { createProxyHandler } from "../../src/routes/proxy.ts";
import { PLAIN_TRAITS } from "../../src/runtime.ts";

export function proxyWith(fetch: typeof globalThis.fetch, probe: ConnectProbe | null, args: string[] = []) {
  const config = parseConfig({ args: ["--upstream", "openai=http://upstream.test", ...args], env: {}, readFile: () => "" });
  const exchanges: Exchange[] = [];
  const warnings: string[] = [];
  const watchdog = createWatchdog(config.idleTimeoutMs);
  const proxy = createProxyHandler({
    config,
    fetch,
    now: Date.now,
    resolve: createResolver(config.upstreams),
    watchdog,
    probe,
    control: null,
    pricer: { bound: () => null },
    traits: PLAIN_TRAITS,
    finish: (exchange) => exchanges.push(exchange),
    warn: (message) => warnings.push(message),
  });
  return { proxy, exchanges, warnings, stop: () => watchdog.stop() };
}

/** A body the test writes into; it errors when the fetch signal aborts, as a real fetch body does. */
export function controlledBody(signal: AbortSignal | null | undefined) {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  signal?.addEventListener("abort", () => ctl.error(new DOMException("The operation was aborted", "AbortError")));
  const encoder = new TextEncoder();
  return { body, write: (text: string) => ctl.enqueue(encoder.encode(text)), close: () => ctl.close() };
}

/** Resolves after pending promise callbacks and a macrotask have run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
