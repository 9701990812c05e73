/** @module Bun entry (also the `bun build --compile` entry): Bun.serve + bun:sqlite behind the Runtime seam. */
import fs from "node:fs";
import type { Runtime } from "../runtime.ts";
import type { WorkerHandle } from "../store/worker/protocol.ts";
import { ensureFetchLimit, FETCH_LIMIT_VAR } from "./fetch-limit.ts";
import { isOneShot } from "./one-shot.ts";
import { bufferSearch } from "./byte-search.ts";

// First, before the app is loaded (hence the dynamic imports, each a chunk of the binary loaded only when reached):
// without Bun's fetch limit in its environment a serving process replaces itself with the limit set, so this line
// returns only when that is done or impossible. A one-shot command is not worth a second start.
const fetchLimitProblem = isOneShot(Bun.argv.slice(2)) ? null : ensureFetchLimit();
const { main } = await import("../cli.ts");
const { decodingFetch } = await import("../forward/decode.ts");
const { openSqlite } = await import("./sqlite-bun.ts");
const { acceptBun, BUN_WEBSOCKET } = await import("./bun-websocket.ts");

/** The few Bun APIs used here (Hono's deno.d.ts approach: bun-types' globals clash with Deno's in `deno check`). */
declare const Bun: {
  version: string;
  argv: string[];
  env: Record<string, string | undefined>;
  serve(options: {
    hostname: string;
    port: number;
    tls?: { cert: string; key: string };
    maxRequestBodySize?: number;
    fetch(req: Request, server: { timeout(req: Request, seconds: number): void; requestIP(req: Request): { address: string } | null }): Response | Promise<Response>;
    error(err: unknown): Response;
    websocket: typeof BUN_WEBSOCKET;
  }): { port?: number; stop(closeActiveConnections?: boolean): Promise<void> };
};

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) =>
      fs.write(fd, bytes, offset, bytes.byteLength - offset, null, (err, written) => {
        if (err) reject(err);
        else if (offset + written < bytes.byteLength) step(offset + written);
        else resolve();
      });
    step(0);
  });
}

const runtime: Runtime = {
  name: "bun",
  traits: { fetchDecodesZstd: true, watchStreamedUploads: true, byteSearch: bufferSearch },
  version: Bun.version,
  // Bun.argv is [bun, script, …args], also inside a compiled binary.
  args: Bun.argv.slice(2),
  env: Bun.env,
  // Bun's fetch keeps at most 256 upstream requests open and queues the rest — streams stall behind each other.
  warnings: fetchLimitProblem === null
    ? []
    : [`${FETCH_LIMIT_VAR} is not set and Kestrel could not restart itself with it (${fetchLimitProblem}): Bun allows 256 concurrent upstream requests and queues the rest; set it (e.g. 4096) before starting`],
  openDb: openSqlite,
  // Bun's own decoder prints `Decompression error: …` to stderr for a corrupt body; Kestrel decodes instead.
  fetch: decodingFetch((input, init) => fetch(input, { ...init, decompress: false } as unknown as RequestInit), true),
  // Also an entry point of the compiled binary (build.ts), where it is found by this same relative URL.
  startStoreWorker: () => new Worker(new URL("./store-worker-bun.ts", import.meta.url).href) as unknown as WorkerHandle,
  // node:net and node:tls load with the first realtime session, not with every start (a chunk of the binary).
  websockets: { accept: acceptBun, dial: (url, timeoutMs) => import("./dial.ts").then((m) => m.dial(url, timeoutMs)) },
  serve({ hostname, port, tls, fetch, onError }) {
    const listen = (at: number, files: typeof tls) =>
      Bun.serve({
        hostname,
        port: at,
        ...(files ? { tls: files } : {}),
        // Uploads are streamed to the provider, never buffered: no reason for Bun's 128 MiB cap.
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        fetch(req, srv) {
          // LLM streams go silent for long stretches; Kestrel has its own upstream idle timer.
          srv.timeout(req, 0);
          // The server goes along: a realtime upgrade must be answered by the server the request came to.
          return fetch(req, srv, srv.requestIP(req)?.address);
        },
        // Instead of Bun's HTML debug page (source lines) to the client and the raw error to stderr.
        error: onError,
        websocket: BUN_WEBSOCKET,
      });
    let server = listen(port, tls);
    const bound = server.port ?? port;
    return Promise.resolve({
      port: bound,
      stop: () => void server.stop(),
      // Bun's reload() keeps the old certificate, so the listener is replaced: the old one stops accepting (its
      // connections and sessions go on) and a new one binds the same port at once.
      reloadTls: tls === null ? undefined : (files) => {
        const old = server;
        void old.stop();
        try {
          server = listen(bound, files);
        } catch (err) {
          server = listen(bound, tls);
          return Promise.reject(err);
        }
        tls = files;
        return Promise.resolve();
      },
    });
  },
  // fs.write runs off the event loop on Bun: a stalled stdout reader does not stall requests.
  writeOut: (bytes) => writeAll(1, bytes),
  writeOutSync: (text) => void fs.writeSync(1, text),
  writeErr: (text) => void fs.writeSync(2, text),
  readTextFile: (path) => fs.readFileSync(path, "utf8"),
  writeTextFile: (path, text, append) => (append ? fs.appendFileSync : fs.writeFileSync)(path, text),
  onSignal: (signal, handler) => void process.on(signal, handler),
  exit: (code) => process.exit(code),
};

await main(runtime);
