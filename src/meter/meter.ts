/** @module Routes a response body's bytes into a provider accumulator by framing; never throws. */
import { createEventStreamDecoder } from "../eventstream/decoder.ts";
import { NO_RESULT } from "../providers/meter-result.ts";
import type { MeterResult, UsageAccumulator } from "../providers/types.ts";
import { concatBytes } from "../sse/bytes.ts";
import { createSseScanner } from "../sse/scanner.ts";
import type { ScanError, SseEvent, SseScanner, SseScannerOptions } from "../sse/types.ts";
import { badUsageField, checkNative } from "../usage/validate.ts";

export type Framing = "sse" | "json" | "eventstream" | "none";

/**
 * What the meter learned, plus why it could not read everything (kept on the record as `usage_error`).
 * `truncated`: an SSE or event-stream body that stopped inside an event (frame), or held none at all — a
 * close-delimited stream whose connection dropped looks like a clean end to fetch, so the framing is the only
 * witness.
 */
export type MeterOutcome = MeterResult & { usageError: string | null; truncated: boolean };

export interface Meter {
  /** Observe the next chunk exactly as it goes to the client. */
  push(chunk: Uint8Array): void;
  /** End of the body; `complete` is false when the body was cut. */
  end(complete: boolean): MeterOutcome;
  /** Bytes pushed so far that belong to finished SSE events (see SseScanner.settled); all bytes for other framings. */
  settled(): number;
}

export interface MeterOptions {
  /** JSON bodies above this are passed through unmetered (and flagged). */
  maxJsonBytes?: number;
  /** SSE events above this are skipped (and flagged). */
  maxEventBytes?: number;
  /** Sees every SSE event before the accumulator (the usage-chunk stripper). */
  onEvent?: (event: SseEvent) => void;
}

const DEFAULT_MAX_JSON = 32 * 1024 * 1024;
const decoder = new TextDecoder();

/** Picks the framing from a response Content-Type. */
export function framingOf(contentType: string | null): Framing {
  if (contentType === null) return "none";
  const ct = contentType.trimStart().toLowerCase();
  if (ct.startsWith("text/event-stream")) return "sse";
  if (ct.startsWith("application/json")) return "json";
  if (ct.startsWith("application/vnd.amazon.eventstream")) return "eventstream";
  const semi = ct.indexOf(";");
  if ((semi < 0 ? ct : ct.slice(0, semi)).trimEnd().endsWith("+json")) return "json";
  return "none";
}

/**
 * A meter for one response body. Accumulator and parser failures land in `usageError`, never in the stream. An SSE
 * body's meter is a SseMeter (no closures per open stream); the other framings' meters live only as long as a
 * body that is read whole or briefly, and keep their closures.
 */
export function createMeter(framing: Framing, acc: UsageAccumulator, options: MeterOptions = {}): Meter {
  if (framing === "sse" && acc.onEvent) return new SseMeter(acc, options);
  let usageError: string | null = null;
  const fail = (message: string) => {
    usageError ??= message;
  };
  const guard = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      fail(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };

  let pushed = 0;
  let push: (chunk: Uint8Array) => void = () => {};
  /** Ends the framing; true when the body was cut short inside its framing. */
  let close: () => boolean | void = () => {};

  if (framing === "eventstream" && acc.onMessage) {
    const onMessage = acc.onMessage.bind(acc);
    /** Frames seen, and whether the body ended inside one: the same witnesses as for SSE. */
    let messages = 0;
    let cutFrame = false;
    const frames = createEventStreamDecoder({
      onMessage: (message) => {
        messages++;
        guard("accumulator", () => onMessage(message));
      },
      onError: (error) => {
        if (error.code === "truncated") cutFrame = true;
        fail(error.message);
      },
    });
    push = (chunk) => frames.push(chunk);
    close = () => {
      frames.end();
      return cutFrame || messages === 0;
    };
  } else if (framing === "none" && acc.onBytes) {
    push = acc.onBytes.bind(acc);
  } else if (framing === "json" && acc.onJson) {
    const onJson = acc.onJson.bind(acc);
    const max = options.maxJsonBytes ?? DEFAULT_MAX_JSON;
    let parts: Uint8Array[] = [];
    let size = 0;
    push = (chunk) => {
      if (size > max) return;
      size += chunk.byteLength;
      if (size > max) {
        parts = [];
        fail(`JSON body larger than ${max} bytes was not metered`);
        return;
      }
      parts.push(chunk);
    };
    close = () => {
      if (size > max || size === 0) return;
      const body = parts.length === 1 ? parts[0]! : concatBytes(parts, size);
      parts = [];
      const value = guard("invalid JSON body", () => JSON.parse(decoder.decode(body)) as unknown);
      if (value !== undefined) guard("accumulator", () => onJson(value, body));
    };
  }

  return {
    // Hot path: once per chunk, so a plain try/catch rather than a closure through `guard`.
    push(chunk) {
      pushed += chunk.byteLength;
      try {
        push(chunk);
      } catch (err) {
        fail(`meter: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    settled: () => pushed,
    end(complete) {
      // A cut JSON body is not parseable; only complete ones are.
      const truncated = complete || framing !== "json" ? guard("meter", close) === true : false;
      return outcome(acc, complete, truncated, usageError);
    },
  };
}

/**
 * The SSE meter: its state in fields, its behaviour on the prototype, and it is its scanner's options (the
 * scanner calls `onEvent` / `onError` on it), so an open stream holds this object and the scanner's and no
 * closures (issue 25, bench/child/stream-heap.ts).
 */
class SseMeter implements Meter, SseScannerOptions {
  readonly maxEventBytes: number | undefined;
  private readonly acc: UsageAccumulator;
  /** Sees every event before the accumulator (the usage strip); called detached, as the scanner once called it. */
  private readonly tap: ((event: SseEvent) => void) | undefined;
  private readonly scanner: SseScanner;
  private usageError: string | null = null;
  /** SSE events seen: a 2xx stream with none is an upstream that hung up. */
  private events = 0;

  constructor(acc: UsageAccumulator, options: MeterOptions) {
    this.acc = acc;
    this.tap = options.onEvent;
    this.maxEventBytes = options.maxEventBytes || undefined;
    this.scanner = createSseScanner(this);
  }

  /** Hot path: once per chunk, so a plain try/catch rather than a closure through `guard`. */
  push(chunk: Uint8Array): void {
    try {
      this.scanner.push(chunk);
    } catch (err) {
      this.fail(`meter: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  settled(): number {
    return this.scanner.settled();
  }

  end(complete: boolean): MeterOutcome {
    let truncated = false;
    try {
      truncated = this.scanner.end() || this.events === 0;
    } catch (err) {
      this.fail(`meter: ${err instanceof Error ? err.message : String(err)}`);
    }
    return outcome(this.acc, complete, truncated, this.usageError);
  }

  /** The scanner's callback, once per event: a plain try/catch rather than a closure through `guard`. */
  onEvent(event: SseEvent): void {
    this.events++;
    const tap = this.tap;
    if (tap !== undefined) {
      // The scanner swallows a callback's throw; a failing tap must neither hide the event nor go unrecorded.
      try {
        tap(event);
      } catch (err) {
        this.fail(`usage strip: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    try {
      this.acc.onEvent!(event);
    } catch (err) {
      this.fail(`accumulator: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  onError(error: ScanError): void {
    this.fail(error.message);
  }

  private fail(message: string): void {
    this.usageError ??= message;
  }
}

/** The meter's outcome: the accumulator's result (a throw recorded, not raised), checked, with every problem. */
function outcome(acc: UsageAccumulator, complete: boolean, truncated: boolean, usageError: string | null): MeterOutcome {
  const problems: string[] = usageError === null ? [] : [usageError];
  let result: MeterResult;
  try {
    result = acc.finish(complete && !truncated);
  } catch (err) {
    result = NO_RESULT;
    if (usageError === null) problems.push(`accumulator: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...checked(result, problems), usageError: problems.length > 0 ? problems.join("; ") : null, truncated };
}

/**
 * A result read outside a response body (a realtime session's response, src/realtime/) checked as one read here
 * is: the same rules for what may be stored, with its own problems (`notes`) joined in.
 */
export function checkResult(result: MeterResult, notes: readonly string[] = []): MeterOutcome {
  const problems = [...notes];
  return { ...checked(result, problems), usageError: problems.length > 0 ? problems.join("; ") : null, truncated: false };
}

/**
 * The result as it may be stored: usage with any count that is not a whole number in range, or reported without
 * any count, is unknown (never a reported 0), a reported cost likewise, and a native object too deep or too large
 * is replaced by a marker.
 */
function checked(result: MeterResult, problems: string[]): MeterResult {
  const check = checkNative(result.native);
  const usage = result.usage;
  const bad = check.badCount ?? (usage === null ? null : badUsageField(usage));
  // A reported usage object holding no number at all (`"usage": {}`) would be recorded as 0 tokens at $0.
  const emptyReport = bad === null && result.source === "reported" && check.empty;
  if (check.truncated !== null) problems.push(check.truncated);
  if (emptyReport) problems.push("usage reported without any count: unknown, not zero");
  if (bad !== null) problems.push(`unreadable usage: ${bad}`);
  const cost = result.reportedCostPico;
  const costOk = cost === null || (Number.isSafeInteger(cost) && cost >= 0);
  if (!costOk) problems.push(`unreadable reported cost: ${cost}`);
  if (check.native === result.native && bad === null && !emptyReport && costOk) return result;
  return {
    ...result,
    native: check.native,
    ...(bad === null && !emptyReport ? {} : { usage: null, source: "none" as const }),
    reportedCostPico: costOk ? cost : null,
  };
}

