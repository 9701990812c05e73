/** @module `serve --reconcile-interval`: the scheduled reconciliation with serve's store, pricer, log and alerter. */
import type { Alerter } from "../control/alerts/alerter.ts";
import type { Config } from "../config.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { Logger } from "../log.ts";
import { parseTolerance } from "./report.ts";
import { ADMIN, adminClients, type ReconcileStoreView } from "./run.ts";
import { type Reconciler, startReconciler } from "./schedule.ts";
import { RECONCILED } from "./types.ts";

/** Null when the interval is not set, or no admin key is (then one warning says so). */
export function startScheduledReconcile(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  deps: { store: ReconcileStoreView; pricer: Pricer; log: Logger; fetch: typeof globalThis.fetch; alerter: Pick<Alerter, "notify"> | null },
): Reconciler | null {
  if (config.reconcileIntervalMs === null) return null;
  const clients = adminClients(env, config.upstreams, deps.fetch);
  if (clients.length === 0) {
    deps.log.warn(`--reconcile-interval is set but no admin key is: set ${RECONCILED.map((p) => ADMIN[p].env).join(" or ")}`);
    return null;
  }
  const tolerance = parseTolerance(config.reconcileToleranceUsd, config.reconcileTolerancePct);
  if (typeof tolerance === "string") throw new RangeError(tolerance);
  deps.log.info(`Reconciling ${clients.map((c) => c.provider).join(" and ")} every ${config.reconcileIntervalMs / 60_000} min`);
  return startReconciler({
    store: deps.store,
    pricer: deps.pricer,
    clients,
    intervalMs: config.reconcileIntervalMs,
    windowDays: config.reconcileWindow,
    tolerance,
    driftUsd: config.reconcileDriftUsd,
    uncoveredUsd: config.reconcileUncoveredUsd,
    alerter: deps.alerter,
    log: deps.log,
    now: Date.now,
  });
}
