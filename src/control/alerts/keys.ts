/**
 * @module The parts of an alert's outbox key that every instance and restart must derive alike
 * (docs/architecture.md §12): the window a budget alert stands for, and the limits it is relative to.
 */
import type { BudgetWindow } from "../types.ts";
import { isoSeconds } from "./payload.ts";
import { HOUR_MS } from "./spike.ts";

const ROLLING = /^(\d+)([mhd])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS };

/**
 * The window part of a budget alert's key. A rolling window's start moves with the clock, so the key uses the
 * start rounded down to a multiple of the window's length: every instance and restart names the same period, and
 * an alert goes out at most once per such period.
 */
export function windowKey(window: BudgetWindow, windowStart: string | null): string {
  if (windowStart === null) return "total";
  const m = ROLLING.exec(window);
  const start = Date.parse(windowStart);
  if (m === null || Number.isNaN(start)) return windowStart;
  const length = Number(m[1]) * UNIT_MS[m[2]!]!;
  return length > 0 ? isoSeconds(start - (start % length)) : windowStart;
}

/** The limits a budget alert is relative to, in its key: a limit changed mid-window arms its alerts again. */
export function limitKey(limitUsd: string | null, limitTokens: number | null): string {
  return [limitUsd === null ? "" : `usd=${limitUsd}`, limitTokens === null ? "" : `tokens=${limitTokens}`]
    .filter(Boolean).join(",");
}
