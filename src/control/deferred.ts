/**
 * @module Spend control that starts once its store answers: a PostgreSQL server down at startup must not stop
 * Kestrel from serving (docs/architecture.md §17). Until then every request is allowed and nothing is enforced,
 * and what the exchanges settle is kept (bounded). The start first writes every queued record (so a budget whose
 * counters it creates is seeded with them), then replays the kept settlements into the budgets whose counters
 * already existed: the spend proxied meanwhile is counted once, either way.
 */
import type { AlertCounts, Alerter } from "./alerts/alerter.ts";
import type { ControlSetup } from "./setup.ts";
import type { Control, Settled, Verdict } from "./types.ts";

const ALLOW: Verdict = Object.freeze({ refusal: null, remainingUsd: null, reservation: null });
/** Settlements kept while deferred; past it the oldest are dropped and counted (a log line says how many). */
const MAX_KEPT = 100_000;

export interface DeferredControl {
  control: Control;
  alerter: Pick<Alerter, "notify"> & { stats(): Record<string, AlertCounts> };
  reload(): Promise<void>;
  changed: ControlSetup["changed"];
  syncConfig: ControlSetup["syncConfig"];
  stop(): Promise<void>;
  /** Resolves when the control is started (tests). */
  readonly started: Promise<void>;
}

/** Calls `start` now and, while it fails, again after `retryMs`, doubling up to `maxRetryMs`; `onError` hears each failure. */
export function deferControl(
  start: () => Promise<ControlSetup>,
  options: { retryMs: number; maxRetryMs?: number; onError(err: unknown): void; onDropped?(count: number): void },
): DeferredControl {
  let failures = 0;
  let inner: ControlSetup | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let kept: Settled[] = [];
  let dropped = 0;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const notYet = () => Promise.reject(new Error("Budgets and rate limits are not loaded yet: the store is unreachable"));

  const attempt = (): void => {
    timer = null;
    start().then(
      async (setup) => {
        if (stopped) return void (await setup.stop());
        inner = setup;
        setup.control.replay?.(kept);
        kept = [];
        if (dropped > 0) options.onDropped?.(dropped);
        markStarted();
      },
      (err) => {
        if (stopped) return;
        options.onError(err);
        const delay = options.retryMs * 2 ** Math.min(failures++, 10);
        timer = setTimeout(attempt, Math.min(delay, options.maxRetryMs ?? 30_000));
      },
    );
  };
  attempt();

  const control: Control = {
    check: (attributes, now, estimate) => (inner === null ? ALLOW : inner.control.check(attributes, now, estimate)),
    settle(settled) {
      if (inner !== null) return inner.control.settle(settled);
      settled.reservation?.release();
      if (settled.blocked) return;
      if (kept.length >= MAX_KEPT) {
        kept.shift();
        dropped++;
      }
      kept.push(settled);
    },
    blockedBy: (attributes, now) => inner?.control.blockedBy(attributes, now) ?? null,
    budgetStates: (now) => inner?.control.budgetStates(now) ?? [],
    rateLimitStates: (now) => inner?.control.rateLimitStates(now) ?? [],
    budgetState: (id, now) => inner?.control.budgetState(id, now) ?? null,
    rateLimitState: (id, now) => inner?.control.rateLimitState(id, now) ?? null,
    load: (budgets, rateLimits) => (inner === null ? notYet() : inner.control.load(budgets, rateLimits)),
    put: (definition) => (inner === null ? notYet() : inner.control.put(definition)),
    remove: (kind, id) => inner?.control.remove(kind, id),
    get active() {
      return inner?.control.active ?? false;
    },
  };
  return {
    control,
    // Before the store answers nothing can be claimed; reconciliation runs again and raises it then.
    alerter: { stats: () => inner?.alerter.stats() ?? {}, notify: (key, alert) => inner?.alerter.notify(key, alert) },
    reload: () => (inner === null ? notYet() : inner.reload()),
    changed: (kind, id) => (inner === null ? notYet() : inner.changed(kind, id)),
    // SIGHUP before the store answered: refused (one log line); the start, when it comes, loads the config it was given.
    syncConfig: (budgets, rateLimits) => (inner === null ? notYet() : inner.syncConfig(budgets, rateLimits)),
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await inner?.stop();
    },
    started,
  };
}
