/** @module The price table in effect: embedded rows + corrections + overrides, with a case-insensitive index. */
import { buildCorrected } from "./apply-corrections.ts";
import data from "./data/prices.generated.json" with { type: "json" };
import type { PriceData, PriceEntry, PriceMeta, PriceOverrides } from "./types.ts";

const DATA = data as unknown as PriceData;

export interface PriceTable {
  readonly meta: PriceMeta;
  /** Exact key in a provider's partition. */
  get(provider: string, key: string): PriceEntry | undefined;
  /** Exact key, else the one key that equals it ignoring case (none when two keys differ only in case). */
  find(provider: string, key: string): { key: string; entry: PriceEntry } | undefined;
  keys(provider: string): IterableIterator<string>;
  providers(): string[];
}

// The corrected embedded table is built once per process, on first use (40-60 ms on a cold process: bench/cold-start.ts).
let corrected: Map<string, Map<string, PriceEntry>> | undefined;

export function embeddedMeta(): PriceMeta {
  return DATA.meta;
}

export function createTable(overrides?: PriceOverrides): PriceTable {
  corrected ??= buildCorrected(DATA.models);
  const parts = new Map<string, Map<string, PriceEntry>>();
  for (const [p, rows] of corrected) parts.set(p, rows);
  for (const [p, rows] of overrides?.entries ?? []) {
    // Override wins: a copy of the partition with the override rows replacing the table's.
    parts.set(p, new Map([...(parts.get(p) ?? []), ...rows]));
  }
  const lower = new Map<string, Map<string, string | null>>();
  const indexOf = (provider: string): Map<string, string | null> => {
    let idx = lower.get(provider);
    if (idx === undefined) {
      idx = new Map();
      for (const key of parts.get(provider)?.keys() ?? []) {
        const l = key.toLowerCase();
        idx.set(l, idx.has(l) ? null : key);
      }
      lower.set(provider, idx);
    }
    return idx;
  };
  return {
    meta: DATA.meta,
    get: (provider, key) => parts.get(provider)?.get(key),
    find(provider, key) {
      const part = parts.get(provider);
      if (part === undefined) return undefined;
      const exact = part.get(key);
      if (exact !== undefined) return { key, entry: exact };
      const k = indexOf(provider).get(key.toLowerCase());
      const entry = k == null ? undefined : part.get(k);
      return k == null || entry === undefined ? undefined : { key: k, entry };
    },
    keys: (provider) => (parts.get(provider) ?? new Map<string, PriceEntry>()).keys(),
    providers: () => [...parts.keys()].sort(),
  };
}
