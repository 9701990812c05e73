/**
 * @module Spend control for a serving process: config-file definitions synced into the store, the ledger rebuilt
 * from it, the alerter started, and definitions reloaded when another process (the CLI) changes them.
 */
import type { AlertsConfig } from "../config.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { Logger } from "../sink/log.ts";
import type { StoreControl } from "../store/control-store.ts";
import { type Alerter, createAlerter } from "./alerts/alerter.ts";
import { createControl } from "./control.ts";
import type { Budget, Control, RateLimit } from "./types.ts";

export interface ControlSetup {
  control: Control;
  alerter: Alerter;
  /** Reads every definition from the store and loads it (API writes call this at once). */
  reload(): Promise<void>;
  /** SIGHUP: the config file's definitions replace the ones it gave before, then everything is reloaded. */
  syncConfig(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void>;
  stop(): Promise<void>;
}

/** How often the store's definitions version is compared: a CLI change is live within this (plus a load). */
const POLL_MS = 1000;

export async function startControl(options: {
  store: StoreControl;
  budgets: readonly Budget[];
  rateLimits: readonly RateLimit[];
  alerts: AlertsConfig;
  pricer: Pricer;
  log: Logger;
  fetch: typeof fetch;
  now(): number;
}): Promise<ControlSetup> {
  const { store, log, now } = options;
  const alerter = createAlerter({
    store,
    fetch: options.fetch,
    log,
    now,
    webhooks: options.alerts.webhooks,
    spikeFactor: options.alerts.spikeFactor,
    spikeMinUsd: options.alerts.spikeMinUsd,
  });
  const control = createControl({
    store,
    events: alerter,
    // A request that names no model (listing models, files) has nothing to price: `unpriced: "block"` lets it by.
    isPriced: (provider, model) => model === null || options.pricer.isPriced(provider, model),
    now,
  });
  await store.syncConfig(options.budgets, options.rateLimits);
  let version = await store.definitionsVersion();
  const reload = async () => {
    version = await store.definitionsVersion();
    await control.load(await store.listBudgets(), await store.listRateLimits());
  };
  await reload();
  await alerter.start();

  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      if ((await store.definitionsVersion()) !== version) await reload();
    } catch (err) {
      log.error(`Cannot reload budgets and rate limits: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      polling = false;
    }
  }, POLL_MS);
  return {
    control,
    alerter,
    reload,
    async syncConfig(budgets, rateLimits) {
      await store.syncConfig(budgets, rateLimits);
      await reload();
    },
    async stop() {
      clearInterval(timer);
      await alerter.stop();
    },
  };
}
