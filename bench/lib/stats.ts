/** @module Percentiles, summaries of rounds (median with min–max), and number formatting for the report. */

/** Nearest-rank percentile of unsorted values (p in 0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** One figure measured over rounds. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    n: finite.length,
  };
}

/** Element-wise combination of two per-round series (e.g. gateway − direct, kestrel / bare). */
export function pairwise(a: readonly number[], b: readonly number[], fn: (x: number, y: number) => number): number[] {
  return a.map((x, i) => fn(x, b[i] ?? NaN));
}

/** Fixed decimals, `n/a` for NaN. */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `1.23 (1.10–1.40)`; a single round shows only the value. */
export function fmtSummary(s: Summary, digits = 2, unit = ""): string {
  if (s.n <= 1 || s.min === s.max) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Signed difference: `+0.12 ms`. */
export function fmtDelta(s: Summary, digits = 2, unit = " ms"): string {
  const sign = (v: number) => (v >= 0 ? "+" : "−") + fmt(Math.abs(v), digits);
  if (!Number.isFinite(s.median)) return "n/a";
  if (s.n <= 1 || s.min === s.max) return `${sign(s.median)}${unit}`;
  return `${sign(s.median)}${unit} (${sign(s.min)} to ${sign(s.max)})`;
}
