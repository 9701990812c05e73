/** @module The stores' problem reports: at most one per interval, with a count of what was held back. */

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
