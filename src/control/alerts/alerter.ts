/**
 * @module The alerter: turns the control plane's events into webhooks. An event only builds a payload and queues
 * it (it runs on a request's or the sink's stack: no I/O there, never a throw); a pump then claims the alert's key
 * in the store's outbox, so an alert goes out once across restarts and instances, logs one WRN line, and posts it
 * to every webhook with retries. The outbox marks an alert delivered once any webhook took it; an alert no webhook
 * took (all gave up, or a stop came first) is retried from the outbox at the next start.
 */
import type { Logger } from "../../sink/log.ts";
import { decimalToScaled, toSafeNumber } from "../../pricing/decimal.ts";
import { usd } from "../../pricing/money.ts";
import type { BudgetState, BudgetWindow, ControlEvents, ControlStore, Refusal, Settled } from "../types.ts";
import { postWithRetries } from "./deliver.ts";
import {
  ALERT_TYPES,
  type AlertPayload,
  type AlertType,
  alertLine,
  isoSeconds,
  parsePayload,
  payload,
  type WebhookFormat,
  webhookBody,
} from "./payload.ts";
import { createSpikeMeter, HISTORY_HOURS, HOUR_MS } from "./spike.ts";

export interface AlertWebhook {
  url: string;
  format: WebhookFormat;
}

export interface AlerterOptions {
  store: Pick<ControlStore, "spend" | "claimAlert" | "markAlertDelivered" | "undeliveredAlerts" | "releaseAlerts">;
  fetch: typeof fetch;
  log: Pick<Logger, "warn" | "error">;
  now(): number;
  webhooks: readonly AlertWebhook[];
  /** `spend.spike` when the last hour's spend exceeds this × the trailing 7-day hourly average (default 5). */
  spikeFactor?: number;
  /** …and exceeds this many USD (exact decimal, default "1"). */
  spikeMinUsd?: string;
  /** Attempts per webhook (default 5). */
  attempts?: number;
  /** Backoff before the 2nd attempt, doubled each time (default 1000 ms: 1, 2, 4, 8 s). */
  retryBaseMs?: number;
  /** One attempt's limit (default 10 s). */
  timeoutMs?: number;
  /** How long `stop()` lets deliveries in flight finish before cutting them (default 2 s). */
  stopGraceMs?: number;
  /**
   * Instances sharing one outbox: how often to look for undelivered alerts whose delivering instance let its
   * lease run out (it died), and send them. Unset: only at start (one instance, nobody to take over from).
   */
  resumeEveryMs?: number;
}

export interface AlertCounts {
  /** Alerts claimed and logged (once each, across restarts). */
  raised: number;
  /** Webhook deliveries accepted (2xx), one per webhook. */
  sent: number;
  /** Webhook deliveries given up after every attempt. */
  failed: number;
  /** Attempts beyond the first. */
  retried: number;
}

export interface Alerter extends ControlEvents {
  /** Loads the spike history and resumes undelivered alerts; call before serving. Never rejects. */
  start(): Promise<void>;
  /** Stops taking events, lets deliveries in flight finish for a moment, then cuts them. Never hangs. */
  stop(): Promise<void>;
  /** Counts by alert type (for /metrics). */
  stats(): Record<AlertType, AlertCounts>;
}

/** Keys raised in this process, so a repeated event costs a Set lookup, not a store round trip; cleared past this. */
const MAX_SEEN = 10_000;
const ROLLING = /^(\d+)([mhd])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS };
const DAY_MS = 24 * HOUR_MS;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** Where a webhook goes, without its path: a Slack webhook URL's path is its secret. */
const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
};

/** A fetch error's text without the webhook's URL (Deno's quotes it whole), its path being a secret. */
function scrub(reason: string, url: string): string {
  let path = "";
  try {
    path = new URL(url).pathname;
  } catch {
    // An unparsable URL is replaced whole below.
  }
  let text = reason.split(url).join(hostOf(url));
  if (path.length > 1) text = text.split(path).join("/…");
  return text;
}

/**
 * The window part of a threshold key. A rolling window's start moves with the clock, so the key uses the start
 * rounded down to a multiple of the window's length: a crossing is then sent at most once per such period, across
 * restarts too.
 */
function windowKey(window: BudgetWindow, windowStart: string | null): string {
  if (windowStart === null) return "total";
  const m = ROLLING.exec(window);
  const start = Date.parse(windowStart);
  if (m === null || Number.isNaN(start)) return windowStart;
  const length = Number(m[1]) * UNIT_MS[m[2]!]!;
  return length > 0 ? isoSeconds(start - (start % length)) : windowStart;
}

export function createAlerter(options: AlerterOptions): Alerter {
  const { store, log, now, webhooks } = options;
  const factor = options.spikeFactor ?? 5;
  if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`Spike factor "${factor}" must be a positive number`);
  const minScaled = decimalToScaled(options.spikeMinUsd ?? "1", 12);
  if (minScaled === null || minScaled < 0n) throw new RangeError(`Spike minimum "${options.spikeMinUsd}" must be a USD amount`);
  const spike = createSpikeMeter(Math.round(factor * 1000), toSafeNumber(minScaled));
  const attempts = options.attempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopGraceMs = options.stopGraceMs ?? 2000;

  const counts = Object.fromEntries(ALERT_TYPES.map((t) => [t, { raised: 0, sent: 0, failed: 0, retried: 0 }])) as Record<
    AlertType,
    AlertCounts
  >;
  const seen = new Set<string>();
  /** Per budget or limit: the window start and time of the last `budget.blocked` raised here. */
  const lastBlocked = new Map<string, { windowStart: string | null; at: number }>();
  const queue: { key: string; payload: AlertPayload }[] = [];
  let pumping: Promise<void> | null = null;
  const deliveries = new Set<Promise<void>>();
  const stopping = new AbortController();
  const cut = new AbortController();
  /** The UTC day `unpriced` keys are built for, cached so an unpriced exchange formats no date. */
  let day = -1;
  let dayText = "";

  function raise(key: string, alert: AlertPayload): void {
    if (stopping.signal.aborted || seen.has(key)) return;
    if (seen.size >= MAX_SEEN) seen.clear();
    seen.add(key);
    queue.push({ key, payload: alert });
    pumping ??= pump();
  }

  async function pump(): Promise<void> {
    // Off the caller's stack: the store's claim may be a synchronous SQLite write underneath.
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { key, payload: alert } = next;
      try {
        if (!(await store.claimAlert(key, JSON.stringify(alert), now()))) continue;
        counts[alert.type].raised++;
        log.warn(`Alert ${alert.type}: ${alertLine(alert)}`);
      } catch (err) {
        counts[alert.type].failed++;
        log.error(`Alert ${alert.type} not recorded, so not sent: ${message(err)}`);
        continue;
      }
      deliver(key, alert);
    }
    pumping = null;
  }

  function deliver(key: string, alert: AlertPayload): void {
    // Left undelivered in the outbox: the next start sends it.
    if (stopping.signal.aborted) return;
    const task = (async () => {
      let taken = webhooks.length === 0;
      const results = await Promise.all(webhooks.map((hook) =>
        postWithRetries(hook.url, webhookBody(alert, hook.format), {
          fetch: options.fetch,
          attempts,
          baseDelayMs: retryBaseMs,
          timeoutMs,
          stop: stopping.signal,
          cut: cut.signal,
          onRetry: () => counts[alert.type].retried++,
        })
      ));
      results.forEach((result, i) => {
        if (result.ok) {
          counts[alert.type].sent++;
          taken = true;
        } else if (!result.stopped) {
          counts[alert.type].failed++;
          const url = webhooks[i]!.url;
          log.error(`Alert ${alert.type} to ${hostOf(url)} failed after ${attempts} attempts: ${scrub(result.reason, url)}`);
        }
      });
      if (taken) await store.markAlertDelivered(key, now());
    })().catch((err) => log.error(`Alert ${alert.type} delivery not recorded: ${message(err)}`));
    deliveries.add(task);
    task.finally(() => deliveries.delete(task));
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
    raise(
      `threshold:${budget.id}:${windowKey(budget.window, state.window_start)}:${fraction}`,
      payload({
        type: "budget.threshold",
        at: isoSeconds(now()),
        budget: budget.id,
        threshold: fraction,
        spent_usd: usd(state.spent_pico),
        limit_usd: budget.limit_usd,
        window_start: state.window_start,
        resets_at: state.resets_at,
      }),
    );
  }

  function onBlocked(refusal: Refusal, windowStart: string | null): void {
    const at = now();
    // A sliding rate-limit window without a start: its window is the minute.
    const start = windowStart ?? (refusal.code === "rate_limited" ? isoSeconds(at - (at % 60_000)) : null);
    // Every refusal in a window reports here; only one whose window began after the last alert is a new one.
    const last = lastBlocked.get(refusal.id);
    if (last !== undefined && (start === last.windowStart || !(Date.parse(start ?? "") > last.at))) return;
    lastBlocked.set(refusal.id, { windowStart: start, at });
    const detail = (name: string) => {
      const value = refusal.details[name];
      return typeof value === "string" ? value : null;
    };
    raise(
      `blocked:${refusal.id}:${start ?? "total"}`,
      payload({
        type: "budget.blocked",
        at: isoSeconds(at),
        budget: refusal.id,
        spent_usd: detail("spent_usd"),
        limit_usd: detail("limit_usd"),
        window_start: start,
        resets_at: detail("resets_at"),
        model: detail("model"),
        provider: detail("provider"),
      }),
    );
  }

  /** Runs for every finished exchange: one addition and a few comparisons unless an alert is due. */
  function onSettled(s: Settled): void {
    if (s.blocked) return;
    if (s.cost_pico !== null && s.cost_pico > 0) {
      const hour = spike.add(s.at, s.cost_pico);
      if (hour >= 0) {
        const hourText = isoSeconds(hour);
        raise(
          `spike:${hourText}`,
          payload({
            type: "spend.spike",
            at: isoSeconds(now()),
            spent_usd: usd(spike.current),
            limit_usd: usd(spike.trigger),
            window_start: hourText,
          }),
        );
      }
    }
    if (!s.priced && s.total_tokens !== null) {
      const model = s.model ?? s.attributes.model;
      if (model === null) return;
      const at = now();
      if (at - day >= DAY_MS || at < day) {
        day = at - (at % DAY_MS);
        dayText = isoSeconds(day).slice(0, 10);
      }
      const provider = s.attributes.provider;
      raise(
        `unpriced:${provider}:${model}:${dayText}`,
        payload({ type: "model.unpriced", at: isoSeconds(at), model, provider }),
      );
    }
  }

  let resumeTimer: ReturnType<typeof setInterval> | undefined;
  let resuming = false;

  async function resume(): Promise<void> {
    if (resuming || stopping.signal.aborted) return;
    resuming = true;
    try {
      for (const row of await store.undeliveredAlerts()) {
        // Raised by this process since it began: already on its way.
        if (seen.has(row.key)) continue;
        const alert = parsePayload(row.payload);
        if (alert === null) {
          log.error(`Undelivered alert "${row.key}" has an unreadable payload; skipped`);
          continue;
        }
        seen.add(row.key);
        deliver(row.key, alert);
      }
    } catch (err) {
      log.error(`Undelivered alerts not resumed: ${message(err)}`);
    } finally {
      resuming = false;
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
    await resume();
    if (options.resumeEveryMs !== undefined && resumeTimer === undefined && !stopping.signal.aborted) {
      resumeTimer = setInterval(resume, options.resumeEveryMs);
    }
  }

  async function stop(): Promise<void> {
    stopping.abort();
    clearInterval(resumeTimer);
    const settle = (ms: number) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const all = Promise.all([pumping, ...deliveries]).then(() => {});
      return Promise.race([all, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))])
        .finally(() => clearTimeout(timer));
    };
    await settle(stopGraceMs);
    cut.abort();
    // A fetch that ignores its signal cannot hold the stop: one more short wait, then return regardless.
    await settle(1000);
    try {
      await store.releaseAlerts?.();
    } catch (err) {
      log.error(`Undelivered alerts not handed over: ${message(err)}`);
    }
  }

  return {
    threshold(state, fraction) {
      try {
        onThreshold(state, fraction);
      } catch (err) {
        dropped("threshold", err);
      }
    },
    blocked(refusal, windowStart) {
      try {
        onBlocked(refusal, windowStart);
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
    start,
    stop,
    stats: () => Object.fromEntries(ALERT_TYPES.map((t) => [t, { ...counts[t] }])) as Record<AlertType, AlertCounts>,
  };
}
