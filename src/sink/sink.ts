/** @module Finished exchanges → records → the log and the store. Runs after the response, never throws. */
import { setImmediate } from "node:timers";
import { recordAttributes } from "../attributes/attributes.ts";
import type { Control } from "../control/types.ts";
import type { Exchange } from "../exchange.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { Store } from "../store/store.ts";
import { isUnpriced, type UsageRecord } from "../usage/record.ts";
import { genAiAttributes, type GenAiSource } from "../otel/attributes.ts";
import type { SpanExporter } from "../otel/exporter.ts";
import { encodeSpan } from "../otel/span.ts";
import type { Logger } from "../log.ts";
import type { KeyHints } from "../reconcile/hint.ts";
import { credentialOf } from "../attributes/attribution.ts";
import { isKestrelSecret } from "../keys/secret.ts";
import { factOf } from "./record.ts";
import { addFact, pinnedRecord } from "../usage/fact.ts";
import { usageLine } from "./usage-line.ts";

export interface SinkDeps {
  pricer: Pricer;
  log: Logger;
  store: Store;
  /** Settles spend as soon as the record exists, before the store flushes: the next check sees it. */
  control: Control | null;
  /** One span per exchange over OTLP (`--otlp-endpoint`), or null. */
  spans?: SpanExporter | null;
  /** Counters for /metrics, or null. */
  metrics?: Metrics | null;
  /** Records each new key's hint for reconciliation, or null. */
  keyHints?: KeyHints | null;
}

export function createSink({ pricer, log, store, control, spans = null, metrics = null, keyHints = null }: SinkDeps) {
  let pending = 0;
  const idle: (() => void)[] = [];
  /** Exchanges finished since the last turn of the event loop. */
  let batch: Exchange[] = [];

  async function sink(ex: Exchange): Promise<void> {
    try {
      const fact = await factOf(ex, pricer);
      // First: the next check must see this spend, and the reservation must go whatever fails below. Also with no
      // budget defined: the alerter watches every exchange (unpriced models, spend spikes).
      control?.settle({
        attributes: recordAttributes(fact),
        at: ex.startedAt,
        cost_pico: fact.cost_pico,
        total_tokens: fact.total_tokens,
        model: fact.model,
        unpriced: isUnpriced(fact),
        blocked: fact.outcome === "blocked",
        reservation: ex.reservation,
      });
      // A Kestrel key never reaches a provider, so it has no provider-side counterpart to reconcile: no hint.
      keyHints?.see(fact.provider, fact.key_id, () => {
        const credential = credentialOf(ex.facts.headers, ex.facts.query);
        return credential !== null && isKestrelSecret(credential) ? null : credential;
      });
      metrics?.observe(ex, fact);
      // The record itself is made on the store worker. What the log line or a span shows of it is made here and
      // pinned in the fact before it is handed over (the text line's request id; the JSON line's whole record), so
      // the stored record says the same, byte for byte (docs/architecture.md §11).
      let record: UsageRecord | null = null;
      const full = () => (record ??= pinnedRecord(fact));
      log.usage(() => usageLine(ex.spec, fact), full, () => genAiAttributes(genAiSource(ex, full())));
      if (spans !== null) {
        const traceparent = ex.facts.headers.get("traceparent");
        spans.add(encodeSpan({ ...genAiSource(ex, full()), traceparent, startedAt: ex.startedAt, durationMs: ex.durationMs }));
      }
      addFact(store, fact);
    } catch (err) {
      ex.reservation?.release();
      log.error(`Cannot record a ${ex.spec.id} request: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const done = () => {
    if (--pending === 0) for (const resolve of idle.splice(0)) resolve();
  };
  const drain = () => {
    const exchanges = batch;
    batch = [];
    for (const ex of exchanges) sink(ex).finally(done);
  };

  return {
    /**
     * Records an exchange once the event loop has turned: the client's response is on its way first, so the
     * record's work (pricing, ids, log line, store hand-over) never adds to its latency, and exchanges that end
     * together are recorded together. The spend is settled in that turn, before a client can have read this
     * answer and sent another request, so the next check still sees it (docs/architecture.md §11).
     */
    finish(ex: Exchange): void {
      pending++;
      batch.push(ex);
      if (batch.length === 1) setImmediate(drain);
    },
    /** Resolves when every finished exchange has reached the store queue (shutdown). */
    drained(): Promise<void> {
      return pending === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}

/** What the semconv attributes are read from (src/otel/attributes.ts). */
function genAiSource(ex: Exchange, record: UsageRecord): GenAiSource {
  return { record, requestModel: ex.spec.requestModel(ex.facts), responseModel: ex.meter?.model ?? null,
    responseId: ex.meter?.responseId ?? null, upstreamUrl: ex.upstreamUrl };
}
