/**
 * @module The OTLP/HTTP JSON span exporter: a bounded queue drained in batches by one POST at a time, off the
 * request path. A batch goes when it is full or a second after its first span; a failed batch is dropped and
 * counted, never retried (a collector that is down must not cost memory or a retry storm). docs/architecture.md §15.
 */
import { describeError } from "../redact.ts";
import type { OtlpSpan } from "./span.ts";

export interface ExporterOptions {
  /** The full traces URL (`…/v1/traces`, see `tracesUrl`). */
  url: string;
  /** Extra request headers (`KESTREL_OTLP_HEADERS`): may hold credentials, never logged. */
  headers: Readonly<Record<string, string>>;
  fetch: typeof fetch;
  /** Serialises a batch into the request body. */
  encode(spans: readonly OtlpSpan[]): string;
  /** A failure report; called at most once a minute (plus once when exports work again). */
  warn(message: string): void;
  /** Spans beyond this many waiting are dropped. */
  maxQueue?: number;
  /** Spans per POST. */
  batchSize?: number;
  /** How long the first span of a batch waits for company. */
  delayMs?: number;
  /** One POST's time limit. */
  timeoutMs?: number;
}

export interface ExporterStats {
  exported: number;
  /** Queue full or export failed: `kestrel_otlp_spans_dropped_total`. */
  dropped: number;
  queued: number;
}

export interface SpanExporter {
  add(span: OtlpSpan): void;
  stats(): ExporterStats;
  /**
   * Exports everything queued (shutdown) and resolves when the last POST has settled. No new POST starts after
   * `withinMs` (default: one POST's time limit): what is still queued then is dropped and counted, so a collector
   * that hangs delays a shutdown by one time limit, not one per batch.
   */
  flush(withinMs?: number): Promise<void>;
}

/**
 * The OTLP exporter rule for a signal URL: a base URL without a path (or just `/`) gets `/v1/traces`; a URL with
 * a path is used as it is.
 */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1/traces";
  return url.href;
}

/** `k=v,k2=v2` (the OTel `OTEL_EXPORTER_OTLP_HEADERS` form, values percent-decoded) → headers; throws on bad input. */
export function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? "" : part.slice(0, eq).trim();
    // The value is never quoted back: it is usually a credential.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`must be name=value pairs separated by commas`);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new Error(`has a badly percent-encoded value for ${JSON.stringify(name)}`);
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

const MINUTE = 60_000;

export function createSpanExporter(options: ExporterOptions): SpanExporter {
  const maxQueue = options.maxQueue ?? 2048;
  const batchSize = options.batchSize ?? 512;
  const delayMs = options.delayMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = { ...options.headers, "content-type": "application/json" };
  const shown = new URL(options.url).origin; // no userinfo, path or query: they may carry credentials
  let queue: OtlpSpan[] = [];
  let exported = 0;
  let dropped = 0;
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let warnedAt = Number.NEGATIVE_INFINITY;
  let failing = false;
  /** Set by a shutdown flush: no POST starts after it. */
  let stopAt = Number.POSITIVE_INFINITY;

  /** Starts the POST loop unless one runs; `.finally` runs asynchronously, so `inFlight` is never reset early. */
  const kick = () => {
    if (inFlight !== null || queue.length === 0) return;
    inFlight = send().finally(() => {
      inFlight = null;
      schedule();
    });
  };

  const schedule = () => {
    if (inFlight !== null || queue.length === 0 || Date.now() >= stopAt) return;
    if (queue.length >= batchSize) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      return kick();
    }
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      kick();
    }, delayMs);
  };

  const failed = (count: number, why: string) => {
    dropped += count;
    failing = true;
    const now = Date.now();
    if (now - warnedAt < MINUTE) return;
    warnedAt = now;
    options.warn(`OTLP export to ${shown} failed (${why}): ${dropped} spans dropped so far`);
  };

  async function post(batch: OtlpSpan[]): Promise<void> {
    const controller = new AbortController();
    const limit = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await options.fetch(options.url, {
        method: "POST",
        headers,
        body: options.encode(batch),
        signal: controller.signal,
      });
      const text = await response.text();
      if (!response.ok) return failed(batch.length, `HTTP ${response.status}`);
      const rejected = rejectedSpans(text);
      exported += batch.length - rejected;
      if (rejected > 0) return failed(rejected, `the collector rejected ${rejected} spans`);
      if (failing) {
        failing = false;
        options.warn(`OTLP export to ${shown} works again`);
      }
    } catch (err) {
      failed(batch.length, controller.signal.aborted ? `no answer in ${timeoutMs} ms` : describeError(err));
    } finally {
      clearTimeout(limit);
    }
  }

  async function send(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.length <= batchSize ? queue : queue.slice(0, batchSize);
      queue = queue.length <= batchSize ? [] : queue.slice(batchSize);
      await post(batch);
      // Only full batches go back to back; a partial one waits for its delay like any other.
      if (queue.length < batchSize || Date.now() >= stopAt) break;
    }
  }

  return {
    add(span) {
      if (queue.length >= maxQueue) {
        dropped++;
        return;
      }
      queue.push(span);
      if (queue.length === 1 || queue.length >= batchSize) schedule();
    },
    stats: () => ({ exported, dropped, queued: queue.length }),
    async flush(withinMs = timeoutMs) {
      const deadline = Date.now() + withinMs;
      stopAt = deadline;
      // Each POST has its own time limit, so this ends.
      while (inFlight !== null || queue.length > 0) {
        if (timer !== null) {
          clearTimeout(timer);
          timer = null;
        }
        if (inFlight === null && Date.now() >= deadline) {
          dropped += queue.length;
          queue = [];
          break;
        }
        kick();
        await inFlight;
      }
      stopAt = Number.POSITIVE_INFINITY;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    },
  };
}

/** `partialSuccess.rejectedSpans` of an OTLP answer (a number or an int64 string), else 0. */
function rejectedSpans(body: string): number {
  if (!body.includes("rejectedSpans")) return 0;
  try {
    const n = Number((JSON.parse(body) as { partialSuccess?: { rejectedSpans?: unknown } }).partialSuccess?.rejectedSpans ?? 0);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
