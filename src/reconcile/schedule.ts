/**
 * @module `serve --reconcile-interval 6h`: every interval, re-pull the trailing window from each provider whose admin
 * key is set, compare, and raise `reconcile.drift` / `reconcile.uncovered` through the alerter (docs/architecture.md
 * §19) for complete days over their thresholds: once per day and provider, across restarts and instances.
 */
import type { Alerter } from "../control/alerts/alerter.ts";
import { type AlertPayload, isoSeconds, payload } from "../control/alerts/payload.ts";
import { decimalToScaled } from "../pricing/decimal.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { describeError } from "../redact.ts";
import type { Logger } from "../log.ts";
import { addDays, dayOf } from "./days.ts";
import type { ProviderReport, ReportRow, Tolerance } from "./report.ts";
import { compare, pullDays, type ReconcileStoreView } from "./run.ts";
import type { AdminClient, ReconciledProvider } from "./types.ts";

export interface ReconcilerOptions {
  store: ReconcileStoreView;
  pricer: Pricer;
  clients: readonly AdminClient[];
  intervalMs: number;
  windowDays: number;
  tolerance: Tolerance;
  /** `reconcile.drift` / `reconcile.uncovered` from this many USD per complete day (exact decimals). */
  driftUsd: string;
  uncoveredUsd: string;
  alerter: Pick<Alerter, "notify"> | null;
  log: Pick<Logger, "info" | "error">;
  now(): number;
  /** Delay before the first run (default 1 s: the server is listening first). */
  firstRunMs?: number;
}

export interface Reconciler {
  /** What the last pull of each provider could not read (shown by /api/reconcile). */
  notes(): Partial<Record<ReconciledProvider, string[]>>;
  /** One run now (tests); resolves when it is done. Never rejects. */
  run(): Promise<void>;
  /** No further run; one in flight ends without logging. */
  stop(): void;
}

const pico = (text: string | null) => (text === null ? null : decimalToScaled(text, 12));

/** The drift row whose money differs most (the alert names its model). */
function largestDrift(rows: readonly ReportRow[]): ReportRow | undefined {
  let best: ReportRow | undefined;
  let most = -1n;
  for (const r of rows) {
    const k = pico(r.kestrel_usd);
    const p = pico(r.provider_usd ?? r.provider_priced_usd);
    if (r.class !== "drift") continue;
    const d = k === null || p === null ? 0n : k > p ? k - p : p - k;
    if (d > most) [best, most] = [r, d];
  }
  return best;
}

export function startReconciler(o: ReconcilerOptions): Reconciler {
  const notes: Partial<Record<ReconciledProvider, string[]>> = {};
  const driftMin = pico(o.driftUsd) ?? 0n;
  const uncoveredMin = pico(o.uncoveredUsd) ?? 0n;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** One alert per type, provider and day: the outbox key names exactly that, so a re-pull raises nothing new. */
  function alerts(p: ProviderReport): void {
    const alerter = o.alerter;
    if (alerter === null) return;
    for (const d of p.days) {
      if (!d.complete) continue;
      const raise = (type: "reconcile.drift" | "reconcile.uncovered", amount: string, fields: Partial<AlertPayload>) =>
        alerter.notify(`${type.replace(".", "_")}:${p.provider}:${d.date}`, payload({
          type, at: isoSeconds(o.now()), provider: p.provider, day: d.date, amount_usd: amount, ...fields,
        }));
      const drift = pico(d.drift_usd) ?? 0n;
      if (drift > 0n && drift >= driftMin) {
        const largest = largestDrift(d.rows);
        raise("reconcile.drift", d.drift_usd, { ...(largest ? { model: largest.model } : {}), ...(largest?.detail ? { detail: largest.detail } : {}) });
      }
      const uncovered = pico(d.uncovered_usd) ?? 0n;
      if (uncovered > 0n && uncovered >= uncoveredMin) raise("reconcile.uncovered", d.uncovered_usd, d.coverage === null ? {} : { coverage: d.coverage });
    }
  }

  async function once(): Promise<void> {
    const now = o.now();
    const today = dayOf(now);
    const from = addDays(today, 1 - o.windowDays);
    const to = addDays(today, 1);
    for (const client of o.clients) {
      try {
        notes[client.provider] = await pullDays(client, o.store, from, to, now);
        if (stopped) return;
        const report = await compare({
          store: o.store,
          pricer: o.pricer,
          providers: [client.provider],
          fromDay: from,
          toDay: to,
          tolerance: o.tolerance,
          now,
        });
        const p = report.providers[0] as ProviderReport;
        alerts(p);
        const last = p.days.filter((d) => d.complete).at(-1);
        const coverage = last?.coverage === null || last === undefined ? "" : `; coverage on ${last.date}: ${(last.coverage * 100).toFixed(1)}%`;
        o.log.info(`Reconciled ${client.provider} ${from} to ${today}${coverage}${notes[client.provider]?.length ? ` (${notes[client.provider]?.join("; ")})` : ""}`);
      } catch (err) {
        if (stopped) return;
        notes[client.provider] = [`pull failed: ${describeError(err)}`];
        o.log.error(`Cannot reconcile ${client.provider}: ${describeError(err)}`);
      }
    }
  }

  const run = (): Promise<void> => {
    running ??= once().finally(() => (running = null));
    return running;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void run().finally(() => schedule(o.intervalMs)), ms);
  };
  schedule(o.firstRunMs ?? 1000);

  return {
    notes: () => ({ ...notes }),
    run,
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
