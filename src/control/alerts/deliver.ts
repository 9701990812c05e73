/** @module One webhook POST with retries: exponential backoff, a per-attempt timeout, and a stop that ends it early. */

export interface PostOptions {
  fetch: typeof fetch;
  /** Attempts in all (the issue: 5). */
  attempts: number;
  /** Wait before the 2nd attempt; doubled before each further one. */
  baseDelayMs: number;
  /** One attempt's limit, so a receiver that never answers cannot hold an alert forever. */
  timeoutMs: number;
  /** Aborted when stopping begins: no further attempt is made and a backoff wait ends. */
  stop: AbortSignal;
  /** Aborted when stopping has waited long enough: the attempt in flight is cut. */
  cut: AbortSignal;
  onRetry(): void;
}

/** `ok`; `stopped` (the alert stays undelivered in the outbox, resumed at the next start); or why it failed. */
export type PostResult = { ok: true } | { ok: false; stopped: boolean; reason: string };

const STOPPED: PostResult = { ok: false, stopped: true, reason: "stopped" };

export async function postWithRetries(url: string, body: string, options: PostOptions): Promise<PostResult> {
  let reason = "";
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await pause(options.baseDelayMs * 2 ** (attempt - 2), options.stop);
    if (options.stop.aborted) return STOPPED;
    if (attempt > 1) options.onRetry();
    reason = await postOnce(url, body, options);
    if (reason === "") return { ok: true };
    if (options.stop.aborted) return STOPPED;
  }
  return { ok: false, stopped: false, reason };
}

/** "" on a 2xx answer, else the reason. */
async function postOnce(url: string, body: string, options: PostOptions): Promise<string> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, options.timeoutMs);
  if (options.cut.aborted) abort();
  options.cut.addEventListener("abort", abort, { once: true });
  try {
    const res = await options.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: controller.signal,
    });
    // The answer's body is not needed; releasing it frees the connection.
    await res.body?.cancel().catch(() => {});
    return res.ok ? "" : `HTTP ${res.status}`;
  } catch (err) {
    return controller.signal.aborted && !options.cut.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    options.cut.removeEventListener("abort", abort);
  }
}

/** Waits `ms`, or less when `stop` aborts. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
  });
}
