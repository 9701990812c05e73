/**
 * @module The "bare" baseline: the least a correct Bun pass-through proxy does, with no metering.
 * `bun bench/bare-proxy.ts --upstream http://127.0.0.1:PORT` forwards every request's path to that origin.
 */
import { bunServe } from "./lib/bun-serve.ts";

const upstream = process.argv[process.argv.indexOf("--upstream") + 1]!;

const server = bunServe({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  fetch(req) {
    const url = req.url;
    const headers = new Headers(req.headers);
    headers.delete("host");
    headers.delete("accept-encoding");
    return fetch(upstream + url.slice(url.indexOf("/", url.indexOf("//") + 2)), {
      method: req.method,
      headers,
      body: req.body,
      signal: req.signal,
      redirect: "manual",
      duplex: "half",
    } as RequestInit);
  },
});
console.log(`bare listening on http://127.0.0.1:${server.port}`);
