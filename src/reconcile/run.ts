/**
 * @module Reconciliation end to end (docs/architecture.md §19): pull what the providers' admin APIs report into the
 * store (the trailing window again every time: late and restated data), then compare the stored rows with Kestrel's
 * records. The CLI, the scheduled run in `serve` and `/api/reconcile` (compare only) share it.
 */
import { describeError } from "../redact.ts";
import type { Pricer } from "../pricing/pricer.ts";
import type { Store } from "../store/store.ts";
import { anthropicBillsPerModel, createAnthropicClient } from "./anthropic.ts";
import { compareProvider } from "./compare.ts";
import { addDays, dayOf, daysIn } from "./days.ts";
import { kestrelUsage } from "./kestrel-side.ts";
import { createOpenAiClient, openAiBillsPerModel } from "./openai.ts";
import { createUsagePricer } from "./rates.ts";
import type { Report, Tolerance } from "./report.ts";
import { type AdminClient, type BillsPerModel, type ClientOptions, type Pull, RECONCILED, type ReconciledProvider } from "./types.ts";

/** Each provider's admin key variable, client and billing semantics. */
export const ADMIN: Record<ReconciledProvider, { env: string; client(o: ClientOptions): AdminClient; billsPerModel: BillsPerModel }> = {
  openai: { env: "OPENAI_ADMIN_KEY", client: createOpenAiClient, billsPerModel: openAiBillsPerModel },
  anthropic: { env: "ANTHROPIC_ADMIN_KEY", client: createAnthropicClient, billsPerModel: anthropicBillsPerModel },
};

/** Days re-pulled every run, today included (provider data arrives late and is restated). */
export const DEFAULT_WINDOW_DAYS = 3;

export type ReconcileStoreView = Pick<Store, "usage" | "reconcile">;

/** The clients whose admin key is set (from the environment, never logged), for `only` or every provider. */
export function adminClients(
  env: Readonly<Record<string, string | undefined>>,
  upstreams: Readonly<Record<string, string>>,
  fetcher: typeof globalThis.fetch,
  only: ReconciledProvider | null = null,
): AdminClient[] {
  return RECONCILED.filter((p) => (only === null || p === only) && env[ADMIN[p].env])
    .map((p) => ADMIN[p].client({ adminKey: env[ADMIN[p].env] as string, upstreams, fetch: fetcher }));
}

/**
 * Pulls `[fromDay, toDay)` and replaces what is stored for those days. Usage must come; costs and the key list
 * may fail (the notes say so: money or key links are then missing, not wrong). Rejects when usage cannot be read.
 */
export async function pullDays(client: AdminClient, store: ReconcileStoreView, fromDay: string, toDay: string, now: number): Promise<string[]> {
  const usage = await client.usage(fromDay, toDay);
  const notes: string[] = [];
  const costs = await client.costs(fromDay, toDay).catch((err) => {
    notes.push(`costs not read, billed amounts missing: ${describeError(err)}`);
    return null;
  });
  const keys = await client.keys().catch((err) => {
    notes.push(`keys not listed, keys not linked: ${describeError(err)}`);
    return null;
  });
  const pull: Pull = { days: daysIn(fromDay, toDay), usage, costs, keys, notes };
  await store.reconcile.savePull(client.provider, pull, now);
  return notes;
}

/** The days to pull: the trailing window, and any day of `[fromDay, toDay)` never pulled before. */
export async function daysToPull(
  store: ReconcileStoreView,
  provider: string,
  fromDay: string,
  toDay: string,
  now: number,
  windowDays: number,
): Promise<[string, string]> {
  const today = dayOf(now);
  const end = addDays(today, 1);
  let start = addDays(today, 1 - Math.max(1, windowDays));
  const pulled = await store.reconcile.pulled(provider, fromDay, toDay);
  const missing = daysIn(fromDay, toDay < end ? toDay : end).find((d) => !pulled.has(d));
  if (missing !== undefined && missing < start) start = missing;
  return [start, end];
}

/** The providers with any day pulled in `[fromDay, toDay)`. */
export async function storedProviders(store: ReconcileStoreView, fromDay: string, toDay: string): Promise<ReconciledProvider[]> {
  const out: ReconciledProvider[] = [];
  for (const p of RECONCILED) if ((await store.reconcile.pulled(p, fromDay, toDay)).size > 0) out.push(p);
  return out;
}

export interface CompareOptions {
  store: ReconcileStoreView;
  pricer: Pricer;
  providers: readonly ReconciledProvider[];
  fromDay: string;
  toDay: string;
  tolerance: Tolerance;
  now: number;
  /** Per provider: what the pull could not read (shown in the report). */
  notes?: Partial<Record<ReconciledProvider, string[]>>;
}

/** Compares what is stored for `[fromDay, toDay)` with Kestrel's records; fetches nothing. */
export async function compare(o: CompareOptions): Promise<Report> {
  const days = daysIn(o.fromDay, o.toDay);
  const providers = [];
  for (const provider of o.providers) {
    const [stored, kestrel] = await Promise.all([
      o.store.reconcile.load(provider, o.fromDay, o.toDay),
      kestrelUsage(o.store, provider, o.fromDay, o.toDay),
    ]);
    providers.push(compareProvider({
      provider,
      days,
      stored,
      kestrel,
      price: createUsagePricer(o.pricer, provider),
      billsPerModel: ADMIN[provider].billsPerModel,
      tolerance: o.tolerance,
      notes: o.notes?.[provider] ?? [],
    }));
  }
  return {
    generated_at: new Date(o.now).toISOString(),
    price_version: o.pricer.version,
    tolerance: { usd: o.tolerance.usd, percent: o.tolerance.percent },
    providers,
  };
}
