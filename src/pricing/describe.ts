/** @module Text for `kestrel prices [MODEL]`: what the table holds, and where each price came from. */
import { CORRECTIONS, CORRECTIONS_REVISION, RULES } from "./corrections.ts";
import { RATE_CLASSES } from "./litellm-row.ts";
import { lookupModel } from "./lookup.ts";
import { usd } from "./money.ts";
import { NAMESPACES } from "./providers.ts";
import type { PriceTable } from "./table.ts";
import type { ModelPrice, PriceOverrides, RateSet, UnitRates } from "./types.ts";

/** pico-USD per token → USD per million tokens, exact. */
const perM = (pico: number) => usd(BigInt(pico) * 1_000_000n);

/** Per-unit rates (docs/architecture.md §21), as `kestrel prices MODEL` shows them. */
const UNIT_LABELS: readonly [keyof UnitRates, string][] = [
  ["character", "character"],
  ["second", "second (of audio, or of compute on Replicate)"],
  ["image", "image"],
  ["query", "search query"],
  ["request", "request"],
];

function rates(set: RateSet): string {
  return RATE_CLASSES.filter((c) => set[c] !== undefined)
    .map((c) => `${c.replace(/_/g, " ")} ${perM(set[c] ?? 0)}`)
    .join(", ");
}

function priceLines(p: ModelPrice): string[] {
  const tokens = rates(p);
  const lines = [tokens === "" ? `  no token rates (${p.mode}: priced per unit)` : `  ${tokens}  (USD per 1M tokens; ${p.mode})`];
  const above = (set: RateSet, label: string) => {
    for (const t of set.tiers ?? []) lines.push(`  ${label}input above ${t.above} tokens${p.tier_inclusive ? " (inclusive)" : ""}: ${rates(t)}`);
  };
  above(p, "");
  for (const s of ["flex", "priority", "batch"] as const) {
    const set = p[s];
    if (set === undefined) continue;
    lines.push(`  ${s}: ${rates(set)}`);
    above(set, `${s}, `);
  }
  if (p.web_search !== undefined) {
    lines.push(`  web search: ${usd(p.web_search)} USD per ${p.web_search_per_query ? "search query" : "call"}`);
  }
  const sc = p.search_context;
  if (sc !== undefined) lines.push(`  request fee by search context: low ${usd(sc.low)}, medium ${usd(sc.medium)}, high ${usd(sc.high)} USD`);
  for (const [unit, label] of UNIT_LABELS) {
    const rate = p[unit];
    if (rate !== undefined) lines.push(`  ${unit}: ${usd(rate)} USD per ${label}`);
  }
  for (const [geo, m] of Object.entries(p.geo ?? {})) lines.push(`  geo "${geo}": x${m / 1000} on every token rate`);
  if (p.fast !== undefined) lines.push(`  fast mode: x${p.fast / 1000} on every token rate`);
  if (p.deprecated) lines.push(`  deprecated upstream: ${p.deprecated}`);
  return lines;
}

export function describePrices(table: PriceTable, version: string, overrides: PriceOverrides | undefined, model?: string): string {
  if (model === undefined || model.trim() === "") return summary(table, version, overrides);
  const slash = model.indexOf("/");
  const named = slash > 0 ? model.slice(0, slash) : "";
  const providers = named && table.providers().includes(named) ? [named] : table.providers();
  const id = named && providers.length === 1 ? model.slice(slash + 1) : model;
  const out: string[] = [];
  for (const provider of providers) {
    const m = lookupModel(table, provider, id, null);
    if (m === null || m.provider !== provider) continue;
    out.push(`${provider}  ${m.key}  [${m.entry.origin}${m.rule === "exact" ? "" : `; matched by ${m.rule}`}]`);
    out.push(...priceLines(m.entry.price));
    for (const n of m.entry.notes) out.push(`  ${m.entry.origin === "override" ? "from" : "corrected"}: ${n}`);
  }
  if (out.length === 0) return `No price for "${model}" (requests for it are recorded unpriced: cost null, never 0)\n`;
  return `Prices ${version}\n${out.join("\n")}\n`;
}

function summary(table: PriceTable, version: string, overrides: PriceOverrides | undefined): string {
  const m = table.meta;
  const lines = [
    `Prices ${version}`,
    `  source: ${m.upstream}`,
    `  sha256 ${m.source_sha256}, generated ${m.generated}`,
    `  stored as integer pico-USD (1e-12 USD) per token; shown as USD per 1M tokens`,
  ];
  let total = 0;
  const per: string[] = [];
  for (const p of table.providers()) {
    let n = 0;
    for (const _ of table.keys(p)) n++;
    total += n;
    per.push(`${p} ${n}`);
  }
  lines.push(`  ${total} models: ${per.join(", ")}`);
  const namespaces = Object.keys(NAMESPACES).length;
  lines.push(`  ${namespaces} providers have table prices; any other provider is priced only through overrides`);
  lines.push(`  corrections revision k${CORRECTIONS_REVISION}: ${CORRECTIONS.length} edits, ${RULES.length} rules (src/pricing/corrections.ts)`);
  for (const c of CORRECTIONS) lines.push(`    ${c.kind} ${c.provider}/${c.key}: ${c.why}`);
  for (const r of RULES) lines.push(`    rule ${r.id}: ${r.why}`);
  if (overrides && overrides.files.length > 0) lines.push(`  overrides: ${overrides.files.join(", ")}`);
  lines.push("Run `kestrel prices MODEL` (or PROVIDER/MODEL) for one model.");
  return `${lines.join("\n")}\n`;
}
