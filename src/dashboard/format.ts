/** @module Display formatting: money from exact decimal text, counts, times. */

/** "1.500250000003" → "$1.50"; small amounts keep 4 significant digits ("$0.0001234"). */
export function money(usd: string | null): string {
  if (usd === null) return "—";
  const v = Number(usd);
  if (v === 0) return "$0";
  if (Math.abs(v) >= 1) return `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${v.toPrecision(4).replace(/0+$/, "").replace(/\.$/, "")}`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? "—" : `${((100 * part) / whole).toFixed(1)} %`;
}

/** "2026-11-27T10:11:12.345Z" → "2026-11-27 10:11:12" (UTC, as stored). */
export function time(iso: string | null): string {
  return iso === null ? "—" : iso.slice(0, 19).replace("T", " ");
}

export function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${v.toLocaleString("en-US")} ms`;
}

/** A group key for display: null is "(none)". */
export const label = (key: string | null | undefined): string => (key === null || key === undefined ? "(none)" : key);
