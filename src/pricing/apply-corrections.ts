/** @module Applies corrections.ts to the generated rows: copy-on-write, every changed entry carries its notes. */
import { CLAUDE_SELLERS, CORRECTIONS, RULES, type Correction } from "./corrections.ts";
import { decimalToScaled } from "./decimal.ts";
import { RATE_CLASSES } from "./litellm-row.ts";
import type { ModelPrice, PriceEntry, RateSet, Rates, TierRates } from "./types.ts";

type Partition = Map<string, PriceEntry>;
const WEB_SEARCH_PER_CALL = 10_000_000_000; // $10 per 1,000 searches = $0.01 = 1e10 pico

/** USD per million tokens → pico-USD per token; a correction that is not exact is a programming error. */
function perM(text: string): number {
  const v = decimalToScaled(text, 6);
  if (v === null || v < 0n) throw new Error(`Correction price "${text}" is not an exact non-negative decimal`);
  return Number(v);
}

function patchRates(target: Rates, usd: Partial<Record<keyof Rates, string>>): void {
  for (const cls of RATE_CLASSES) {
    const text = usd[cls];
    if (text !== undefined) target[cls] = perM(text);
  }
}

function note(c: { why: string; source: string }): string {
  return `${c.why} (source: ${c.source})`;
}

function edit(part: Partition, key: string, fn: (p: ModelPrice) => void, text: string): void {
  const entry = part.get(key);
  if (entry === undefined) throw new Error(`Correction targets "${key}", which is not in the table`);
  const price = structuredClone(entry.price);
  fn(price);
  part.set(key, { price, origin: "correction", notes: [...entry.notes, text] });
}

function applyOne(c: Correction, part: Partition): void {
  switch (c.kind) {
    case "set":
      return edit(part, c.key, (p) => {
        if (c.mode) p.mode = c.mode;
        if (c.rates) patchRates(p, c.rates);
        for (const t of c.tiers ?? []) {
          const tier = p.tiers?.find((x) => x.above === t.above);
          if (tier === undefined) throw new Error(`Correction for "${c.key}" names a missing tier ${t.above}`);
          patchRates(tier, t);
        }
      }, note(c));
    case "unset":
      return edit(part, c.key, (p) => void delete p[c.service], note(c));
    case "add": {
      if (part.has(c.key)) throw new Error(`Correction adds "${c.key}", which upstream has again: review it`);
      const price: ModelPrice = { input: 0, output: 0, mode: "chat", lp: c.lp };
      patchRates(price, c.rates);
      return void part.set(c.key, { price, origin: "correction", notes: [note(c)] });
    }
    case "alias": {
      const target = part.get(c.of);
      if (target === undefined) throw new Error(`Alias "${c.key}" points to missing "${c.of}"`);
      if (part.has(c.key)) throw new Error(`Alias "${c.key}" exists upstream again: review it`);
      const text = `alias of ${c.of}: ${note(c)}`;
      return void part.set(c.key, { price: target.price, origin: "correction", notes: [...target.notes, text] });
    }
    case "drop":
      if (!part.delete(c.key)) throw new Error(`Correction drops "${c.key}", which is not in the table`);
  }
}

/** 1h write = 2 × input of the same rate set, where a 5-minute rate exists and the 1-hour one does not. */
function fill1h(set: Rates, inputOfSet: number | undefined): boolean {
  if (set.cache_write_5m === undefined || set.cache_write_1h !== undefined || inputOfSet === undefined) return false;
  set.cache_write_1h = 2 * inputOfSet;
  return true;
}

function halve(set: RateSet): RateSet | null {
  const out: RateSet = {};
  for (const cls of RATE_CLASSES) {
    const v = set[cls];
    if (v === undefined) continue;
    if (v % 2 !== 0) return null; // would not stay whole pico-USD
    out[cls] = v / 2;
  }
  if (set.tiers) {
    const tiers = set.tiers.map((t) => ({ ...halve(t), above: t.above }) as TierRates);
    if (tiers.some((t, i) => Object.keys(t).length !== Object.keys(set.tiers?.[i] ?? {}).length)) return null;
    out.tiers = tiers;
  }
  return out;
}

function applyRules(part: Partition): void {
  for (const [key, entry] of part) {
    const p = entry.price;
    if (!CLAUDE_SELLERS.has(p.lp) || !key.includes("claude")) continue;
    const next = structuredClone(p);
    const notes: string[] = [];
    let changed = false;
    for (const set of [next, next.flex, next.priority, next.batch]) {
      if (set === undefined) continue;
      changed = fill1h(set, set.input ?? next.input) || changed;
      for (const t of set.tiers ?? []) changed = fill1h(t, t.input) || changed;
    }
    if (changed) notes.push(note(RULES[0]));
    if (p.lp === "anthropic") {
      const batch = next.batch === undefined ? halve(next) : null;
      if (batch !== null) (next.batch = batch), notes.push(note(RULES[1]));
      if (next.web_search === undefined) (next.web_search = WEB_SEARCH_PER_CALL), notes.push(note(RULES[2]));
    }
    if (notes.length > 0) part.set(key, { price: next, origin: "correction", notes: [...entry.notes, ...notes] });
  }
}

/** Builds the corrected partitions from the generated rows. Throws when a correction no longer fits the data. */
export function buildCorrected(models: Record<string, Record<string, ModelPrice>>): Map<string, Partition> {
  const out = new Map<string, Partition>();
  for (const [provider, rows] of Object.entries(models)) {
    out.set(provider, new Map(Object.entries(rows).map(([k, price]) => [k, { price, origin: "table", notes: [] }])));
  }
  for (const c of CORRECTIONS) {
    let part = out.get(c.provider);
    if (part === undefined) out.set(c.provider, (part = new Map()));
    applyOne(c, part);
  }
  for (const part of out.values()) applyRules(part);
  return out;
}
