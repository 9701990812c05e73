/**
 * @module The reconciliation report (`kestrel reconcile --format json`, `/api/reconcile`): its shape, the stated
 * tolerance a match allows, and the exact arithmetic the comparison needs (docs/architecture.md §19).
 */
import { decimalToScaled } from "../pricing/decimal.ts";
import { TOKEN_KINDS } from "./types.ts";

export type RowClass = "match" | "drift" | "uncovered" | "kestrel_only";
export const ROW_CLASSES: readonly RowClass[] = ["drift", "uncovered", "kestrel_only", "match"];

/** Kestrel's number and the provider's; null where that side has none (or does not count it). */
export interface Pair {
  kestrel: number | null;
  provider: number | null;
}

export const COMPARED = [...TOKEN_KINDS, "web_search_requests"] as const;

export interface ReportRow {
  model: string;
  /** Kestrel's key fingerprint; null for keys Kestrel never saw, or traffic pooled because its keys are not linked. */
  key_id: string | null;
  /** The provider's key id; null for usage without a key, or pooled traffic. */
  provider_key_id: string | null;
  /** OpenAI project / Anthropic workspace of the provider's usage, when it is one. */
  project: string | null;
  class: RowClass;
  /** Kestrel's cost of its records (exact decimal USD). */
  kestrel_usd: string | null;
  /** The provider's billed cost for this row: its share of the model's billed lines (§19); null without cost data. */
  provider_usd: string | null;
  /** The provider's usage priced with Kestrel's table; null when the table has no price for it. */
  provider_priced_usd: string | null;
  requests: Pair;
  tokens: Record<(typeof COMPARED)[number], Pair>;
  /** Speech characters, transcription seconds, images: not recorded by Kestrel yet (issue 23), so empty. */
  units: Record<string, Pair>;
  /** Why the row has its class, in words. */
  detail: string | null;
}

export interface ReportDay {
  date: string;
  /** When the provider's rows for this day were last pulled; null: never (nothing is classified then). */
  pulled_at: string | null;
  /** Pulled long enough after the day ended that late data has arrived (alerts wait for this). */
  complete: boolean;
  /** Billed spend that went through Kestrel / all billed spend (0–1); null when the provider billed nothing. */
  coverage: number | null;
  kestrel_usd: string;
  /** Every billed line of the day, attributed or not; null when the cost endpoint gave nothing for it. */
  provider_usd: string | null;
  /** Money differences of the `drift` rows, summed as absolute values. */
  drift_usd: string;
  /** Billed spend that did not go through Kestrel. */
  uncovered_usd: string;
  /** Billed lines no usage row explains (code execution, tool and image lines, models with no usage that day). */
  unattributed: { line: string; provider_usd: string }[];
  rows: ReportRow[];
}

export interface ProviderReport {
  provider: string;
  /** Kestrel key fingerprints linked to one of the provider's keys. */
  linked_keys: number;
  /** What could not be read, and what that leaves out. */
  notes: string[];
  days: ReportDay[];
}

export interface Report {
  generated_at: string;
  price_version: string;
  tolerance: { usd: string; percent: string };
  providers: ProviderReport[];
}

/** A match allows this much difference: money within `usdPico` or `basisPoints`, tokens within `basisPoints`. */
export interface Tolerance {
  usdPico: bigint;
  basisPoints: bigint;
  /** As given, for the report. */
  usd: string;
  percent: string;
}

/** Defaults: a cent per row and day (providers round their amounts), or 0.1 %. */
export const DEFAULT_TOLERANCE = { usd: "0.01", percent: "0.1" };

export function parseTolerance(usd: string, percent: string): Tolerance | string {
  const pico = /^\d+(\.\d+)?$/.test(usd) ? decimalToScaled(usd, 12) : null;
  if (pico === null) return `Invalid tolerance ${JSON.stringify(usd)}: use a USD amount like 0.01`;
  const bp = /^\d+(\.\d+)?$/.test(percent) ? decimalToScaled(percent, 2) : null;
  if (bp === null || bp > 10_000n) return `Invalid tolerance percent ${JSON.stringify(percent)}: use 0 to 100 with at most 2 decimals`;
  return { usdPico: pico, basisPoints: bp, usd, percent };
}

const abs = (v: bigint) => (v < 0n ? -v : v);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

export function moneyWithin(t: Tolerance, a: bigint, b: bigint): boolean {
  const d = abs(a - b);
  return d <= t.usdPico || d * 10_000n <= t.basisPoints * max(abs(a), abs(b));
}

export function countWithin(t: Tolerance, a: number, b: number): boolean {
  const d = BigInt(Math.abs(a - b));
  return d * 10_000n <= t.basisPoints * BigInt(Math.max(a, b));
}

/**
 * `total` split in proportion to `weights`, exactly: floors first, then the pico-dollars left over to the largest
 * remainders, so the shares always add up to the total. Equal shares when every weight is zero.
 */
export function apportion(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) return [];
  if (total < 0n) return apportion(-total, weights).map((v) => -v);
  let sum = weights.reduce((a, b) => a + b, 0n);
  const w = sum > 0n ? weights : weights.map(() => 1n);
  if (sum <= 0n) sum = BigInt(weights.length);
  const shares = w.map((x) => (total * x) / sum);
  let left = total - shares.reduce((a, b) => a + b, 0n);
  const order = w.map((x, i) => [(total * x) % sum, i] as const).sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] > b[0] ? -1 : 1));
  for (const [, i] of order) {
    if (left <= 0n) break;
    shares[i] = (shares[i] as bigint) + 1n;
    left--;
  }
  return shares;
}

/** `covered / total` as a fraction with six decimals; null when the total is zero. */
export function fraction(covered: bigint, total: bigint): number | null {
  if (total <= 0n) return null;
  return Number((covered * 1_000_000n) / total) / 1_000_000;
}
