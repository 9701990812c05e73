/// <reference lib="dom" />
/**
 * @module "Every panel's data loaded and drawn", as a mark on the page: `document.body.dataset.ready` holds the
 * milliseconds since navigation (performance.now()) at which the last panel drew for the current view, and is
 * removed while any panel loads. bench/dashboard-render.ts and the browser tests wait on it. Each step is also a
 * User Timing mark ("loading keys", "loaded keys", "ready"), so the bench can tell which panel came last.
 */

const waiting = new Set<string>();

/** A panel has started loading: the view is not complete until it calls `markLoaded` with the same name. */
export function markLoading(part: string): void {
  waiting.add(part);
  performance.mark(`loading ${part}`);
  delete document.body.dataset.ready;
}

/**
 * Call after the panel's new state is set. The mark is placed a frame later: by then Preact has rendered (a
 * microtask) and the chart's effect has drawn, and the page is painted on that frame.
 */
export function markLoaded(part: string): void {
  waiting.delete(part);
  performance.mark(`loaded ${part}`);
  if (waiting.size > 0) return;
  requestAnimationFrame(() => {
    if (waiting.size > 0) return;
    document.body.dataset.ready = String(Math.round(performance.mark("ready").startTime));
  });
}
