/**
 * @module Spend control for a serving process: config-file definitions synced into the store, the ledger rebuilt
 * from it, the alerter started, and definitions reloaded when another process (the CLI) changes them. On a store
 * with shared counters (PostgreSQL) spend is also synced with the other instances four times a second. A write
 * through this process's API is applied alone (src/control/control.ts `put`), not as a reload of every definition.
 */
import type { AlertsConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { StoreControl } from "../store/definitions.ts";
import { type Alerter, createAlerter } from "./alerts/alerter.ts";
import { createControl } from "./control.ts";
import type { Budget, Control, RateLimit, SharedCounters } from "./types.ts";

export interface ControlSetup {
  control: Control;
  alerter: Alerter;
  /** Reads every definition from the store and loads it. */
  reload(): Promise<void>;
  /**
   * After this process wrote one definition to the store (the API): applies it alone. A write by another process
   * in between (the version moved by more than this write) makes it a full reload instead.
   */
  changed(kind: "budget" | "rate_limit", id: string): Promise<void>;
  /** SIGHUP: the config file's definitions replace the ones it gave before, then everything is reloaded. */
  syncConfig(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<void>;
  stop(): Promise<void>;
}

/** How often the store's definitions version is compared: a CLI change is live within this (plus a load). */
const POLL_MS = 1000;
/**
 * How often spend is pushed to and read from shared counters. The overshoot across instances is bounded by the
 * spend admitted in two such intervals (docs/architecture.md §12); a sync is one small transaction, so keep it short.
 */
const SYNC_MS = 250;
/** How often an instance looks for alerts a dead instance leased and did not deliver. */
const RESUME_MS = 30_000;

/** The PostgreSQL control store has them; its static type (StoreControl) does not say, as the store wraps it. */
function sharedCounters(store: object): SharedCounters | null {
  return "exchange" in store && typeof store.exchange === "function" ? store as unknown as SharedCounters : null;
}

export async function startControl(options: {
  store: StoreControl;
  budgets: readonly Budget[];
  rateLimits: readonly RateLimit[];
  alerts: AlertsConfig;
  log: Logger;
  fetch: typeof fetch;
  now(): number;
  /** Overrides SYNC_MS (tests). */
  syncEveryMs?: number;
  /**
   * Runs before the definitions are loaded (serve: writes the records still queued, so a budget whose shared
   * counters this start creates is seeded with them; src/control/deferred.ts).
   */
  beforeLoad?: () => Promise<void>;
}): Promise<ControlSetup> {
  const { store, log, now } = options;
  const shared = sharedCounters(store);
  const alerter = createAlerter({
    ...(shared !== null ? { resumeEveryMs: RESUME_MS } : {}),
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
    now,
    shared,
  });
  await store.syncConfig(options.budgets, options.rateLimits);
  await options.beforeLoad?.();
  let version = await store.definitionsVersion();
  const reload = async () => {
    const seen = await store.definitionsVersion();
    await control.load(await store.listBudgets(), await store.listRateLimits());
    // Only once loaded: a load that failed (the database away for a moment) is retried at the next poll.
    version = seen;
  };
  const changed = async (kind: "budget" | "rate_limit", id: string) => {
    const seen = await store.definitionsVersion();
    if (seen === version) return; // the write changed nothing
    if (seen !== version + 1) return reload();
    const definition = kind === "budget" ? await store.getBudget(id) : await store.getRateLimit(id);
    if (definition === null) control.remove(kind, id);
    else await control.put(kind === "budget" ? { budget: definition as Budget } : { rateLimit: definition as RateLimit });
    version = seen;
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

  // Shared spend: a failed sync keeps this instance's sums for the next one; logged when it starts and ends.
  let failing = false;
  let syncing = false;
  const sync = async () => {
    if (syncing) return;
    syncing = true;
    try {
      await control.sync?.();
      if (failing) log.info("Spend sync with the other instances works again");
      failing = false;
    } catch (err) {
      if (!failing) {
        log.error(`Cannot sync spend with the other instances (retried at every sync, four times a second): ${err instanceof Error ? err.message : String(err)}`);
      }
      failing = true;
    } finally {
      syncing = false;
    }
  };
  const syncTimer = shared !== null ? setInterval(sync, options.syncEveryMs ?? SYNC_MS) : undefined;
  return {
    control,
    alerter,
    reload,
    changed,
    async syncConfig(budgets, rateLimits) {
      await store.syncConfig(budgets, rateLimits);
      await reload();
    },
    async stop() {
      clearInterval(timer);
      clearInterval(syncTimer);
      // What this instance settled since the last sync still counts for the others.
      if (shared !== null) await control.sync?.().catch(() => {});
      await alerter.stop();
    },
  };
}
