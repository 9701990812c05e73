/**
 * @module One webhook POST: a time limit, a cut that ends it early, and no redirects followed. A 3xx answer is a
 * failed attempt (`redirect: "manual"`): a webhook URL that moved is fixed in the configuration, and a redirect
 * loop costs the receiver one request per attempt, not a fetch's default twenty per attempt.
 */

export interface PostOptions {
  fetch: typeof fetch;
  /** One attempt's limit, so a receiver that never answers cannot hold a delivery forever. */
  timeoutMs: number;
  /** Aborted when stopping has waited long enough: the attempt in flight is cut. */
  cut: AbortSignal;
}

/** Where a webhook goes, without its path: a Slack webhook URL's path is its secret. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}

/** A fetch error's text without the webhook's URL (Deno's quotes it whole), its path being a secret. */
export function scrub(reason: string, url: string): string {
  let path = "";
  try {
    path = new URL(url).pathname;
  } catch {
    // An unparsable URL is replaced whole below.
  }
  let text = reason.split(url).join(hostOf(url));
  if (path.length > 1) text = text.split(path).join("/…");
  return text;
}

/** "" on a 2xx answer, else why not (scrubbed of the URL's path). */
export async function postOnce(url: string, body: string, options: PostOptions): Promise<string> {
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
      redirect: "manual",
      signal: controller.signal,
    });
    // The answer's body is not needed; releasing it frees the connection.
    await res.body?.cancel().catch(() => {});
    if (res.ok) return "";
    return res.status >= 300 && res.status < 400 ? `HTTP ${res.status}, a redirect (not followed)` : `HTTP ${res.status}`;
  } catch (err) {
    return controller.signal.aborted && !options.cut.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : scrub(err instanceof Error ? err.message : String(err), url);
  } finally {
    clearTimeout(timer);
    options.cut.removeEventListener("abort", abort);
  }
}
