/**
 * @module One provider's stored rows against Kestrel's records, per UTC day × model × key (docs/architecture.md §19):
 * keys are joined where their digests link them (src/reconcile/hint.ts); keys that cannot be linked are compared as
 * one pool per model.
 */
import { COST_CLASSES, type CostClass } from "../pricing/cost.ts";
import { usd } from "../pricing/money.ts";
import { dayStart, DAY_MS } from "./days.ts";
import type { KestrelUsage } from "./kestrel-side.ts";
import type { Priced, UsagePricer } from "./rates.ts";
import { apportion, COMPARED, countWithin, fraction, moneyWithin, type ProviderReport, type ReportDay, type ReportRow, ROW_CLASSES, type RowClass, type Tolerance } from "./report.ts";
import type { Stored } from "./store.ts";
import { type ProviderKey, TOKEN_KINDS, type Tokens } from "./types.ts";

/** Provider data for a day keeps arriving for a while: a day is complete once pulled this long after it ended. */
export const SETTLE_MS = 6 * 3_600_000;

export interface CompareInput {
  provider: string;
  days: readonly string[];
  stored: Stored;
  kestrel: readonly KestrelUsage[];
  price: UsagePricer;
  billsPerModel(kind: CostClass, tier: string | null): boolean;
  tolerance: Tolerance;
  notes: string[];
}

type Counts = Tokens & { web_search_requests: number };
interface KSide { counts: Counts; requests: number; cost: bigint; unpriced: number; keys: Set<string> }
interface PSide { counts: Counts; requests: number | null; priced: Priced; billable: Priced; batch: boolean; projects: Set<string> }
interface Cell { model: string; providerKey: string | null; pooled: boolean; k: KSide | null; p: PSide | null }

const zeroCounts = (): Counts => Object.fromEntries(COMPARED.map((k) => [k, 0])) as Counts;
const zeroPriced = (): Priced => Object.fromEntries(COST_CLASSES.map((c) => [c, 0n])) as Priced;
const total = (p: Priced): bigint | null => COST_CLASSES.reduce<bigint | null>((s, c) => (s === null || p[c] === null ? null : s + (p[c] as bigint)), 0n);
const tokenSum = (c: Counts) => BigInt(c.input_tokens + c.output_tokens);

/**
 * Kestrel fingerprint → provider key id, where exactly one key's masked form is among the fingerprint's digests and
 * no other fingerprint claims that key.
 */
export function linkKeys(keys: readonly ProviderKey[], hints: readonly { fingerprint: string; digests: readonly string[] }[]): Map<string, string> {
  const candidate = new Map<string, string>();
  const claims = new Map<string, number>();
  for (const h of hints) {
    const forms = new Set(h.digests);
    const fits = keys.filter((k) => k.digest !== null && forms.has(k.digest));
    if (fits.length !== 1) continue;
    const id = (fits[0] as ProviderKey).api_key_id;
    candidate.set(h.fingerprint, id);
    claims.set(id, (claims.get(id) ?? 0) + 1);
  }
  for (const [fp, id] of candidate) if ((claims.get(id) ?? 0) > 1) candidate.delete(fp);
  return candidate;
}

export function compareProvider(input: CompareInput): ProviderReport {
  const { stored, tolerance: tol } = input;
  const links = linkKeys(stored.keys, stored.hints);
  const linkedIds = new Set(links.values());
  const days = input.days.map(compareDay);
  return { provider: input.provider, linked_keys: links.size, notes: input.notes, days };

  function compareDay(day: string): ReportDay {
    const pulled = stored.pulled.get(day) ?? null;
    const kRows = input.kestrel.filter((k) => k.day === day);
    const kestrelUsd = kRows.reduce((s, k) => s + k.cost_pico, 0n);
    if (pulled === null) {
      return { date: day, pulled_at: null, complete: false, coverage: null, kestrel_usd: usd(kestrelUsd), provider_usd: null, drift_usd: "0", uncovered_usd: "0", unattributed: [], rows: [] };
    }
    const cells = new Map<string, Cell>();
    const cell = (model: string, id: string, providerKey: string | null, pooled: boolean): Cell => {
      const at = `${model}\u0000${id}`;
      let c = cells.get(at);
      if (c === undefined) cells.set(at, c = { model, providerKey, pooled, k: null, p: null });
      return c;
    };
    // Kestrel: a linked fingerprint joins its provider key; the others pool per model.
    for (const k of kRows) {
      const model = k.model ?? "(none)";
      const linked = k.key_id === null ? undefined : links.get(k.key_id);
      const c = linked === undefined ? cell(model, "?", null, true) : cell(model, `k:${linked}`, linked, false);
      c.k ??= { counts: zeroCounts(), requests: 0, cost: 0n, unpriced: 0, keys: new Set() };
      for (const t of TOKEN_KINDS) c.k.counts[t] += k[t];
      c.k.requests += k.requests;
      c.k.cost += k.cost_pico;
      c.k.unpriced += k.unpriced_requests;
      if (k.key_id !== null) c.k.keys.add(k.key_id);
    }
    const pooledModels = new Set([...cells.values()].filter((c) => c.pooled).map((c) => c.model));
    // Provider: a linked key joins Kestrel's; an unlinked one pools with Kestrel's unlinked traffic of the model, or
    // stands alone (uncovered) when all of Kestrel's traffic of the model is linked.
    for (const u of stored.usage) {
      if (u.day !== day) continue;
      const id = u.api_key_id;
      const c = id !== null && linkedIds.has(id)
        ? cell(u.model, `k:${id}`, id, false)
        : pooledModels.has(u.model)
        ? cell(u.model, "?", null, true)
        : cell(u.model, `p:${id ?? ""}`, id, false);
      c.p ??= { counts: zeroCounts(), requests: 0, priced: zeroPriced(), billable: zeroPriced(), batch: false, projects: new Set() };
      for (const t of COMPARED) c.p.counts[t] += u[t];
      c.p.requests = c.p.requests === null || u.requests === null ? null : c.p.requests + u.requests;
      const priced = input.price(u);
      for (const cls of COST_CLASSES) {
        const add = (to: Priced, v: bigint | null) => (to[cls] = to[cls] === null || v === null ? null : (to[cls] as bigint) + v);
        add(c.p.priced, priced[cls]);
        add(c.p.billable, input.billsPerModel(cls, u.service_tier) ? priced[cls] : 0n);
      }
      if (u.service_tier === "batch") c.p.batch = true;
      if (u.project !== null) c.p.projects.add(u.project);
    }

    // Billed lines: per model (shared among its rows), or unattributed.
    const dayCosts = stored.costs.filter((c) => c.day === day);
    const usageModels = new Set([...cells.values()].filter((c) => c.p !== null).map((c) => c.model));
    const billed = new Map<string, { total: bigint; byKind: Map<CostClass | null, bigint> }>();
    const unattributed: { line: string; provider_usd: string }[] = [];
    for (const c of dayCosts) {
      if (c.model === null || !usageModels.has(c.model)) {
        unattributed.push({ line: c.line, provider_usd: usd(c.amount_pico) });
        continue;
      }
      let b = billed.get(c.model);
      if (b === undefined) billed.set(c.model, b = { total: 0n, byKind: new Map() });
      b.total += c.amount_pico;
      b.byKind.set(c.kind, (b.byKind.get(c.kind) ?? 0n) + c.amount_pico);
    }
    const share = new Map<Cell, bigint>();
    const priceNotes = new Map<string, string>();
    for (const model of usageModels) {
      const rows = [...cells.values()].filter((c) => c.model === model && c.p !== null);
      const b = billed.get(model) ?? { total: 0n, byKind: new Map() };
      const weights = rows.map((c) => total((c.p as PSide).billable) ?? tokenSum((c.p as PSide).counts));
      apportion(b.total, weights).forEach((v, i) => share.set(rows[i] as Cell, v));
      priceNotes.set(model, priceDrift(b, rows));
    }

    const out: ReportRow[] = [];
    let weightSum = 0n;
    let coveredSum = 0n;
    let tokensAll = 0n;
    let tokensCovered = 0n;
    let drift = 0n;
    for (const c of cells.values()) {
      const p = c.p;
      const k = c.k;
      const priced = p === null ? null : total(p.priced);
      const unbillable = p === null || priced === null ? null : priced - (total(p.billable) ?? 0n);
      const provider = p === null || !pulled.costs ? null : (share.get(c) ?? 0n) + (unbillable ?? 0n);
      const row = classify(c, priced, provider, priceNotes.get(c.model) ?? "");
      if (p !== null) {
        const weight = provider ?? priced ?? 0n;
        const pt = tokenSum(p.counts);
        const kt = k === null ? 0n : tokenSum(k.counts);
        // Kestrel's share of the row's tokens (at most all of them) is its share of the row's spend.
        weightSum += weight;
        coveredSum += k === null ? 0n : pt === 0n || kt >= pt ? weight : (weight * kt) / pt;
        tokensAll += pt;
        tokensCovered += kt < pt ? kt : pt;
      }
      if (row.class === "drift" && k !== null) {
        const theirs = provider ?? priced;
        if (theirs !== null) drift += k.cost > theirs ? k.cost - theirs : theirs - k.cost;
      }
      out.push(row);
    }
    out.sort((a, b) => ROW_CLASSES.indexOf(a.class) - ROW_CLASSES.indexOf(b.class) || a.model.localeCompare(b.model) ||
      (a.provider_key_id ?? a.key_id ?? "").localeCompare(b.provider_key_id ?? b.key_id ?? ""));
    return {
      date: day,
      pulled_at: pulled.at,
      complete: Date.parse(pulled.at) >= dayStart(day) + DAY_MS + SETTLE_MS,
      coverage: weightSum > 0n ? fraction(coveredSum, weightSum) : fraction(tokensCovered, tokensAll),
      kestrel_usd: usd(kestrelUsd),
      provider_usd: pulled.costs ? usd(dayCosts.reduce((s, c) => s + c.amount_pico, 0n)) : null,
      drift_usd: usd(drift),
      uncovered_usd: usd(weightSum - coveredSum),
      unattributed,
      rows: out,
    };
  }

  /** Billed against Kestrel's table per token class of one model: the classes that differ, in words. */
  function priceDrift(b: { total: bigint; byKind: Map<CostClass | null, bigint> }, rows: Cell[]): string {
    const priced = (cls: CostClass) => rows.reduce<bigint | null>((s, c) => (s === null || (c.p as PSide).billable[cls] === null ? null : s + ((c.p as PSide).billable[cls] as bigint)), 0n);
    const parts: string[] = [];
    if (b.byKind.size > 0 && !b.byKind.has(null)) {
      for (const cls of COST_CLASSES) {
        const mine = priced(cls);
        const theirs = b.byKind.get(cls) ?? 0n;
        if (mine !== null && !moneyWithin(tol, theirs, mine)) parts.push(`${cls} billed $${usd(theirs)}, Kestrel's price $${usd(mine)}`);
      }
    }
    return parts.join("; ");
  }

  function classify(c: Cell, priced: bigint | null, provider: bigint | null, priceNote: string): ReportRow {
    const { k, p } = c;
    const tokens = Object.fromEntries(COMPARED.map((t) => [t, {
      // Kestrel's grouped read has no web search count: only the provider's is shown.
      kestrel: k === null || t === "web_search_requests" ? null : k.counts[t],
      provider: p === null ? null : p.counts[t],
    }])) as ReportRow["tokens"];
    const keyId = k !== null && k.keys.size === 1 ? [...k.keys][0] as string : null;
    let cls: RowClass;
    let detail: string | null = null;
    if (p === null) {
      cls = "kestrel_only";
      detail = c.pooled ? "the provider reports no usage of this model on keys Kestrel cannot link" : "the provider reports no usage of this model on this key";
    } else if (k === null) {
      cls = "uncovered";
      detail = p.batch ? "batch usage (Kestrel meters no batch results)" : c.providerKey === null ? "usage without an API key: not through Kestrel" : "a key Kestrel never saw";
    } else {
      const diffs = TOKEN_KINDS.filter((t) => !countWithin(tol, k.counts[t], p.counts[t]));
      if (diffs.length > 0) {
        const more = diffs.filter((t) => p.counts[t] > k.counts[t]).length;
        cls = !c.pooled || (more > 0 && more < diffs.length) ? "drift" : more > 0 ? "uncovered" : "kestrel_only";
        detail = `tokens differ: ${diffs.map((t) => `${t} ${k.counts[t]} (Kestrel) vs ${p.counts[t]} (provider)`).join(", ")}`;
      } else {
        const theirs = provider ?? priced;
        if (theirs === null || k.unpriced > 0) {
          cls = "match";
          detail = "tokens match; money not compared: unpriced";
        } else if (!moneyWithin(tol, k.cost, theirs)) {
          cls = "drift";
          detail = priceNote || `cost differs: Kestrel $${usd(k.cost)} vs provider $${usd(theirs)}`;
        } else cls = "match";
      }
    }
    return {
      model: c.model,
      key_id: keyId,
      provider_key_id: c.providerKey,
      project: p !== null && p.projects.size === 1 ? [...p.projects][0] as string : null,
      class: cls,
      kestrel_usd: k === null ? null : usd(k.cost),
      provider_usd: provider === null ? null : usd(provider),
      provider_priced_usd: priced === null ? null : usd(priced),
      requests: { kestrel: k?.requests ?? null, provider: p?.requests ?? null },
      tokens,
      units: {},
      detail,
    };
  }
}
