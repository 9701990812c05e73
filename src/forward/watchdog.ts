/**
 * @module Idle timeouts without a timer per chunk: each watched request stamps `last` when bytes move, and one
 * sweep (running only while something is watched, stopping at the first sweep that finds nothing) fires
 * `onIdle` for the ones silent too long.
 */

export interface Watched {
  /** Last time bytes moved, in the watchdog's clock. */
  last: number;
  onIdle(): void;
}

export interface Watchdog {
  readonly limitMs: number;
  now(): number;
  watch(item: Watched): void;
  unwatch(item: Watched): void;
  /** Stops the sweep (shutdown). */
  stop(): void;
}

export function createWatchdog(limitMs: number, now: () => number = () => performance.now()): Watchdog {
  const active = new Set<Watched>();
  const period = Math.max(20, Math.min(1000, Math.floor(limitMs / 4)));
  let timer: ReturnType<typeof setInterval> | null = null;

  const sweep = () => {
    const t = now();
    for (const item of active) {
      if (t - item.last >= limitMs) {
        active.delete(item);
        item.onIdle();
      }
    }
    if (active.size === 0) stop();
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  return {
    limitMs,
    now,
    watch(item) {
      active.add(item);
      timer ??= setInterval(sweep, period);
    },
    unwatch(item) {
      // The sweep stops the timer once it finds nothing watched: stopping here would restart it per request.
      active.delete(item);
    },
    stop() {
      active.clear();
      stop();
    },
  };
}
