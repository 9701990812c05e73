/** @module Usage groups by time bucket and value → the chart's series: every bucket filled, the top spenders named. */
import type { Group } from "./api.ts";
import { label } from "./format.ts";

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
