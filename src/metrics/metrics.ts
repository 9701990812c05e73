/**
 * @module Kestrel's metrics (docs/architecture.md §13): per finished exchange the sink calls `observe` (a few Map
 * lookups and number adds, no strings built); everything else — in-flight requests, the store queue, alerts,
 * budgets — is read from its owner when Prometheus scrapes.
 */
import type { AlertCounts } from "../control/alerts/alerter.ts";
import type { Control } from "../control/types.ts";
import { decimalToScaled } from "../pricing/decimal.ts";
import type { Exchange } from "../exchange.ts";
import type { StoreStats } from "../store/store.ts";
import { isUnpriced, type Outcome, type UsageRecord } from "../usage/record.ts";
import { Family, Histogram, PicoSum, Registry, Value } from "./registry.ts";
import { OUTCOMES } from "../usage/record.ts";
import { UNIT_FIELDS, type UsageField } from "../usage/types.ts";

/** What a scrape reads from the rest of the process. */
export interface ScrapeSources {
  inFlight(): number;
  store: { stats(): StoreStats };
  control: Pick<Control, "budgetStates"> | null;
  alerts: { stats(): Record<string, AlertCounts> } | null;
  /** The OTLP span exporter (`--otlp-endpoint`), or null: then its counters are absent. */
  spans: { stats(): { exported: number; dropped: number } } | null;
  now(): number;
}

export interface BuildInfo {
  version: string;
  commit: string;
  runtime: string;
  priceVersion: string;
}

/** What a finished exchange is counted by: its fact's (src/usage/fact.ts) or record's fields of these names. */
export type Observed = Pick<UsageRecord, "provider" | "model" | "usage_source" | "outcome" | "priced" | "cost_pico" | UsageField>;

export interface Metrics {
  /** One finished exchange (the sink, once its fact is made). */
  observe(ex: Exchange, record: Observed): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  render(sources: ScrapeSources): string;
}

/** Distinct `model` label values kept; later ones are counted as `other` (a client can name any model). */
export const MAX_MODELS = 200;
/**
 * Of those, how many may go to models the upstream never confirmed (priced, but refused, blocked or failed): a
 * client naming every priced model still leaves the other half to models that upstreams actually serve.
 */
const MAX_UNCONFIRMED_SHARE = 0.5;
/** A longer model name is counted as `other`: no label value is a client-sized string. */
export const MAX_MODEL_LENGTH = 128;
/** The label of requests whose model is not known (no body, no model in the answer). */
export const NO_MODEL = "unknown";
export const OTHER_MODEL = "other";

const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;

/** Token kinds, in the order observe() adds the record's `*_tokens` fields. */
const TOKEN_KINDS = ["input", "output", "cache_read", "cache_write", "reasoning", "audio_input", "audio_output"] as const;

/** LLM exchanges run from milliseconds (errors, embeddings) to minutes (long streams). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Kestrel's own share is tens of microseconds when all is well; the upper buckets catch a stalled event loop. */
const ADDED_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/** The children of one (provider, model), created on first use and then only added to. */
interface ModelSeries {
  requests: (Value | null)[];
  tokens: (Value | null)[];
  /** By UNIT_FIELDS index. */
  units: (Value | null)[];
  cost: PicoSum | null;
  unpriced: Value | null;
  readonly provider: string;
  readonly model: string;
}

interface ProviderSeries {
  duration: Histogram;
  ttfb: Histogram;
  models: Map<string, ModelSeries>;
  other: ModelSeries | null;
}

export interface MetricsOptions {
  /** Whether the price table (with overrides) prices this model: such a name may get its own label. */
  isPriced?(provider: string, model: string): boolean;
  /** Distinct `model` labels (default MAX_MODELS). */
  maxModels?: number;
}

export function createMetrics(info: BuildInfo, options: MetricsOptions = {}): Metrics {
  const maxModels = options.maxModels ?? MAX_MODELS;
  const maxUnconfirmed = Math.floor(maxModels * MAX_UNCONFIRMED_SHARE);
  const isPriced = options.isPriced ?? (() => false);
  const r = new Registry();
  const requests = r.counter("kestrel_requests_total", "Finished proxied requests, by how they ended.", ["provider", "model", "outcome"]);
  const tokens = r.counter("kestrel_tokens_total", "Tokens as billed (input includes cache reads and writes; output includes reasoning).", ["provider", "model", "kind"]);
  const units = r.counter("kestrel_units_total", "Units billed that are not tokens: characters, audio_ms (milliseconds of audio), images, search_queries, request_fees, compute_ms (milliseconds of compute).", ["provider", "model", "unit"]);
  const cost = r.pico("kestrel_cost_usd_total", "Cost in USD, summed exactly from the records' integer pico-USD.", "counter", ["provider", "model"]);
  const unpriced = r.counter("kestrel_unpriced_requests_total", "Requests with usage but no price for their model (cost unknown).", ["model"]);
  const duration = r.histogram("kestrel_request_duration_seconds", "From request arrival to the end of the response body.", DURATION_BUCKETS, ["provider"]);
  const ttfb = r.histogram("kestrel_upstream_ttfb_seconds", "From request arrival until the upstream's response headers arrived.", DURATION_BUCKETS, ["provider"]);
  const added = r.histogram(
    "kestrel_added_latency_seconds",
    "Time Kestrel itself spent before the upstream request left and between the upstream answer and the client response.",
    ADDED_BUCKETS,
  ).labels();
  const inflight = r.gauge("kestrel_inflight_requests", "Proxied requests running now.").labels();
  const queueDepth = r.gauge("kestrel_store_queue_depth", "Records waiting to be written to the database.").labels();
  const dropped = r.counter("kestrel_records_dropped_total", "Records the store could not keep (queue or store worker ring full, write given up).").labels();
  const alerts = r.counter("kestrel_alerts_total", "Alerts raised, and webhook deliveries sent, failed and retried.", ["type", "result"]);
  const spansExported = r.counter("kestrel_otlp_spans_exported_total", "Spans accepted by the OTLP collector.");
  const spansDropped = r.counter("kestrel_otlp_spans_dropped_total", "Spans dropped: export queue full, or a failed or rejected export.");
  const spent = r.pico("kestrel_budget_spent_usd", "Spend in each budget's current window.", "gauge", ["budget"]);
  const limit = r.pico("kestrel_budget_limit_usd", "Each budget's USD limit (budgets that limit only tokens are absent).", "gauge", ["budget"]);
  r.gauge("kestrel_build_info", "Always 1; the labels say what is running.", ["version", "commit", "runtime", "price_version"])
    .labels(info.version, info.commit, info.runtime, info.priceVersion)
    .set(1);

  const providers = new Map<string, ProviderSeries>();
  const modelNames = new Set<string>();
  /** Names in modelNames that got their label by being priced, without an upstream confirming them. */
  let unconfirmed = 0;

  const newModel = (provider: string, model: string): ModelSeries => ({
    // Filled up front: V8 reads a packed array faster than one whose holes are filled in later.
    requests: OUTCOMES.map(() => null),
    tokens: TOKEN_KINDS.map(() => null),
    units: UNIT_FIELDS.map(() => null),
    cost: null,
    unpriced: null,
    provider,
    model,
  });

  /**
   * Whether a name not yet a label becomes one. The client names the model, so first come is not enough: a name
   * qualifies when an upstream confirmed it (it reported usage or named the model in its answer) or the price
   * table knows it; anything else (a made-up name the upstream refused) counts as `other`.
   */
  function admit(provider: string, name: string, confirmed: boolean): boolean {
    if (modelNames.size >= maxModels || name.length > MAX_MODEL_LENGTH) return false;
    if (confirmed || name === NO_MODEL) return true;
    if (unconfirmed >= maxUnconfirmed || !isPriced(provider, name)) return false;
    unconfirmed++;
    return true;
  }

  /** First sight of a model for this provider: its own series when the name is or becomes a label, else `other`. */
  function modelSeries(p: ProviderSeries, provider: string, name: string, confirmed: boolean): ModelSeries {
    if (modelNames.has(name) || admit(provider, name, confirmed)) {
      modelNames.add(name);
      const series = newModel(provider, name);
      p.models.set(name, series);
      return series;
    }
    // Not remembered under its own name: a flood of made-up models must not grow any map.
    return (p.other ??= newModel(provider, OTHER_MODEL));
  }

  function providerSeries(provider: string): ProviderSeries {
    const p: ProviderSeries = {
      duration: duration.labels(provider),
      ttfb: ttfb.labels(provider),
      models: new Map(),
      other: null,
    };
    providers.set(provider, p);
    return p;
  }

  function addTokens(m: ModelSeries, kind: number, n: number): void {
    (m.tokens[kind] ??= tokens.labels(m.provider, m.model, TOKEN_KINDS[kind]!)).value += n;
  }

  return {
    observe(ex, record) {
      const provider = record.provider;
      const p = providers.get(provider) ?? providerSeries(provider);
      const name = record.model ?? NO_MODEL;
      const m = p.models.get(name) ??
        modelSeries(p, provider, name, record.usage_source !== "none" || ex.meter?.model === name);
      const o = OUTCOME_INDEX[record.outcome];
      (m.requests[o] ??= requests.labels(provider, m.model, record.outcome)).value++;
      if (record.usage_source !== "none") {
        // Unrolled: a keyed read over seven field names is several times slower on V8 (Deno).
        if (record.input_tokens) addTokens(m, 0, record.input_tokens);
        if (record.output_tokens) addTokens(m, 1, record.output_tokens);
        if (record.cache_read_tokens) addTokens(m, 2, record.cache_read_tokens);
        if (record.cache_write_tokens) addTokens(m, 3, record.cache_write_tokens);
        if (record.reasoning_tokens) addTokens(m, 4, record.reasoning_tokens);
        if (record.audio_input_tokens) addTokens(m, 5, record.audio_input_tokens);
        if (record.audio_output_tokens) addTokens(m, 6, record.audio_output_tokens);
        for (let i = 0; i < UNIT_FIELDS.length; i++) {
          const n = record[UNIT_FIELDS[i]!];
          if (n) (m.units[i] ??= units.labels(m.provider, m.model, UNIT_FIELDS[i]!)).value += n;
        }
      }
      if (isUnpriced(record)) (m.unpriced ??= unpriced.labels(m.model)).value++;
      if (record.cost_pico !== null && record.cost_pico > 0) (m.cost ??= cost.labels(provider, m.model)).add(record.cost_pico);
      p.duration.observe(ex.durationMs / 1000);
      if (ex.ttfbMs !== null) p.ttfb.observe(ex.ttfbMs / 1000);
      if (ex.addedMs !== null) added.observe(ex.addedMs / 1000);
    },

    render(sources) {
      inflight.set(sources.inFlight());
      const stats = sources.store.stats();
      queueDepth.set(stats.queued);
      dropped.set(stats.dropped);
      if (sources.alerts !== null) {
        for (const [type, counts] of Object.entries(sources.alerts.stats())) {
          for (const result of ALERT_RESULTS) alerts.labels(type, result).set(counts[result]);
        }
      }
      if (sources.spans !== null) {
        const spans = sources.spans.stats();
        spansExported.labels().set(spans.exported);
        spansDropped.labels().set(spans.dropped);
      }
      setBudgets(spent, limit, sources);
      return r.render();
    },
  };
}

const ALERT_RESULTS = ["raised", "sent", "failed", "retried"] as const;

/** Budgets can be deleted between scrapes: both families are refilled from the current definitions. */
function setBudgets(spent: Family<PicoSum>, limit: Family<PicoSum>, sources: ScrapeSources): void {
  spent.clear();
  limit.clear();
  if (sources.control === null) return;
  for (const state of sources.control.budgetStates(sources.now())) {
    spent.labels(state.budget.id).set(state.spent_pico);
    const pico = state.budget.limit_usd === null ? null : decimalToScaled(state.budget.limit_usd, 12);
    if (pico !== null) limit.labels(state.budget.id).set(pico);
  }
}
