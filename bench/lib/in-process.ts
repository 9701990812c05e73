/**
 * @module Kestrel's `serve()` from a source tree (src/ or a variant copy) behind a fake Runtime that captures the
 * fetch handler instead of listening: no sockets. A real SQLite store (its writes on the worker thread, as the Bun
 * entry does, when the tree has one) and the real logger writing to /dev/null. Callers replace `globalThis.fetch`
 * (the upstream) first.
 */
import { existsSync, mkdtempSync, openSync, write, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Handler = (req: Request) => Response | Promise<Response>;

export async function kestrelInProcess(src: string): Promise<Handler> {
  const devnull = openSync("/dev/null", "w");
  let handler: Handler | null = null;
  const { openSqlite } = await import(`${src}/entry/sqlite-bun.ts`);
  const { serve } = await import(`${src}/serve.ts`);
  const db = join(mkdtempSync(join(tmpdir(), "kestrel-in-process-")), "k.db");
  // What src/entry/bun.ts hands the core (a tree from before a trait existed simply lacks it).
  const search = existsSync(`${src}/entry/byte-search.ts`) ? (await import(`${src}/entry/byte-search.ts`)).bufferSearch : undefined;
  await serve({
    name: "bun",
    traits: { fetchDecodesZstd: true, watchStreamedUploads: true, byteSearch: search },
    version: "bench",
    args: [],
    // The connect probe would dial the fake upstream address; an HTTP proxy setting switches it off.
    env: { HTTP_PROXY: "http://127.0.0.1:9" },
    openDb: openSqlite,
    ...(existsSync(`${src}/entry/store-worker-bun.ts`)
      ? { startStoreWorker: () => new Worker(new URL(`file://${src}/entry/store-worker-bun.ts`).href) }
      : {}),
    serve: (o: { fetch: Handler }) => {
      handler = o.fetch;
      return Promise.resolve({ port: 1, stop() {} });
    },
    // Asynchronous like the Bun entry's (fs.write runs on the thread pool): its cost per write is counted.
    writeOut: (b: Uint8Array) => new Promise<void>((resolve) => write(devnull, b, () => resolve())),
    writeOutSync: () => {},
    warnings: [],
    writeErr: (t: string) => void writeSync(2, t),
    readTextFile: () => "",
    writeTextFile: () => {},
    onSignal: () => {},
    exit: () => {
      throw new Error("exit");
    },
  } as never, ["--db", db, "--upstream", "openai=http://127.0.0.1:9"]);
  if (handler === null) throw new Error("serve() did not start");
  return handler;
}
