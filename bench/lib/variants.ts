/**
 * @module Hot-path experiments: each variant is a scratch copy of src/ (under bench/.work/variants/NAME) with
 * one piece of the request path switched off or replaced, by exact text replacement. A variant whose anchor
 * text no longer exists in src/ is reported as stale, never silently measured as the baseline.
 * These copies exist to measure what each piece costs; several would break metering (that is the point).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { ROOT } from "./proc.ts";

interface Patch {
  file: string;
  find: string;
  replace: string;
}

export interface Variant {
  name: string;
  /** What is switched off or replaced, for the table. */
  what: string;
  patches: Patch[];
}

const P = (file: string, find: string, replace: string): Patch => ({ file, find, replace });

const NO_WRAPPER = P(
  "src/routes/answer.ts",
  "  return new Response(meterBody(source, state), init);",
  `  state.settle("complete");
  return new Response(source, init);`,
);
const JSON_BUFFER = P(
  "src/routes/proxy.ts",
  "    const body = meterBody(upstream.body, {",
  `    if (framing === "json" && Number(upstream.headers.get("content-length") ?? Infinity) <= 1048576) {
      const bytes = new Uint8Array(await upstream.arrayBuffer());
      meter?.push(bytes);
      done("complete");
      return new Response(bytes, { status: upstream.status, statusText: upstream.statusText, headers });
    }
    const body = meterBody(upstream.body, {`,
);
const NO_STORE_WORKER = P("src/serve.ts", "if (config.store.kind === \"sqlite\" && rt.startStoreWorker", "if ((false as boolean) && rt.startStoreWorker");
const NO_SINK = P("src/sink/sink.ts", "finish(ex: Exchange): void {", "finish(ex: Exchange): void {\n      if (ex) return;");
const NO_STORE = P("src/sink/sink.ts", "      addFact(store, fact);\n", "");
const NO_LOG = P(
  "src/sink/sink.ts",
  "      log.usage(() => usageLine(ex.spec, fact), full, () => genAiAttributes(genAiSource(ex, full())));\n",
  "",
);
const NO_FINGERPRINT = P(
  "src/sink/record.ts",
  "key_id: credential === null ? null : await fingerprint(credential),",
  "key_id: null,",
);
const CHEAP_IDS = [
  // Ascending like ULIDs (random ids would measure SQLite B-tree page splits instead). Made by recordOf: on the store
  // worker for SQLite (issue 25), so this now measures the worker's share, and the log's when it is JSON.
  P("src/usage/fact.ts", "id: f.id ?? ulid(f.startedAt),", "id: f.id ?? String((globalThis as any).__id = ((globalThis as any).__id ?? 1e15) + 1),"),
  P("src/usage/fact.ts", "ts: f.ts ?? new Date(f.startedAt).toISOString(),", `ts: f.ts ?? "2026-11-28T00:00:00.000Z",`),
];
const NO_PRICING = P(
  "src/sink/record.ts",
  "  const price = pricer.price(usage, {",
  "  const price = { cost_pico: null, breakdown: null, priced: false, price_version: null } as any;\n  void ({",
);
const NO_REQUEST_READ = P(
  "src/forward/send.ts",
  "    original = await readRequestBody(req, {",
  "    original = { body: req.body as BodyInit | null, json: undefined as unknown, length: null as number | null };\n    void ({",
);
const NO_WATCHDOG = [
  P("src/routes/live.ts", "    deps.watchdog.watch(this);\n", ""),
  P("src/routes/live.ts", "    deps.watchdog.unwatch(this);\n", ""),
];
const NO_ABORT_LISTENER = [
  P("src/routes/live.ts", `    signal.addEventListener("abort", this, { once: true });\n`, ""),
  P("src/routes/live.ts", `    this.signal.removeEventListener("abort", this);\n`, ""),
];
const NO_HEADER_COPY = [
  P(
    "src/forward/send.ts",
    "const headers = upstreamRequestHeaders(req.headers);",
    `const headers = new Headers(req.headers);
      headers.delete("host");
      headers.delete("accept-encoding");`,
  ),
  P("src/routes/answer.ts", "const headers = clientResponseHeaders(upstream.headers, state.strip !== null, x.fetchDecodesZstd);", "const headers = upstream.headers;"),
];
const NO_PROBE = P("src/serve.ts", "probe: PROXY_VARS.some((v) => rt.env[v]) ? null : createConnectProbe(),", "probe: null,");
const NO_METER = P(
  "src/routes/answer.ts",
  "const acc = spec.createAccumulator(facts);",
  "const acc = null as ReturnType<typeof spec.createAccumulator>;",
);
const HWM_1 = P("src/meter/body.ts", "observer), { highWaterMark: 0 });", "observer), { highWaterMark: 1 });");
/** Bun-only "direct" ReadableStream: chunks are written to the socket from the pull loop, no JS queue. */
const DIRECT_STREAM = P(
  "src/meter/body.ts",
  "  return new ReadableStream<Uint8Array>(new MeteredSource(source.getReader(), observer), { highWaterMark: 0 });",
  `  const reader = source.getReader();
  let ended = false;
  const end = (how: BodyEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    observer.end(how, error);
  };
  if ("Bun" in globalThis) {
    return new ReadableStream({
      type: "direct",
      async pull(controller: any) {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              const rest = observer.flush?.();
              if (rest && rest.byteLength > 0) controller.write(rest);
              end("complete");
              controller.close();
              return;
            }
            const out = observer.chunk(value);
            if (out.byteLength > 0) {
              controller.write(out);
              await controller.flush();
            }
          }
        } catch (err) {
          end("failed", err);
          controller.close();
        }
      },
      cancel(reason: unknown) {
        end("cancelled", reason);
        return reader.cancel(reason).catch(() => {});
      },
    } as any) as ReadableStream<Uint8Array>;
  }
  return new ReadableStream<Uint8Array>(new MeteredSource(reader, observer), { highWaterMark: 0 });`,
);

/** The wrapper line every stream variant below replaces (src/meter/body.ts). */
const BODY_LINE = "  return new ReadableStream<Uint8Array>(new MeteredSource(source.getReader(), observer), { highWaterMark: 0 });";
/** One stream-path option (issue 25): `code` replaces meterBody's body; the observer contract is the same. */
const BODY_VARIANT = (code: string) => P("src/meter/body.ts", BODY_LINE, code);
const HWM_4 = P("src/meter/body.ts", "observer), { highWaterMark: 0 });", "observer), { highWaterMark: 4 });");
/** Read ahead by bytes, not chunks: up to 1 MiB queued in the wrapper while the client drains. */
const HWM_1MB = P(
  "src/meter/body.ts",
  "observer), { highWaterMark: 0 });",
  "observer), { highWaterMark: 1 << 20, size: (c: Uint8Array) => c.byteLength });",
);
const HWM_BYTES = (bytes: number) =>
  P("src/meter/body.ts", "observer), { highWaterMark: 0 });", `observer), { highWaterMark: ${bytes}, size: (c: Uint8Array) => c.byteLength });`);
/** The meter in a TransformStream's transform, the upstream piped through it (pipeThrough). */
const TRANSFORM = BODY_VARIANT(`  let ended = false;
  const end = (how: BodyEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    observer.end(how, error);
  };
  return source.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      const out = observer.chunk(chunk);
      if (out.byteLength > 0) c.enqueue(out);
    },
    flush(c) {
      const rest = observer.flush?.();
      if (rest && rest.byteLength > 0) c.enqueue(rest);
      end("complete");
    },
    cancel(reason: unknown) {
      end("cancelled", reason);
    },
  } as Transformer<Uint8Array, Uint8Array>));`);
/** Bun's reader.readMany(): every chunk already queued in one read (fewer awaits); other runtimes as before. */
const READ_MANY_SOURCE = `
class ManySource {
  private ended = false;
  constructor(private readonly reader: any, private readonly observer: BodyObserver) {}
  private end(how: BodyEnd, error?: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.observer.end(how, error);
  }
  start(controller: any) {
    this.observer.attach?.({ cut: (reason: unknown) => { if (this.ended) return; this.end("failed", reason); controller.error(undefined); this.reader.cancel(reason).catch(() => {}); } });
  }
  async pull(controller: ReadableStreamDefaultController<Uint8Array>) {
    const observer = this.observer;
    try {
      for (;;) {
        observer.read?.();
        const { done, value } = await this.reader.readMany();
        if (this.ended) return;
        let sent = false;
        for (const chunk of value) {
          const out = observer.chunk(chunk);
          if (out.byteLength > 0) {
            controller.enqueue(out);
            sent = true;
          }
        }
        if (done) {
          const rest = observer.flush?.();
          if (rest && rest.byteLength > 0) controller.enqueue(rest);
          this.end("complete");
          controller.close();
          return;
        }
        if (sent) return;
      }
    } catch (err) {
      this.end("failed", err);
      controller.error(undefined);
    }
  }
  cancel(reason: unknown) {
    this.end("cancelled", reason);
    return this.reader.cancel(reason).catch(() => {});
  }
}
`;
const READ_MANY = [
  BODY_VARIANT(`  const reader = source.getReader() as any;
  if (typeof reader.readMany === "function") return new ReadableStream<Uint8Array>(new ManySource(reader, observer) as any, { highWaterMark: 0 });
  return new ReadableStream<Uint8Array>(new MeteredSource(reader, observer), { highWaterMark: 0 });`),
  P("src/meter/body.ts", "export function meterBody(", READ_MANY_SOURCE + "\nexport function meterBody("),
];
/** Bun direct stream fed by readMany: one flush per batch of queued chunks. */
const DIRECT_MANY = BODY_VARIANT(`  const reader = source.getReader() as any;
  let ended = false;
  const end = (how: BodyEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    observer.end(how, error);
  };
  if ("Bun" in globalThis) {
    return new ReadableStream({
      type: "direct",
      async pull(controller: any) {
        try {
          for (;;) {
            const { done, value } = await reader.readMany();
            for (const chunk of value) {
              const out = observer.chunk(chunk);
              if (out.byteLength > 0) controller.write(out);
            }
            if (done) {
              const rest = observer.flush?.();
              if (rest && rest.byteLength > 0) controller.write(rest);
              end("complete");
              controller.close();
              return;
            }
            await controller.flush();
          }
        } catch (err) {
          end("failed", err);
          controller.close();
        }
      },
      cancel(reason: unknown) {
        end("cancelled", reason);
        return reader.cancel(reason).catch(() => {});
      },
    } as any) as ReadableStream<Uint8Array>;
  }
  return new ReadableStream<Uint8Array>(new MeteredSource(reader, observer), { highWaterMark: 0 });`);
/** readMany, and the batch's metered chunks joined into one enqueue (fewer chunks for the server to write). */
const READ_MANY_JOIN = [
  READ_MANY[0]!,
  P("src/meter/body.ts", "export function meterBody(", READ_MANY_SOURCE.replace(
    `        let sent = false;
        for (const chunk of value) {
          const out = observer.chunk(chunk);
          if (out.byteLength > 0) {
            controller.enqueue(out);
            sent = true;
          }
        }`,
    `        let sent = false;
        const outs: Uint8Array[] = [];
        let size = 0;
        for (const chunk of value) {
          const out = observer.chunk(chunk);
          if (out.byteLength > 0) {
            outs.push(out);
            size += out.byteLength;
          }
        }
        if (outs.length === 1) controller.enqueue(outs[0]!);
        else if (outs.length > 1) {
          const joined = new Uint8Array(size);
          let at = 0;
          for (const o of outs) {
            joined.set(o, at);
            at += o.byteLength;
          }
          controller.enqueue(joined);
        }
        sent = outs.length > 0;`,
  ) + "\nexport function meterBody("),
];
/** Bun: an async generator as the body (Bun serves it through its direct-stream sink). */
const ASYNC_GEN = BODY_VARIANT(`  if (!("Bun" in globalThis)) return new ReadableStream<Uint8Array>(new MeteredSource(source.getReader(), observer), { highWaterMark: 0 });
  const reader = source.getReader();
  let ended = false;
  const end = (how: BodyEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    observer.end(how, error);
  };
  return (async function* () {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const out = observer.chunk(value);
        if (out.byteLength > 0) yield out;
      }
      const rest = observer.flush?.();
      if (rest && rest.byteLength > 0) yield rest;
      end("complete");
    } catch (err) {
      end("failed", err);
      throw undefined;
    } finally {
      if (!ended) {
        end("cancelled");
        reader.cancel().catch(() => {});
      }
    }
  })() as any;`);
/**
 * NOT SAFE as is (measured only): each chunk copied into one of 8 reused 512 KiB buffers before it is enqueued,
 * so the server never holds the reader's fresh buffer (bench/stream-split.ts); nothing proves the server has let
 * go of a buffer when the ring comes round to it again.
 */
const POOLED_COPY = [
  P("src/meter/body.ts", "        if (out.byteLength > 0) {\n          controller.enqueue(out);", `        if (out.byteLength > 0) {
          const slot = out.byteLength <= POOL_BYTES ? POOL[POOL_AT++ & 7]!.subarray(0, out.byteLength) : out;
          if (slot !== out) slot.set(out);
          controller.enqueue(slot);`),
  P("src/meter/body.ts", "export function meterBody(", `const POOL_BYTES = 512 * 1024;
const POOL = Array.from({ length: 8 }, () => new Uint8Array(POOL_BYTES));
let POOL_AT = 0;
export function meterBody(`),
];
/** Deno: a BYOB reader into 256 KiB buffers (larger batches than the 16–64 KiB chunks fetch hands out). */
const BYOB = [
  BODY_VARIANT(`  let reader: any = null;
  try {
    reader = (source as any).getReader({ mode: "byob" });
  } catch {
    return new ReadableStream<Uint8Array>(new MeteredSource(source.getReader(), observer), { highWaterMark: 0 });
  }
  return new ReadableStream<Uint8Array>(new ByobSource(reader, observer) as any, { highWaterMark: 0 });`),
  P("src/meter/body.ts", "export function meterBody(", READ_MANY_SOURCE.replace("class ManySource", "class ByobSource")
    .replace("const { done, value } = await this.reader.readMany();", "const r = await this.reader.read(new Uint8Array(256 * 1024));\n        const done = r.done;\n        const value = r.value && r.value.byteLength > 0 ? [r.value] : [];") + "\nexport function meterBody("),
];

const NO_SERVER_TIMEOUT = [
  P("src/entry/bun.ts", "        srv.timeout(req, 0);\n", ""),
  P("src/entry/bun.ts", "maxRequestBodySize: Number.MAX_SAFE_INTEGER,", "maxRequestBodySize: Number.MAX_SAFE_INTEGER,\n      idleTimeout: 0,"),
];
const SYNC_LOG = P("src/entry/bun.ts", "writeOut: (bytes) => writeAll(1, bytes),", "writeOut: (bytes) => (fs.writeSync(1, bytes), Promise.resolve()),");
/** The SSE meter without a closure per event: one try/catch in the scanner callback. */
const INLINE_GUARD = P(
  "src/meter/meter.ts",
  ": (event) => guard(\"accumulator\", () => onEvent(event)),",
  `: (event) => {
          try {
            onEvent(event);
          } catch (err) {
            fail(\`accumulator: \${err instanceof Error ? err.message : String(err)}\`);
          }
        },`,
);

/** Metrics off (the sink observes nothing, /metrics is gone); the added-latency clock reads stay. */
const NO_METRICS = P(
  "src/serve.ts",
  "metrics: createMetrics({ version: PACKAGE_VERSION, commit: COMMIT, runtime: rt.name, priceVersion: pricer.version }),",
  "metrics: null,",
);

const CHEAP_SINK = [NO_STORE, NO_LOG, NO_FINGERPRINT, ...CHEAP_IDS, NO_PRICING];
// Provider paths skip Hono and fingerprints are memoized in src/ since cf261c3.
const FRAME = [NO_REQUEST_READ, ...NO_WATCHDOG, ...NO_ABORT_LISTENER, ...NO_HEADER_COPY, NO_PROBE];

export const VARIANTS: Variant[] = [
  { name: "baseline", what: "src/ as it is", patches: [] },
  { name: "no-store-worker", what: "store writes on the event loop (no worker thread)", patches: [NO_STORE_WORKER] },
  { name: "no-request-read", what: "stream the request body instead of reading + JSON.parse", patches: [NO_REQUEST_READ] },
  { name: "no-watchdog", what: "no watchdog watch/unwatch (setInterval per idle→busy)", patches: NO_WATCHDOG },
  { name: "no-abort-listener", what: "no req.signal abort listener", patches: NO_ABORT_LISTENER },
  { name: "no-header-copy", what: "headers like bare: copy + 2 deletes up, upstream's as-is down", patches: NO_HEADER_COPY },
  { name: "no-probe", what: "no connect probe (cached per origin)", patches: [NO_PROBE] },
  { name: "no-meter", what: "wrapper kept, no accumulator/meter", patches: [NO_METER] },
  { name: "no-wrapper", what: "return upstream.body (no pull wrapper, no metering)", patches: [NO_WRAPPER] },
  { name: "json-buffer", what: "small JSON: await arrayBuffer(), meter, Response(bytes)", patches: [JSON_BUFFER] },
  { name: "hwm-1", what: "pull wrapper highWaterMark 0 → 1", patches: [HWM_1] },
  { name: "direct-stream", what: "Bun direct ReadableStream wrapper (write + flush)", patches: [DIRECT_STREAM] },
  { name: "hwm-4", what: "pull wrapper highWaterMark 0 → 4 chunks", patches: [HWM_4] },
  { name: "hwm-1mb", what: "pull wrapper highWaterMark 0 → 1 MiB (byte-sized queue)", patches: [HWM_1MB] },
  { name: "hwm-64k", what: "pull wrapper highWaterMark 0 → 64 KiB (byte-sized queue)", patches: [HWM_BYTES(64 * 1024)] },
  { name: "hwm-256k", what: "pull wrapper highWaterMark 0 → 256 KiB (byte-sized queue)", patches: [HWM_BYTES(256 * 1024)] },
  { name: "transform", what: "upstream.pipeThrough(TransformStream with the meter in transform)", patches: [TRANSFORM] },
  { name: "read-many", what: "pull wrapper reading with Bun's reader.readMany() (all queued chunks)", patches: READ_MANY },
  { name: "direct-many", what: "Bun direct stream + readMany, one flush per batch", patches: [DIRECT_MANY] },
  { name: "read-many-join", what: "read-many, each batch's chunks joined into one enqueue", patches: READ_MANY_JOIN },
  { name: "async-gen", what: "Bun: an async generator as the Response body", patches: [ASYNC_GEN] },
  { name: "pooled-copy", what: "UNSAFE, measured only: each chunk copied into 8 reused buffers", patches: POOLED_COPY },
  { name: "byob", what: "Deno: BYOB reader into 256 KiB buffers", patches: BYOB },
  { name: "no-server-timeout", what: "Bun.serve idleTimeout: 0 instead of srv.timeout(req, 0) per request", patches: NO_SERVER_TIMEOUT },
  { name: "sync-log", what: "log lines written with fs.writeSync instead of async fs.write", patches: [SYNC_LOG] },
  { name: "inline-guard", what: "SSE meter: try/catch instead of a guard closure per event", patches: [INLINE_GUARD] },
  { name: "no-sink", what: "no record at all (no pricing, ids, sha256, log, store)", patches: [NO_SINK] },
  { name: "no-store", what: "fact made and logged, not handed to the store", patches: [NO_STORE] },
  { name: "no-log", what: "fact made and stored, not logged", patches: [NO_LOG] },
  { name: "no-fingerprint", what: "no SHA-256 key fingerprint (crypto.subtle.digest)", patches: [NO_FINGERPRINT] },
  { name: "cheap-ids", what: "no ULID / Date.toISOString in the record", patches: CHEAP_IDS },
  { name: "no-pricing", what: "no pricer.price()", patches: [NO_PRICING] },
  { name: "no-metrics", what: "no Prometheus counters (Deps.metrics null)", patches: [NO_METRICS] },
  { name: "cheap-sink", what: "record built without store, log, sha256, ids, pricing", patches: CHEAP_SINK },
  { name: "frame-off", what: "all per-request framing off: body read, watchdog, listener, headers, probe", patches: FRAME },
  { name: "all-off", what: "frame-off + no-wrapper + no-sink (Kestrel's skeleton ≈ bare)", patches: [...FRAME, NO_WRAPPER, NO_SINK] },
  {
    name: "proposed",
    what: "json-buffer + store write off the event loop (upper bound: no store) + inline meter guard",
    patches: [JSON_BUFFER, NO_STORE, INLINE_GUARD],
  },
];

/** Writes the variant's copy of src/ (fresh), or returns why it cannot (a stale anchor). */
export function materialize(v: Variant, base: string): string | { stale: string } {
  const dir = `${base}/${v.name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(`${ROOT}src`, `${dir}/src`, { recursive: true });
  cpSync(`${ROOT}package.json`, `${dir}/package.json`);
  if (existsSync(`${ROOT}deno.json`)) cpSync(`${ROOT}deno.json`, `${dir}/deno.json`);
  for (const p of v.patches) {
    const path = `${dir}/${p.file}`;
    const text = readFileSync(path, "utf8");
    if (!text.includes(p.find)) return { stale: `${p.file}: ${JSON.stringify(p.find.slice(0, 60))}` };
    writeFileSync(path, text.replace(p.find, p.replace));
  }
  return dir;
}
