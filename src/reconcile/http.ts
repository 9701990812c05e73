/**
 * @module GET on a provider's admin API: the origin follows `--upstream` / `KESTREL_UPSTREAM_<NAME>` like every
 * proxied request (src/resolve/resolve.ts), every page is followed, and a failure is one plain sentence that never
 * holds the admin key. Amounts the provider sends as JSON numbers are kept as their decimal text (exact money).
 */
import { createResolver } from "../resolve/resolve.ts";
import { describeError, redact } from "../redact.ts";

export class AdminApiError extends Error {
  override name = "AdminApiError";
}

export type QueryPairs = readonly (readonly [string, string])[];

export interface AdminHttp {
  /** One page: the parsed body. */
  get(path: string, query: QueryPairs): Promise<Record<string, unknown>>;
  /**
   * Every page: `next` reads a page's cursor (the query pair to send for the following page) or null on the
   * last. A cursor that repeats is refused rather than followed forever.
   */
  pages(path: string, query: QueryPairs, next: (page: Record<string, unknown>) => readonly [string, string] | null): Promise<Record<string, unknown>[]>;
}

export interface AdminHttpOptions {
  provider: string;
  /** Sent on every request (the admin key's header). Never logged or quoted. */
  headers: Record<string, string>;
  /** Provider id → origin (the config's `upstreams`). */
  upstreams: Readonly<Record<string, string>>;
  fetch: typeof fetch;
  /** One request's limit (default 30 s). */
  timeoutMs?: number;
  /** Members whose number values are read as decimal text, not as doubles (OpenAI's `amount.value`). */
  decimalKeys?: readonly string[];
}

/** More pages than any real window needs (a 31-day page size over years); a runaway cursor stops here. */
const MAX_PAGES = 10_000;
const ENV_NAME: Record<string, string> = { openai: "OPENAI_ADMIN_KEY", anthropic: "ANTHROPIC_ADMIN_KEY" };

/**
 * `"value": 0.06` → `"value": "0.06"` for the named members, before JSON.parse turns the number into a double.
 * Inside a JSON string a quote is always escaped, so `"value"` followed by a colon can only be a member name.
 */
export function quoteDecimals(text: string, names: readonly string[]): string {
  if (names.length === 0) return text;
  const member = new RegExp(`("(?:${names.join("|")})"\\s*:\\s*)(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)`, "g");
  return text.replace(member, '$1"$2"');
}

export function createAdminHttp(options: AdminHttpOptions): AdminHttp {
  const resolve = createResolver(options.upstreams);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const name = options.provider === "openai" ? "OpenAI" : options.provider === "anthropic" ? "Anthropic" : options.provider;

  async function get(path: string, query: QueryPairs): Promise<Record<string, unknown>> {
    const search = new URLSearchParams(query.map(([k, v]) => [k, v])).toString();
    const { url } = resolve(`/${options.provider}${path}`, search === "" ? "" : `?${search}`);
    const origin = new URL(url).origin;
    let res: Response;
    try {
      res = await options.fetch(url, {
        headers: { accept: "application/json", ...options.headers },
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AdminApiError(`${name} admin API at ${origin} did not answer ${path}: ${describeError(err)}`);
    }
    const text = await res.text().catch(() => "");
    if (res.status === 401 || res.status === 403) {
      throw new AdminApiError(
        `${name} admin API refused the admin key (HTTP ${res.status} for ${path}): check ${ENV_NAME[options.provider] ?? "the admin key"}`,
      );
    }
    if (!res.ok) {
      throw new AdminApiError(`${name} admin API answered HTTP ${res.status} for ${path}${detail(text)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(quoteDecimals(text, options.decimalKeys ?? []));
    } catch {
      throw new AdminApiError(`${name} admin API answered ${path} with a body that is not JSON`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new AdminApiError(`${name} admin API answered ${path} with JSON that is not an object`);
    }
    return body as Record<string, unknown>;
  }

  return {
    get,
    async pages(path, query, next) {
      const out: Record<string, unknown>[] = [];
      const cursors = new Set<string>();
      let cursor: readonly [string, string] | null = null;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await get(path, cursor === null ? query : [...query, cursor]);
        out.push(page);
        cursor = next(page);
        if (cursor === null) return out;
        if (cursors.has(cursor[1])) throw new AdminApiError(`${name} admin API repeated page cursor for ${path}`);
        cursors.add(cursor[1]);
      }
      throw new AdminApiError(`${name} admin API gave more than ${MAX_PAGES} pages for ${path}`);
    },
  };
}

/** The provider's own error message, one line and short: it helps, and an admin API does not echo keys. */
function detail(text: string): string {
  let message: unknown = null;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string };
    message = typeof body.error === "string" ? body.error : body.error?.message;
  } catch { /* not JSON: no detail */ }
  if (typeof message !== "string" || message === "") return "";
  return `: ${redact(message.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, 200))}`;
}

/** A page's `next_page` cursor sent back as `page` (both providers' usage and cost reports). */
export const nextPage = (page: Record<string, unknown>): readonly [string, string] | null =>
  page.has_more === true && typeof page.next_page === "string" && page.next_page !== "" ? ["page", page.next_page] : null;

/** A list's `last_id` sent back as `param` (key and project listings). */
export const afterLast = (param: string) => (page: Record<string, unknown>): readonly [string, string] | null =>
  page.has_more === true && typeof page.last_id === "string" && page.last_id !== "" ? [param, page.last_id] : null;
