/**
 * @module The alerter: turns the control plane's events into alerts. An event only builds a key and a payload and
 * queues it (it runs on a request's or the sink's stack: no I/O there, never a throw); a pump then claims the key
 * in the store's outbox, which queues one delivery per webhook in the same transaction, so an alert is raised
 * once across restarts and instances and logs one WRN line. src/control/alerts/dispatch.ts delivers from the
 * outbox: retried with a capped backoff until each webhook took it or it is older than the maximum age.
 */
import { decimalToScaled } from "../../pricing/decimal.ts";
import { usd } from "../../pricing/money.ts";
import type { Logger } from "../../log.ts";
import { fingerprint } from "../../attributes/attribution.ts";
import type { AlertOutbox, BudgetState, BudgetWindow, ControlEvents, ControlStore, Refusal, Settled } from "../types.ts";
import { hostOf } from "./deliver.ts";
import { createDispatcher, type Hook, waitAtMost } from "./dispatch.ts";
import { limitKey, windowKey } from "./keys.ts";
import { ALERT_TYPES, type AlertPayload, type AlertType, alertLine, isoSeconds, payload, type WebhookFormat } from "./payload.ts";
import { createSpikeMeter, HISTORY_HOURS, HOUR_MS } from "./spike.ts";

export interface AlertWebhook {
  url: string;
  format: WebhookFormat;
}

export interface AlerterOptions {
  store: Pick<ControlStore, "spend"> & AlertOutbox;
  fetch: typeof fetch;
  log: Pick<Logger, "warn" | "error">;
  now(): number;
  webhooks: readonly AlertWebhook[];
  /** `spend.spike` when the last hour's spend exceeds this × the trailing 7-day hourly average (default 5). */
  spikeFactor?: number;
  /** …and exceeds this many USD (exact decimal, default "1"). */
  spikeMinUsd?: string;
  /** A delivery is retried until it is this old, then given up (default 24 h). */
  maxAgeMs?: number;
  /** Wait after the first failed attempt (default 1 s), doubled after each further one… */
  retryBaseMs?: number;
  /** …up to this (default 5 min). */
  retryMaxMs?: number;
  /** One attempt's limit (default 10 s). */
  timeoutMs?: number;
  /** Attempts in flight per webhook in this process (default 4). */
  perHook?: number;
  /** How long an attempt holds its delivery against other instances (default: the attempt's limit + 20 s). */
  leaseMs?: number;
  /** How long `stop()` lets claims and attempts in flight finish before cutting them (default 2 s). */
  stopGraceMs?: number;
  /**
   * Instances sharing one outbox: how often to look for deliveries another instance queued (it may die before
   * sending them). Unset: this process's own claims and the due times it has read are all that wake delivery.
   */
  resumeEveryMs?: number;
}

export interface AlertCounts {
  /** Alerts claimed and logged (once each, across restarts and instances). */
  raised: number;
  /** Webhook deliveries accepted (2xx), one per webhook. */
  sent: number;
  /** Alerts the store could not record, and deliveries given up past the maximum age. */
  failed: number;
  /** Attempts beyond a delivery's first. */
  retried: number;
}

export interface Alerter extends ControlEvents {
  /** Loads the spike history and resumes undelivered alerts; call before serving. Never rejects. */
  start(): Promise<void>;
  /** Stops taking events, lets deliveries in flight finish for a moment, then cuts them. Never hangs. */
  stop(): Promise<void>;
  /** Counts by alert type (for /metrics). */
  stats(): Record<AlertType, AlertCounts>;
  /**
   * An alert raised outside the control plane (reconciliation): once per `key`, across restarts and instances,
   * like every other. Never throws.
   */
  notify(key: string, alert: AlertPayload): void;
}

/** Keys raised in this process, so a repeated event costs a Set lookup, not a store round trip; cleared past this. */
const MAX_SEEN = 10_000;
const DAY_MS = 24 * HOUR_MS;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createAlerter(options: AlerterOptions): Alerter {
  const { store, log, now } = options;
  const factor = options.spikeFactor ?? 5;
  if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`Spike factor "${factor}" must be a positive number`);
  const minScaled = decimalToScaled(options.spikeMinUsd ?? "1", 12);
  if (minScaled === null || minScaled < 0n) throw new RangeError(`Spike minimum "${options.spikeMinUsd}" must be a USD amount`);
  const spike = createSpikeMeter(Math.round(factor * 1000), minScaled);
  const maxAgeMs = options.maxAgeMs ?? DAY_MS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopGraceMs = options.stopGraceMs ?? 2000;

  const counts = Object.fromEntries(ALERT_TYPES.map((t) => [t, { raised: 0, sent: 0, failed: 0, retried: 0 }])) as Record<
    AlertType,
    AlertCounts
  >;
  // The outbox knows a webhook by a fingerprint of its format and URL, never the URL (its path can be a secret).
  const hooks: Promise<readonly Hook[]> = Promise.all(options.webhooks.map(async (h) => ({
    ...h,
    id: await fingerprint(`${h.format} ${h.url}`),
    host: hostOf(h.url),
  })));
  const dispatcher = createDispatcher({
    outbox: store,
    hooks,
    fetch: options.fetch,
    log,
    perHook: options.perHook ?? 4,
    leaseMs: options.leaseMs ?? timeoutMs + 20_000,
    maxAgeMs,
    retryBaseMs: options.retryBaseMs ?? 1000,
    retryMaxMs: options.retryMaxMs ?? 300_000,
    timeoutMs,
    pollMs: options.resumeEveryMs ?? null,
    count: (type, result) => counts[type][result]++,
  });
  const seen = new Set<string>();
  const queue: { key: string; payload: AlertPayload }[] = [];
  let pumping: Promise<void> | null = null;
  const stopping = new AbortController();
  /** The UTC day `unpriced` keys are built for, cached so an unpriced exchange formats no date. */
  let day = -1;
  let dayText = "";

  /** `build` runs only for a key not raised here yet: a refusal repeated per request costs a Set lookup. */
  function raise(key: string, build: () => AlertPayload): void {
    if (stopping.signal.aborted || seen.has(key)) return;
    const alert = build();
    if (seen.size >= MAX_SEEN) seen.clear();
    seen.add(key);
    queue.push({ key, payload: alert });
    pumping ??= pump();
  }

  async function pump(): Promise<void> {
    // Off the caller's stack: the store's claim may be a synchronous SQLite write underneath.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const targets = await hooks;
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { key, payload: alert } = next;
      try {
        if (await store.claimAlert(key, JSON.stringify(alert), targets, now())) {
          counts[alert.type].raised++;
          log.warn(`Alert ${alert.type}: ${alertLine(alert)}`);
        }
      } catch (err) {
        // Not in the outbox, so forgotten here too: the next event for it tries again.
        seen.delete(key);
        counts[alert.type].failed++;
        log.error(`Alert ${alert.type} not recorded, so not sent: ${message(err)}`);
        continue;
      }
      // Claimed here or before (by an earlier run or another instance): either way a delivery may be due.
      dispatcher.wake();
    }
    pumping = null;
  }

  /** The events never throw (their contract): a failure in one is logged and the caller's request goes on. */
  function dropped(name: string, err: unknown): void {
    try {
      log.error(`Alert ${name} event dropped: ${message(err)}`);
    } catch {
      // A logger that throws has nowhere left to report to.
    }
  }

  function onThreshold(state: BudgetState, fraction: number): void {
    const budget = state.budget;
    const window = windowKey(budget.window, state.window_start);
    raise(`threshold:${budget.id}:${window}:${limitKey(budget.limit_usd, budget.limit_tokens)}:${fraction}`, () =>
      payload({
        type: "budget.threshold",
        at: isoSeconds(now()),
        budget: budget.id,
        threshold: fraction,
        spent_usd: usd(state.spent_pico),
        limit_usd: budget.limit_usd,
        spent_tokens: budget.limit_tokens === null ? null : state.spent_tokens,
        limit_tokens: budget.limit_tokens,
        window_start: state.window_start,
        resets_at: state.resets_at,
      }));
  }

  function onBlocked(refusal: Refusal, windowStart: string | null, window: BudgetWindow | null): void {
    const at = now();
    const text = (name: string) => {
      const value = refusal.details[name];
      return typeof value === "string" ? value : null;
    };
    const count = (name: string) => {
      const value = refusal.details[name];
      return typeof value === "number" ? value : null;
    };
    if (refusal.code === "rate_limited") {
      // Its minute slides: the first refusal per UTC day (the start the control passes) alerts.
      const start = windowStart ?? isoSeconds(at - (at % DAY_MS));
      raise(`rate_limit:${refusal.id}:${start}`, () =>
        payload({
          type: "rate_limit.blocked",
          at: isoSeconds(at),
          rate_limit: refusal.id,
          rpm: count("rpm"),
          tpm: count("tpm"),
          window_start: start,
        }));
      return;
    }
    const period = window === null ? windowStart ?? "total" : windowKey(window, windowStart);
    raise(`blocked:${refusal.id}:${period}:${limitKey(text("limit_usd"), count("limit_tokens"))}`, () =>
      payload({
        type: "budget.blocked",
        at: isoSeconds(at),
        budget: refusal.id,
        spent_usd: text("spent_usd"),
        limit_usd: text("limit_usd"),
        spent_tokens: count("spent_tokens"),
        limit_tokens: count("limit_tokens"),
        window_start: windowStart,
        resets_at: text("resets_at"),
        model: text("model"),
        provider: text("provider"),
      }));
  }

  /** Runs for every finished exchange: one addition and a few comparisons unless an alert is due. */
  function onSettled(s: Settled): void {
    if (s.blocked) return;
    if (s.cost_pico !== null && s.cost_pico > 0) {
      const hour = spike.add(s.at, BigInt(s.cost_pico));
      if (hour >= 0) {
        const hourText = isoSeconds(hour);
        raise(`spike:${hourText}`, () =>
          payload({
            type: "spend.spike",
            at: isoSeconds(now()),
            spent_usd: usd(spike.current),
            limit_usd: usd(spike.trigger),
            window_start: hourText,
          }));
      }
    }
    if (s.unpriced) {
      const model = s.model ?? s.attributes.requested_model;
      if (model === null) return;
      const at = now();
      if (at - day >= DAY_MS || at < day) {
        day = at - (at % DAY_MS);
        dayText = isoSeconds(day).slice(0, 10);
      }
      const provider = s.attributes.provider;
      raise(`unpriced:${provider}:${model}:${dayText}`, () => payload({ type: "model.unpriced", at: isoSeconds(at), model, provider }));
    }
  }

  async function start(): Promise<void> {
    const at = now();
    const hour = at - (at % HOUR_MS);
    try {
      spike.seed(await store.spend({}, hour - HISTORY_HOURS * HOUR_MS, HOUR_MS), at);
    } catch (err) {
      spike.seed([], at);
      log.error(`Spend history for spike alerts not loaded: ${message(err)}`);
    }
    try {
      await store.requeueAlerts(await hooks, maxAgeMs);
    } catch (err) {
      log.error(`Undelivered alerts not queued for new webhooks: ${message(err)}`);
    }
    dispatcher.wake();
  }

  async function stop(): Promise<void> {
    stopping.abort();
    await waitAtMost([pumping], stopGraceMs);
    await dispatcher.stop(stopGraceMs);
  }

  return {
    threshold(state, fraction) {
      try {
        onThreshold(state, fraction);
      } catch (err) {
        dropped("threshold", err);
      }
    },
    blocked(refusal, windowStart, window) {
      try {
        onBlocked(refusal, windowStart, window);
      } catch (err) {
        dropped("blocked", err);
      }
    },
    settled(s) {
      try {
        onSettled(s);
      } catch (err) {
        dropped("settled", err);
      }
    },
    notify(key, alert) {
      try {
        raise(key, () => alert);
      } catch (err) {
        dropped("notify", err);
      }
    },
    start,
    stop,
    stats: () => Object.fromEntries(ALERT_TYPES.map((t) => [t, { ...counts[t] }])) as Record<AlertType, AlertCounts>,
  };
}
