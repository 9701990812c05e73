/** @module What the shared code needs from Bun or Deno; implemented only in src/entry/. */
import type { ByteSearch } from "./json/probe.ts";
import type { Db, OpenOptions } from "./store/db.ts";
import type { WorkerHandle } from "./store/worker/protocol.ts";
import type { WebSocketRuntime } from "./realtime/types.ts";

/** A certificate chain and its private key, PEM text (`--tls-cert`, `--tls-key`). */
export interface TlsFiles {
  cert: string;
  key: string;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  /** Serve HTTPS (and WSS) with this certificate; null: plain HTTP. */
  tls: TlsFiles | null;
  /**
   * `conn` is runtime-specific and only handed back to `websockets.accept` (src/realtime/types.ts); `address` is the
   * client's IP (failed Kestrel-key lookups are counted per address: src/keys/ring.ts).
   */
  fetch(req: Request, conn?: unknown, address?: string): Response | Promise<Response>;
  /**
   * Whatever `fetch` throws, and (Deno) whatever a response body errors with: the runtime would print it raw to
   * stderr, past the log's redaction. Returns the response for a throw.
   */
  onError(err: unknown): Response;
}

export interface Server {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting connections; requests in flight continue, and so do realtime sessions (on Deno, whose
   * listener cannot stop without closing upgraded sockets, new requests are refused until they are gone).
   */
  stop(): void;
  /**
   * A TLS server only: serve new connections with this certificate (SIGHUP). The listener is replaced; open
   * connections keep theirs (on Deno, realtime sessions on the old listener are closed: docs/architecture.md §18).
   */
  reloadTls?: ((tls: TlsFiles) => Promise<void>) | undefined;
}

/**
 * What differs between the runtimes' fetch and server in ways the core must know (measured; each entry sets them),
 * so that no file outside src/entry/ asks which runtime it runs on.
 */
export interface Traits {
  /** Bun's fetch decodes a zstd answer even unasked; Deno's passes it through still encoded. */
  readonly fetchDecodesZstd: boolean;
  /**
   * Streamed uploads can be watched chunk by chunk (for the request-body timeout). On Deno any JavaScript stream
   * between the request and fetch loses the native pipe: a 50 MB upload's peak RSS rose by ~75 MB, not ~25 MB.
   */
  readonly watchStreamedUploads: boolean;
  /** A native whole-needle byte search faster than the meter's own (src/json/probe.ts), or absent. */
  readonly byteSearch?: ByteSearch;
}

/** Neither: what a test's in-process app gets unless it says otherwise. */
export const PLAIN_TRAITS: Traits = { fetchDecodesZstd: false, watchStreamedUploads: false };

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly traits: Traits;
  readonly version: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Things about this runtime's setup the operator should hear at startup (logged as warnings). */
  readonly warnings: readonly string[];
  openDb(path: string, options?: OpenOptions): Db;
  /**
   * The fetch for every outgoing request (upstreams, webhooks, OTLP) when the global one must not be used as is.
   * Bun's prints decode errors to stderr, so the Bun entry turns its decoding off and decodes in Kestrel
   * (src/forward/decode.ts); absent: `globalThis.fetch`.
   */
  fetch?: typeof fetch;
  /** WebSocket upgrades and upstream sockets for realtime sessions (src/realtime/). */
  websockets: WebSocketRuntime;
  /** Starts a Web Worker that hosts the store's writes (src/store/worker/); absent: they run on the event loop. */
  startStoreWorker?(): WorkerHandle;
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
  onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", handler: () => void): void;
  exit(code: number): never;
}
