/** @module What the shared code needs from Bun or Deno; implemented only in src/entry/. */
import type { Db } from "./store/db.ts";

export interface ServeOptions {
  hostname: string;
  port: number;
  fetch(req: Request): Response | Promise<Response>;
  /**
   * Whatever `fetch` throws, and (Deno) whatever a response body errors with: the runtime would print it raw to
   * stderr, past the log's redaction. Returns the response for a throw.
   */
  onError(err: unknown): Response;
}

export interface Server {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting connections; requests in flight continue. */
  stop(): void;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly version: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Things about this runtime's setup the operator should hear at startup (logged as warnings). */
  readonly warnings: readonly string[];
  openDb(path: string, options?: { readonly?: boolean }): Db;
  serve(options: ServeOptions): Promise<Server>;
  /** Writes to stdout without blocking the event loop (a stalled reader must not stall the server). */
  writeOut(bytes: Uint8Array): Promise<void>;
  /** Writes to stdout synchronously (CLI reports: output order matters, nothing else runs). */
  writeOutSync(text: string): void;
  /** Writes to stderr (startup errors; blocking is fine). */
  writeErr(text: string): void;
  readTextFile(path: string): string;
  /** Creates/truncates, or appends to, a text file (export --out). */
  writeTextFile(path: string, text: string, append: boolean): void;
  onSignal(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
}
