/** @module Bun entry (also the `bun build --compile` entry): Bun.serve + bun:sqlite behind the Runtime seam. */
import fs from "node:fs";
import type { Runtime } from "../runtime.ts";
import type { WorkerHandle } from "../store/worker/protocol.ts";
import { ensureFetchLimit, FETCH_LIMIT_VAR } from "./fetch-limit.ts";

// First, before the app is loaded (hence the dynamic imports): without Bun's fetch limit in its environment the
// process replaces itself with the limit set, so this line returns only when that is done or impossible.
const fetchLimitProblem = ensureFetchLimit();
const { main } = await import("../cli.ts");
const { decodingFetch } = await import("../forward/decode.ts");
const { openSqlite } = await import("./sqlite-bun.ts");

/** The few Bun APIs used here (Hono's deno.d.ts approach: bun-types' globals clash with Deno's in `deno check`). */
declare const Bun: {
  version: string;
  argv: string[];
  env: Record<string, string | undefined>;
  serve(options: {
    hostname: string;
    port: number;
    maxRequestBodySize?: number;
    fetch(req: Request, server: { timeout(req: Request, seconds: number): void }): Response | Promise<Response>;
    error(err: unknown): Response;
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
  traits: { fetchDecodesZstd: true, watchStreamedUploads: true },
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
  serve({ hostname, port, fetch, onError }) {
    const server = Bun.serve({
      hostname,
      port,
      // Uploads are streamed to the provider, never buffered: no reason for Bun's 128 MiB cap.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      fetch(req, srv) {
        // LLM streams go silent for long stretches; Kestrel has its own upstream idle timer.
        srv.timeout(req, 0);
        return fetch(req);
      },
      // Instead of Bun's HTML debug page (source lines) to the client and the raw error to stderr.
      error: onError,
    });
    return Promise.resolve({ port: server.port ?? port, stop: () => void server.stop() });
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
