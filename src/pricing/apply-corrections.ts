/** @module Applies corrections.ts to the generated rows: copy-on-write, every changed entry carries its notes. */
import { CLAUDE_SELLERS, CORRECTIONS, GEMINI_SELLERS, RULES, type Correction } from "./corrections.ts";
import { decimalToScaled } from "./decimal.ts";
import { RATE_CLASSES } from "./litellm-row.ts";
import type { ModelPrice, PriceEntry, RateSet, Rates, TierRates, UnitRates } from "./types.ts";

export type Partition = Map<string, PriceEntry>;
const WEB_SEARCH_PER_CALL = 10_000_000_000; // $10 per 1,000 searches = $0.01 = 1e10 pico

/** USD per million tokens → pico-USD per token; a correction that is not exact is a programming error. */
function perM(text: string): number {
  const v = decimalToScaled(text, 6);
  if (v === null || v < 0n) throw new Error(`Correction price "${text}" is not an exact non-negative decimal`);
  return Number(v);
}

/** USD per unit → pico-USD per unit. */
function perUnit(text: string): number {
  const v = decimalToScaled(text, 12);
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
        for (const [unit, text] of Object.entries(c.units ?? {})) p[unit as keyof UnitRates] = perUnit(text);
        if (c.search) p.search_context = { low: perUnit(c.search.low), medium: perUnit(c.search.medium), high: perUnit(c.search.high) };
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
      return;
    case "units": {
      if (part.has(c.key)) throw new Error(`Correction adds "${c.key}", which upstream has again: review it`);
      const price: ModelPrice = { mode: c.mode, lp: c.lp };
      for (const [unit, text] of Object.entries(c.units)) price[unit as keyof UnitRates] = perUnit(text);
      return void part.set(c.key, { price, origin: "correction", notes: [note(c)] });
    }
  }
}

/** A rule's note by id (a typo is a compile error: ids are literal types). */
function rule(id: (typeof RULES)[number]["id"]): string {
  return note(RULES.find((r) => r.id === id) as (typeof RULES)[number]);
}

/** `rate × num / den` when it is a whole number of pico-USD, else undefined (the rate stays missing). */
function ratio(rate: number, num: number, den: number): number | undefined {
  const v = rate * num;
  return Number.isSafeInteger(v) && v % den === 0 ? v / den : undefined;
}

/**
 * Anthropic's cache multipliers on one rate set of a Claude row: read 0.1×, 5-minute write 1.25×, 1-hour write
 * 2× the set's input, where the set lacks them. Returns which kinds were filled.
 */
function fillClaudeCache(set: Rates, inputOfSet: number | undefined, cached: boolean): { cache: boolean; hour: boolean } {
  const done = { cache: false, hour: false };
  if (inputOfSet === undefined) return done;
  // A model that never offered caching keeps what the table says (a 1-hour rate only beside a 5-minute one).
  if (!cached) {
    if (set.cache_write_5m !== undefined && set.cache_write_1h === undefined) {
      (set.cache_write_1h = 2 * inputOfSet), (done.hour = true);
    }
    return done;
  }
  for (const [k, num, den] of [["cache_read", 1, 10], ["cache_write_5m", 5, 4]] as const) {
    const v = set[k] === undefined ? ratio(inputOfSet, num, den) : undefined;
    if (v !== undefined) (set[k] = v), (done.cache = true);
  }
  if (set.cache_write_1h === undefined) (set.cache_write_1h = 2 * inputOfSet), (done.hour = true);
  return done;
}

/** Google's cached audio: audio input × (cache read / input) of the same set, when exact. */
function fillGeminiAudioCache(set: Rates): boolean {
  const { input, cache_read: read, audio_input: audio } = set;
  if (set.cache_read_audio !== undefined || input === undefined || read === undefined || audio === undefined) return false;
  if (input === 0) return false;
  const v = ratio(audio, read, input);
  if (v === undefined) return false;
  set.cache_read_audio = v;
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

/** The standard (no service tier) price of a row, as one comparable string. */
const standardPrice = (p: ModelPrice) =>
  JSON.stringify([RATE_CLASSES.map((c) => p[c] ?? null), p.tiers ?? null, p.geo ?? null, p.fast ?? null, p.mode]);
const DATED_KEY = /^(.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/;

/** The undated family row a dated key inherits service-tier rates from, when their standard prices agree. */
function familyOf(part: Partition, key: string, p: ModelPrice): ModelPrice | undefined {
  const alias = DATED_KEY.exec(key)?.[1];
  const family = alias === undefined ? undefined : part.get(alias)?.price;
  return family !== undefined && standardPrice(family) === standardPrice(p) ? family : undefined;
}

/** `vertex_ai/claude-3-haiku@20240307`, `us.anthropic.claude-3-haiku-20240307-v1:0` → `claude-3-haiku-20240307`. */
function anthropicId(key: string): string {
  return key
    .replace(/^(?:vertex_ai|azure_ai|bedrock(?:\/[\w-]+)?)\//, "")
    .replace(/^(?:us|eu|apac|au|jp|ca|global|us-gov)\./, "")
    .replace(/^anthropic\./, "")
    .replace(/-v\d+(?::\d+)?$/, "")
    .replace(/@(\d{8})$/, "-$1");
}

/**
 * Cache rates a Claude row lacks, copied from the Anthropic-direct row of the same model when both charge the
 * same input and output price (Anthropic's published cache prices are not always exact multiples: Claude 3 Haiku
 * reads at $0.03, not 0.1 × $0.25). Returns true when something was copied.
 */
function fillFromAnthropic(set: Rates, twin: ModelPrice | undefined): boolean {
  if (twin === undefined || twin.input !== set.input || twin.output !== set.output) return false;
  let done = false;
  for (const k of ["cache_read", "cache_write_5m", "cache_write_1h"] as const) {
    const v = twin[k];
    if (set[k] === undefined && v !== undefined) (set[k] = v), (done = true);
  }
  return done;
}

/**
 * The Anthropic-direct row of a Claude key: the same id, else (an undated alias such as `vertex_ai/claude-3-haiku`)
 * its dated snapshots when they all agree on cache prices.
 */
function anthropicTwin(anthropic: Partition | undefined, key: string): ModelPrice | undefined {
  if (anthropic === undefined) return undefined;
  const id = anthropicId(key);
  const exact = anthropic.get(id)?.price;
  if (exact !== undefined || DATED_KEY.test(id)) return exact;
  const cache = (p: ModelPrice) => `${p.input},${p.output},${p.cache_read},${p.cache_write_5m},${p.cache_write_1h}`;
  let found: ModelPrice | undefined;
  for (const [k, e] of anthropic) {
    if (DATED_KEY.exec(k)?.[1] !== id) continue;
    if (found !== undefined && cache(found) !== cache(e.price)) return undefined;
    found = e.price;
  }
  return found;
}

/** Claude models that never offered prompt caching: no cache rates are made up for them. */
const NO_CACHE = /claude-(?:instant|v\d|2|3-sonnet)\b/;

/** Rule family-service-tiers: dated rows take the tier rate sets they lack from a same-priced family row. */
export function inheritFamilyTiers(part: Partition): void {
  const inherited = new Map<string, ModelPrice>();
  for (const [key, entry] of part) {
    const family = familyOf(part, key, entry.price);
    if (family === undefined) continue;
    const missing = (["flex", "priority", "batch"] as const).filter((s) => entry.price[s] === undefined && family[s]);
    if (missing.length === 0) continue;
    const next = structuredClone(entry.price);
    for (const s of missing) next[s] = structuredClone(family[s] as RateSet);
    inherited.set(key, next);
  }
  for (const [key, price] of inherited) {
    const entry = part.get(key) as PriceEntry;
    part.set(key, { price, origin: "correction", notes: [...entry.notes, rule("family-service-tiers")] });
  }
}

function applyRules(part: Partition, anthropic: Partition | undefined): void {
  // Family tiers first, from the rows as corrected so far, so the rules below see the inherited sets.
  inheritFamilyTiers(part);
  for (const [key, entry] of part) {
    const p = entry.price;
    const claude = CLAUDE_SELLERS.has(p.lp) && key.includes("claude");
    const cached = claude && !NO_CACHE.test(key);
    const gemini = GEMINI_SELLERS.has(p.lp) && key.includes("gemini");
    if (!claude && !gemini) continue;
    const next = structuredClone(p);
    const notes: string[] = [];
    let cache = false;
    let hour = false;
    let audio = false;
    const copied = cached && p.lp !== "anthropic" && fillFromAnthropic(next, anthropicTwin(anthropic, key));
    for (const set of [next, next.flex, next.priority, next.batch]) {
      if (set === undefined) continue;
      for (const s of [set, ...(set.tiers ?? [])]) {
        if (claude) {
          const done = fillClaudeCache(s, s === set ? (set.input ?? next.input) : s.input, cached);
          cache ||= done.cache;
          hour ||= done.hour;
        } else audio = fillGeminiAudioCache(s) || audio;
      }
    }
    if (copied) notes.push(rule("claude-cache-anthropic-row"));
    if (cache) notes.push(rule("claude-cache-multipliers"));
    if (hour) notes.push(rule("claude-1h-write"));
    if (audio) notes.push(rule("gemini-audio-cache"));
    if (p.lp === "anthropic") {
      const batch = next.batch === undefined ? halve(next) : null;
      if (batch !== null) (next.batch = batch), notes.push(rule("anthropic-batch"));
      if (next.web_search === undefined) (next.web_search = WEB_SEARCH_PER_CALL), notes.push(rule("anthropic-web-search"));
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
  // Anthropic-direct rows first: other platforms' Claude rows copy cache prices from them.
  const anthropic = out.get("anthropic");
  if (anthropic) applyRules(anthropic, undefined);
  for (const [provider, part] of out) if (provider !== "anthropic") applyRules(part, anthropic);
  return out;
}
