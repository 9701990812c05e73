/** @module Deno entry: Deno.serve + node:sqlite behind the Runtime seam. Run with `deno run -A --unstable-no-legacy-abort`. */
import { main } from "../cli.ts";
import type { Runtime } from "../runtime.ts";
import type { WorkerHandle } from "../store/worker/protocol.ts";
import { openSqlite } from "./sqlite-node.ts";

const encoder = new TextEncoder();

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
  serve({ hostname, port, fetch, onError }) {
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname,
        port,
        onListen: (addr) => resolve({ port: addr.port, stop: () => void server.shutdown() }),
        // Deno.serve's default prints the error (a body error included) raw with console.error.
        onError,
      }, fetch);
    });
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
