/**
 * @module Usage groups by time bucket and value → the chart's series (every bucket filled, the top spenders named)
 * and the per-value totals the other panels show.
 */
import type { Group, Usage } from "./api.ts";
import { label } from "./format.ts";
import { usd } from "../pricing/money.ts";

/** Series shown by name; the rest are summed into "other" so the chart stays readable. */
const MAX_SERIES = 8;

export interface Stack {
  /** Bucket starts, epoch seconds (uPlot's time unit). */
  xs: number[];
  /** Largest spender first. */
  series: { name: string; values: number[] }[];
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The time bucket key (`2026-11-27` or `2026-11-27T10:00Z`) → epoch ms. */
function bucketStart(key: string): number {
  return Date.parse(key.length === 10 ? `${key}T00:00:00Z` : key.replace("Z", ":00Z"));
}

/** Every bucket of [fromMs, toMs) gets a value (0 when nothing was spent), so the bars line up with the time axis. */
export function stack(groups: readonly Group[], bucket: "hour" | "day", fromMs: number, toMs: number): Stack {
  const step = bucket === "hour" ? HOUR : DAY;
  const first = Math.floor(fromMs / step) * step;
  const xs: number[] = [];
  for (let t = first; t < toMs; t += step) xs.push(t / 1000);
  const byName = new Map<string, number>();
  for (const g of groups) byName.set(label(g.group), (byName.get(label(g.group)) ?? 0) + Number(g.cost_usd));
  const ranked = [...byName.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  const shown = ranked.slice(0, ranked.length > MAX_SERIES + 1 ? MAX_SERIES : MAX_SERIES + 1);
  const names = ranked.length > shown.length ? [...shown, "other"] : shown;
  const series = names.map((name) => ({ name, values: xs.map(() => 0) }));
  const index = new Map(names.map((name, i) => [name, i]));
  for (const g of groups) {
    if (g.key === null) continue;
    const slot = Math.floor((bucketStart(g.key) - first) / step);
    const s = series[index.get(label(g.group)) ?? names.length - 1];
    if (s && slot >= 0 && slot < xs.length) s.values[slot] = (s.values[slot] ?? 0) + Number(g.cost_usd);
  }
  return { xs, series };
}

const PICO = 1_000_000_000_000n;

/** Exact decimal USD text (as the API writes it) → pico-USD. */
function picoOf(text: string): bigint {
  const neg = text.startsWith("-");
  const [whole = "0", frac = ""] = (neg ? text.slice(1) : text).split(".");
  const v = BigInt(whole) * PICO + BigInt(frac.padEnd(12, "0"));
  return neg ? -v : v;
}

/**
 * A two-level report (`group_by=hour,<field>`) summed over its time buckets: the report `group_by=<field>` answers
 * for the same range — the same groups, counts and exact costs, in its order (cost, then requests, descending;
 * then the value, none last) — so the dashboard reads the usage once, not twice (bench/dashboard-render.ts: the
 * reports of a view queue on one reader worker). test/dashboard/series.test.ts compares the two on a real store.
 */
export function sumBuckets(report: Usage): Usage {
  const byValue = new Map<string | null, { group: Group; pico: bigint }>();
  for (const g of report.groups) {
    const value = g.group ?? null;
    const seen = byValue.get(value);
    if (seen === undefined) {
      const { group: _bucketed, ...counts } = g;
      byValue.set(value, { group: { ...counts, key: value }, pico: picoOf(g.cost_usd) });
      continue;
    }
    seen.pico += picoOf(g.cost_usd);
    for (const [field, n] of Object.entries(g)) {
      if (typeof n === "number") (seen.group as unknown as Record<string, number>)[field]! += n;
    }
  }
  const rows = [...byValue.values()].sort((a, b) =>
    a.pico !== b.pico ? (a.pico < b.pico ? 1 : -1) : b.group.requests - a.group.requests || keyOrder(a.group.key, b.group.key)
  );
  return { groups: rows.map((r) => ({ ...r.group, cost_usd: usd(r.pico) })), total: report.total };
}

/** None last, else by code unit (as the API sorts). */
function keyOrder(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
