/**
 * @module Connect timeout for fetch, which has none: a TCP connect to the same origin races the request; if it
 * cannot connect within the limit the request is aborted with 504. A success is remembered for a minute so busy
 * origins are probed rarely. `node:net` exists on Bun and Deno; this is the only module that uses it.
 */
import { connect } from "node:net";

export type ProbeResult = "ok" | "timeout" | "error";
export type ConnectProbe = (origin: string, timeoutMs: number) => Promise<ProbeResult>;

const REMEMBER_MS = 60_000;

export function createConnectProbe(now: () => number = Date.now): ConnectProbe {
  const reachable = new Map<string, number>();
  return (origin, timeoutMs) => {
    const seen = reachable.get(origin);
    if (seen !== undefined && now() - seen < REMEMBER_MS) return Promise.resolve("ok");
    const url = new URL(origin);
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (result: ProbeResult) => {
        clearTimeout(timer);
        socket.destroy();
        if (result === "ok") reachable.set(origin, now());
        resolve(result);
      };
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      socket.once("connect", () => done("ok"));
      // Refused / DNS errors surface through fetch itself, with a better message.
      socket.once("error", () => done("error"));
    });
  };
}
