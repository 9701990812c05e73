/**
 * @module Spend-spike detection: hourly spend (integer pico-USD, bigint) for the current hour and the 168 before it. The
 * trailing average is recomputed only when the hour changes (or late spend lands in a past hour), so each settle
 * is one addition and one comparison against a precomputed trigger.
 */
import type { SpendBucket } from "../types.ts";

export const HOUR_MS = 3_600_000;
/** The trailing window the average is taken over: 7 days of full hours. */
export const HISTORY_HOURS = 168;

export interface SpikeMeter {
  /** Adds `costPico` spent at `at` (epoch ms); returns the hour's start when this makes the hour a spike, else -1. */
  add(at: number, costPico: bigint): number;
  /** Seeds from the store's hourly buckets and arms detection (spend added before this is kept). */
  seed(buckets: readonly SpendBucket[], now: number): void;
  /** Spend of the current hour and the level it had to exceed, for the alert. */
  readonly current: bigint;
  readonly trigger: bigint;
}

/**
 * `factorMillis` is the spike factor × 1000 (an integer, so the trigger is exact); a spike is spend above both
 * `factor × sum(previous 168 hours) / 168` and `minPico`.
 */
export function createSpikeMeter(factorMillis: number, minPico: bigint): SpikeMeter {
  /** Past hours' spend by hour start (at most HISTORY_HOURS entries once pruned). */
  const past = new Map<number, bigint>();
  let hour = -1;
  let current = 0n;
  /** Spend must exceed this (pico) for the current hour to be a spike. */
  let trigger = minPico;
  /** The hour already reported, so one hour raises one alert. */
  let firedHour = -1;
  /** No spike is reported before the history is seeded: an empty history would make any hour over the minimum one. */
  let armed = false;

  const recompute = () => {
    let sum = 0n;
    for (const [h, pico] of past) {
      if (h < hour - HISTORY_HOURS * HOUR_MS) past.delete(h);
      else sum += pico;
    }
    // floor(x) < n ⇔ x < n for an integer n, so the floored trigger is exact for integer spend.
    const average = sum * BigInt(factorMillis) / BigInt(HISTORY_HOURS * 1000);
    trigger = average > minPico ? average : minPico;
  };

  const roll = (to: number) => {
    if (hour >= 0 && current > 0n) past.set(hour, current);
    hour = to;
    current = past.get(to) ?? 0n;
    past.delete(to);
    recompute();
  };

  return {
    add(at, costPico) {
      const h = at - (at % HOUR_MS);
      if (h > hour) roll(h);
      if (h === hour) {
        current += costPico;
        if (current > trigger && firedHour !== hour && armed) {
          firedHour = hour;
          return hour;
        }
      } else if (h >= hour - HISTORY_HOURS * HOUR_MS) {
        // An exchange that started in an earlier hour finished now: it counts where it started, as in the store.
        past.set(h, (past.get(h) ?? 0n) + costPico);
        recompute();
      }
      return -1;
    },
    seed(buckets, now) {
      const start = now - (now % HOUR_MS);
      for (const b of buckets) {
        const h = b.at - (b.at % HOUR_MS);
        if (h > start || b.cost_pico <= 0n) continue;
        past.set(h, (past.get(h) ?? 0n) + b.cost_pico);
      }
      // Spend settled before the history arrived joins it (the lead starts the alerter before serving).
      const live = hour;
      if (live >= 0) past.set(live, (past.get(live) ?? 0n) + current);
      hour = -1;
      current = 0n;
      roll(Math.max(start, live));
      armed = true;
    },
    get current() {
      return current;
    },
    get trigger() {
      return trigger;
    },
  };
}
