/** @module Bun.serve for the bench's own servers, typed here so `deno check` needs no bun-types (src/entry/bun.ts does the same). */

interface BunServe {
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout: number;
    fetch(req: Request): Response | Promise<Response>;
  }): { port: number };
}

/** Starts a Bun server (the bench's mock and bare proxies always run on Bun). */
export const bunServe: BunServe["serve"] = (options) => (globalThis as unknown as { Bun: BunServe }).Bun.serve(options);
