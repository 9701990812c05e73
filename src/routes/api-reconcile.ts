/**
 * @module GET /api/reconcile: the providers' stored usage and cost reports against Kestrel's records
 * (docs/architecture.md §19), the same report as `kestrel reconcile --format json --no-fetch`. Nothing is fetched
 * here: `serve --reconcile-interval` or the CLI pulls.
 */
import { Hono } from "hono";
import { errorResponse } from "../errors.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { dayRange } from "../reconcile/days.ts";
import { parseTolerance, type Tolerance } from "../reconcile/report.ts";
import { compare, storedProviders, type ReconcileStoreView } from "../reconcile/run.ts";
import { isReconciled, RECONCILED, type ReconciledProvider } from "../reconcile/types.ts";

export interface ReconcileRouteOptions {
  store: ReconcileStoreView;
  pricer: Pricer;
  tolerance: Tolerance;
  /** What the scheduled run's last pull could not read, per provider. */
  notes(): Partial<Record<ReconciledProvider, string[]>>;
  now(): number;
}

const NAMES = new Set(["provider", "since", "until", "tolerance_usd", "tolerance_pct"]);

export function createReconcileRoutes(o: ReconcileRouteOptions): Hono {
  const app = new Hono();
  app.get("/reconcile", async (c) => {
    const bad = (message: string) => errorResponse("invalid_query", 400, message);
    for (const name of Object.keys(c.req.queries())) if (!NAMES.has(name)) return bad(`Unknown parameter ${JSON.stringify(name)}`);
    const only = c.req.query("provider") || null;
    if (only !== null && !isReconciled(only)) return bad(`Invalid provider ${JSON.stringify(only)}: use one of ${RECONCILED.join(", ")}`);
    const range = dayRange(c.req.query("since") || undefined, c.req.query("until") || undefined, o.now());
    if (!range.ok) return bad(range.message);
    let tolerance = o.tolerance;
    const usd = c.req.query("tolerance_usd");
    const pct = c.req.query("tolerance_pct");
    if (usd || pct) {
      const parsed = parseTolerance(usd || o.tolerance.usd, pct || o.tolerance.percent);
      if (typeof parsed === "string") return bad(parsed);
      tolerance = parsed;
    }
    const providers = only === null ? await storedProviders(o.store, range.fromDay, range.toDay) : [only];
    return c.json(await compare({ store: o.store, pricer: o.pricer, providers, ...range, tolerance, now: o.now(), notes: o.notes() }));
  });
  return app;
}
