/**
 * @module Spend control that starts once its store answers: a PostgreSQL server down at startup must not stop
 * Kestrel from serving (docs/architecture.md §17). Until then every request is allowed and nothing is enforced;
 * once started, the ledger is rebuilt from the records in the store, so what was proxied meanwhile counts.
 */
import type { AlertCounts, Alerter } from "./alerts/alerter.ts";
import type { ControlSetup } from "./setup.ts";
import type { Control, Verdict } from "./types.ts";

const ALLOW: Verdict = { refusal: null, remainingUsd: null };

export interface DeferredControl {
  control: Control;
  alerter: Pick<Alerter, "notify"> & { stats(): Record<string, AlertCounts> };
  reload(): Promise<void>;
  syncConfig: ControlSetup["syncConfig"];
  stop(): Promise<void>;
  /** Resolves when the control is started (tests). */
  readonly started: Promise<void>;
}

/** Calls `start` now and, while it fails, again after `retryMs`, doubling up to `maxRetryMs`; `onError` hears each failure. */
export function deferControl(
  start: () => Promise<ControlSetup>,
  options: { retryMs: number; maxRetryMs?: number; onError(err: unknown): void },
): DeferredControl {
  let failures = 0;
  let inner: ControlSetup | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const notYet = () => Promise.reject(new Error("Budgets and rate limits are not loaded yet: the store is unreachable"));

  const attempt = (): void => {
    timer = null;
    start().then(
      async (setup) => {
        if (stopped) return void (await setup.stop());
        inner = setup;
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
    check: (attributes, now) => (inner === null ? ALLOW : inner.control.check(attributes, now)),
    settle: (settled) => inner?.control.settle(settled),
    budgetStates: (now) => inner?.control.budgetStates(now) ?? [],
    rateLimitStates: (now) => inner?.control.rateLimitStates(now) ?? [],
    load: (budgets, rateLimits) => (inner === null ? notYet() : inner.control.load(budgets, rateLimits)),
    get active() {
      return inner?.control.active ?? false;
    },
  };
  return {
    control,
    // Before the store answers nothing can be claimed; reconciliation runs again and raises it then.
    alerter: { stats: () => inner?.alerter.stats() ?? {}, notify: (key, alert) => inner?.alerter.notify(key, alert) },
    reload: () => (inner === null ? notYet() : inner.reload()),
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
