/**
 * @module What both stores (SQLite, PostgreSQL) do the same way around their different writers: problem reports
 * throttled, a full or closed queue refused, the flusher's timer, daily retention, and the last flush attempts at
 * close.
 */
import { ROLLUP_MS } from "./rollup.ts";

/**
 * `onError` at most once per `intervalMs`; the next message says how many were suppressed. `force` (the last word
 * at shutdown) is never suppressed. Never throws.
 */
export function throttledReport(
  onError: ((message: string) => void) | undefined,
  intervalMs: number,
  now: () => number,
): (message: string, force?: boolean) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (message, force = false) => {
    const t = now();
    if (!force && t - last < intervalMs) {
      suppressed++;
      return;
    }
    last = t;
    const text = suppressed > 0 ? `${message} (${suppressed} similar messages suppressed)` : message;
    suppressed = 0;
    try {
      onError?.(text);
    } catch {
      // A failing logger must not stop the flusher.
    }
  };
}

/** Why `add()` refused a record. */
export function refusalText(closed: boolean, maxQueue: number, dropped: number): string {
  return closed
    ? `Usage record dropped: the store is closed (${dropped} dropped so far)`
    : `Usage queue full (${maxQueue} records): dropping records (${dropped} dropped so far)`;
}

export const DAY_MS = 86_400_000;

/** The `ts` before which records are older than `retentionDays` (canonical ISO, as stored). */
export function retentionCutoff(now: number, retentionDays: number): string {
  return new Date(now - retentionDays * DAY_MS).toISOString();
}

/** The first rollup bucket to keep when rollup rows older than `days` days go (a whole bucket, never a part). */
export function rollupCutoff(now: number, days: number): string {
  const ms = now - days * DAY_MS;
  return new Date(ms - (ms % ROLLUP_MS)).toISOString();
}

/**
 * Prunes now and every 24 h: raw records while `retentionDays` is a positive number, rollup rows while
 * `rollupDays` is. The result stops it.
 */
export function dailyPrune(
  retentionDays: number | null | undefined,
  prune: (days: number) => Promise<number>,
  onError: (err: unknown) => void,
  rollupDays: number | null = null,
  pruneRollup: (days: number) => Promise<number> = () => Promise.resolve(0),
): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const raw = retentionDays !== null && retentionDays !== undefined && retentionDays > 0;
  const rollup = rollupDays !== null && rollupDays > 0;
  if (raw || rollup) {
    const run = (): void => {
      timer = setTimeout(run, DAY_MS);
      (async () => {
        if (raw) await prune(retentionDays);
        if (rollup) await pruneRollup(rollupDays);
      })().catch(onError);
    };
    timer = setTimeout(run, 0);
  }
  return () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
}

const CLOSE_ATTEMPTS = 3;

/** Tries `flushAll` up to three times, a short pause between, while records are pending; resolves either way. */
export async function drainAtClose(flushAll: () => Promise<void>, pending: () => number, retryMs: number): Promise<void> {
  for (let attempt = 1; pending() > 0; attempt++) {
    try {
      await flushAll();
    } catch {
      if (attempt >= CLOSE_ATTEMPTS) return;
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(retryMs, 1000)));
    }
  }
}

/** The flusher's one timer (`onTimer` runs when it fires). */
export interface FlushTimer {
  /** Asks for a turn in `delay` ms: a pending turn stays, except that a 0 ms request replaces an interval one. */
  schedule(delay: number): void;
  /** No turn from now on (close). */
  stop(): void;
}

export function flushTimer(onTimer: () => void): FlushTimer {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let urgent = false; // the pending timer is a 0 ms one
  let stopped = false;
  const fire = () => {
    timer = null;
    urgent = false;
    onTimer();
  };
  return {
    schedule(delay) {
      if (stopped) return;
      if (timer !== null) {
        // Anything but a 0 ms request is already due soon enough.
        if (urgent || delay > 0) return;
        clearTimeout(timer);
      }
      urgent = delay === 0;
      timer = setTimeout(fire, delay);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
