/**
 * @module One exchange's state and hooks in one object: the request half (src/routes/proxy.ts), the upstream call
 * (its `CallOwner`), the idle watchdog's item, the client's abort listener (`handleEvent`), the answer's body
 * observer (src/routes/answer.ts) and the one record. Fields and methods rather than closures per exchange: an
 * open stream's heap is mostly what it holds (docs/architecture.md §6, BENCHMARKS.md "Per-stream state").
 */
import type { Attributes } from "../attributes/attributes.ts";
import type { Reservation } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import type { CallOwner, Cut } from "../forward/forward.ts";
import type { Watchdog, Watched } from "../forward/watchdog.ts";
import type { BodyCut, BodyEnd, BodyObserver } from "../meter/body.ts";
import type { Meter } from "../meter/meter.ts";
import type { UsageStrip } from "../meter/usage-strip.ts";
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { endingOf } from "./outcome.ts";

/** What a record adds to what the exchange knows: at least its status and outcome. */
export type Ending = Partial<Exchange> & Pick<Exchange, "status" | "outcome">;

/** Shared by every exchange of one proxy handler. */
export interface LiveDeps {
  watchdog: Watchdog;
  /** Exchanges still running (graceful shutdown waits for and cuts these). */
  live: Set<Live>;
  /** Receives every finished exchange; must not throw. */
  finish(exchange: Exchange): void;
}

export class Live implements CallOwner, Watched, BodyObserver, EventListenerObject {
  readonly controller = new AbortController();
  why: Cut | null = null;
  /** Last time bytes moved (the watchdog's clock); Infinity while Kestrel waits for the client, not the upstream. */
  last: number;
  /** The client's body once it streams: a cut ends it now (a reader that stopped pulling would never end it). */
  body: BodyCut | null = null;
  /** The client's request body is still arriving: silence now is the client's, not the upstream's. */
  receiving = true;
  /** What the tightest matching USD budget has left (`x-kestrel-budget-remaining-usd`), or null. */
  remainingUsd: string | null = null;
  /** Computed once the request is read (admission); the record stores them. */
  attributes: Attributes | null = null;
  /** What admission reserved: released when the exchange settles. */
  reservation: Reservation | null = null;
  private recorded = false;

  // The answer (src/routes/answer.ts), once the upstream answered.
  /** The upstream's status and headers; not its Response, which would outlive its use (~360 B per stream on Bun). */
  status = 0;
  responseHeaders: Headers | null = null;
  ttfbMs: number | null = null;
  /** Kestrel's own time (§13), set once the client's response is ready. */
  addedMs: number | null = null;
  streaming = false;
  meter: Meter | null = null;
  /** Takes out the usage chunk Kestrel asked for, or null. */
  strip: UsageStrip | null = null;
  /** The meter could not be set up / the usage strip failed (the client then gets the upstream's bytes unedited). */
  setupError: string | null = null;
  stripError: string | null = null;

  constructor(
    readonly deps: LiveDeps,
    private readonly signal: AbortSignal,
    readonly spec: ProviderSpec,
    readonly facts: RequestFacts,
    readonly clientPath: string,
    readonly upstreamUrl: string,
    readonly startedAt: number,
    /** Arrival (performance.now()). */
    readonly t0: number,
  ) {
    this.last = deps.watchdog.now();
    signal.addEventListener("abort", this, { once: true });
    deps.live.add(this);
    deps.watchdog.watch(this);
  }

  cut(why: Cut) {
    if (this.why !== null) return;
    this.why = why;
    this.controller.abort();
    this.body?.cut(new Error(`Cut: ${why}`));
  }

  /** The client went away (`request.signal` aborted). */
  handleEvent() {
    this.cut("client");
  }

  onIdle() {
    this.cut(this.receiving ? "body" : "idle");
  }

  onBodyProgress(done: boolean) {
    this.last = this.deps.watchdog.now();
    if (done) this.receiving = false;
  }

  /** Writes the exchange's one record, whichever end comes first; later calls do nothing. */
  record(ending: Ending) {
    if (this.recorded) return;
    this.recorded = true;
    const deps = this.deps;
    deps.watchdog.unwatch(this);
    deps.live.delete(this);
    this.signal.removeEventListener("abort", this);
    deps.finish({
      spec: this.spec,
      facts: this.facts,
      clientPath: this.clientPath,
      upstreamUrl: this.upstreamUrl,
      startedAt: this.startedAt,
      durationMs: performance.now() - this.t0,
      ttfbMs: null,
      addedMs: null,
      streaming: false,
      responseHeaders: null,
      meter: null,
      error: null,
      attributes: this.attributes,
      reservation: this.reservation,
      ...ending,
    });
  }

  /**
   * The answer's body ended (`how`): the meter's reading decides the outcome. `sent` is the status the client got
   * when it differs from the upstream's (a body that never arrived).
   */
  settle(how: BodyEnd, sent?: number, cause?: unknown) {
    const metered = this.meter ? this.meter.end(how === "complete") : null;
    const { outcome, why } = endingOf(how, this.status, this.why, this.streaming, metered, cause);
    const { setupError, stripError } = this;
    this.record({
      status: sent ?? this.status,
      outcome,
      ttfbMs: this.ttfbMs,
      streaming: this.streaming,
      responseHeaders: this.responseHeaders,
      meter: metered,
      addedMs: this.addedMs,
      // Usually all null: nothing is joined then.
      error: setupError === null && stripError === null ? why : [why, setupError, stripError].filter(Boolean).join("; "),
    });
  }

  // The client's body (src/meter/body.ts). Waiting on the client is not upstream silence: the idle clock runs
  // only while a read from the upstream is pending.
  read() {
    this.last = this.deps.watchdog.now();
  }

  chunk(chunk: Uint8Array): Uint8Array {
    this.last = Infinity;
    const meter = this.meter;
    if (meter === null) return chunk;
    meter.push(chunk);
    return this.strip ? this.strip.chunk(chunk, meter.settled()) : chunk;
  }

  flush(): Uint8Array | null {
    return this.strip?.flush() ?? null;
  }

  end(how: BodyEnd, cause?: unknown) {
    if (how === "cancelled") this.cut("client");
    this.settle(how, undefined, cause);
  }

  attach(body: BodyCut) {
    this.body = body;
  }

  /** The usage strip failed: the client gets the upstream's bytes unedited, the record says why. */
  stripFailed(message: string) {
    this.stripError ??= message;
  }
}
