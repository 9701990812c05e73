/** @module Deno entry: Deno.serve + node:sqlite behind the Runtime seam. Run with `deno run -A --unstable-no-legacy-abort`. */
import { main } from "../cli.ts";
import type { Runtime } from "../runtime.ts";
import type { WorkerHandle } from "../store/worker/protocol.ts";
import { errorResponse } from "../errors.ts";
import { openSqlite } from "./sqlite-node.ts";
import { createDenoAccept } from "./deno-websocket.ts";
import { dial } from "./dial.ts";

const encoder = new TextEncoder();
/** Upgraded client sockets still open (realtime sessions). */
const sessions = new Set<WebSocket>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeAll(bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await Deno.stdout.write(bytes.subarray(offset));
}

function writeAllSync(out: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.byteLength) offset += out.writeSync(bytes.subarray(offset));
}

const runtime: Runtime = {
  name: "deno",
  traits: { fetchDecodesZstd: false, watchStreamedUploads: false },
  version: Deno.version.deno,
  args: Deno.args,
  env: Deno.env.toObject(),
  warnings: [],
  openDb: openSqlite,
  startStoreWorker: () =>
    new Worker(new URL("./store-worker-deno.ts", import.meta.url).href, { type: "module" }) as unknown as WorkerHandle,
  websockets: { accept: createDenoAccept(sessions), dial },
  async serve({ hostname, port, tls, fetch, onError }) {
    /** Set once the listener is to stop while realtime sessions still run (see `stop`). */
    let refusing = false;
    const handler = (req: Request, info: Deno.ServeHandlerInfo) => {
      if (!refusing) return fetch(req, undefined, (info.remoteAddr as Deno.NetAddr).hostname);
      const response = errorResponse("shutting_down", 503, "Kestrel is shutting down");
      response.headers.set("connection", "close");
      return response;
    };
    const listen = (at: number, files: typeof tls) =>
      new Promise<Deno.HttpServer>((resolve, reject) => {
        try {
          const server: Deno.HttpServer = Deno.serve({
            hostname,
            port: at,
            ...(files ?? {}),
            // onListen runs inside Deno.serve, before `server` is assigned.
            onListen: () => queueMicrotask(() => resolve(server)),
            // Deno.serve's default prints the error (a body error included) raw with console.error.
            onError,
          }, handler);
        } catch (err) {
          reject(err);
        }
      });
    let server = await listen(port, tls);
    const bound = (server.addr as Deno.NetAddr).port;
    return {
      port: bound,
      // Deno's shutdown() closes upgraded sockets at once: while sessions run (they get the shutdown grace and
      // then 1001 from Kestrel) the listener stays, refusing new requests, and goes when the last one closed.
      stop() {
        if (sessions.size === 0) return void server.shutdown();
        refusing = true;
        const last = server;
        void (async () => {
          while (sessions.size > 0) await sleep(20);
          await last.shutdown();
        })();
      },
      // No reload of a certificate in Deno.serve: the listener is replaced. Its sessions are closed first (1012,
      // service restart: clients reconnect), as its shutdown() would cut them anyway (docs/architecture.md §18).
      reloadTls: tls === null ? undefined : async (files) => {
        for (const socket of sessions) socket.close(1012, "Kestrel is reloading its TLS certificate");
        // Their close frames go out first: shutdown() would send its own (1001) in their place.
        for (let waited = 0; sessions.size > 0 && waited < 1000; waited += 20) await sleep(20);
        const old = server;
        void old.shutdown();
        for (let attempt = 0; ; attempt++) {
          try {
            server = await listen(bound, files);
            return;
          } catch (err) {
            // The old listener releases its port within a few ms; past 2 s it is not going to.
            if (attempt >= 100) {
              server = await listen(bound, tls).catch(() => old);
              throw err;
            }
            await sleep(20);
          }
        }
      },
    };
  },
  // Deno.stdout.write is asynchronous; node:fs writes on Deno block the event loop when the pipe is full.
  writeOut: writeAll,
  writeOutSync: (text) => writeAllSync(Deno.stdout, text),
  writeErr: (text) => writeAllSync(Deno.stderr, text),
  readTextFile: (path) => Deno.readTextFileSync(path),
  writeTextFile: (path, text, append) => Deno.writeTextFileSync(path, text, { append }),
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
};

await main(runtime);
