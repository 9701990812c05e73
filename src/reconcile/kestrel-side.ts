/**
 * @module Kestrel's side of the comparison: its records summed per UTC day × model × key fingerprint, through the
 * store's grouped usage read. The one place that reads records for reconciliation, so it can move to hourly
 * rollups (the same sums) without touching the comparison.
 */
import { decimalToScaled } from "../pricing/decimal.ts";
import type { UsageTotals } from "../store/queries.ts";
import type { Store } from "../store/store.ts";
import { dayStart } from "./days.ts";
import { TOKEN_KINDS, type Tokens } from "./types.ts";

export interface KestrelUsage extends Tokens {
  day: string;
  /** Lower case (as the provider rows are); null for records without a model. */
  model: string | null;
  key_id: string | null;
  requests: number;
  cost_pico: bigint;
  unpriced_requests: number;
}

type Sums = Omit<KestrelUsage, "day" | "model" | "key_id">;

function sumsOf(t: UsageTotals): Sums {
  const pico = decimalToScaled(t.cost_usd, 12);
  if (pico === null) throw new Error(`Usage sum ${JSON.stringify(t.cost_usd)} is not an exact USD amount`);
  const out = { requests: t.requests, cost_pico: pico, unpriced_requests: t.unpriced_requests } as Sums;
  for (const k of TOKEN_KINDS) out[k] = t[k];
  return out;
}

/**
 * Every record of `provider` in the UTC days `[fromDay, toDay)`: one grouped read per key fingerprint (a gateway
 * sees few keys), and records without a key as the provider's total less the keyed ones. Groups with no tokens and
 * no cost (refused, failed before usage) are left out: the provider bills nothing for them.
 */
export async function kestrelUsage(
  store: Pick<Store, "usage">,
  provider: string,
  fromDay: string,
  toDay: string,
): Promise<KestrelUsage[]> {
  const filter = { provider, since: new Date(dayStart(fromDay)).toISOString(), until: new Date(dayStart(toDay)).toISOString() };
  const keys = (await store.usage(filter, "key_id")).groups;
  const out = new Map<string, KestrelUsage>();
  const add = (day: string, model: string | null, keyId: string | null, sums: Sums, sign: 1 | -1) => {
    const id = JSON.stringify([day, model, keyId]);
    let row = out.get(id);
    if (row === undefined) {
      row = { day, model, key_id: keyId, requests: 0, cost_pico: 0n, unpriced_requests: 0 } as KestrelUsage;
      for (const k of TOKEN_KINDS) row[k] = 0;
      out.set(id, row);
    }
    row.requests += sign * sums.requests;
    row.unpriced_requests += sign * sums.unpriced_requests;
    row.cost_pico += BigInt(sign) * sums.cost_pico;
    for (const k of TOKEN_KINDS) row[k] += sign * sums[k];
  };
  for (const g of keys) {
    if (g.key === null) continue;
    for (const m of (await store.usage({ ...filter, key_id: g.key }, ["day", "model"])).groups) {
      add(m.key as string, m.group?.toLowerCase() ?? null, g.key, sumsOf(m), 1);
    }
  }
  if (keys.some((g) => g.key === null)) {
    // The filter cannot ask for "no key", so those are the provider's total less every keyed group.
    for (const m of (await store.usage(filter, ["day", "model"])).groups) add(m.key as string, m.group?.toLowerCase() ?? null, null, sumsOf(m), 1);
    for (const row of [...out.values()]) {
      if (row.key_id !== null) add(row.day, row.model, null, row, -1);
    }
  }
  return [...out.values()].filter((r) => r.cost_pico !== 0n || TOKEN_KINDS.some((k) => r[k] !== 0));
}
