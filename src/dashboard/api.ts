/// <reference lib="dom" />
/** @module The dashboard's only door to data: /api calls with the admin token kept for the browser session. */

const TOKEN_KEY = "kestrel.adminToken";

/** The API answered 401: the dashboard asks for a token. */
export class Unauthorized extends Error {}

export function savedToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return ""; // storage disabled: the token lives only until reload
  }
}

let memoryToken = savedToken();

export function setToken(token: string): void {
  memoryToken = token;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: keep it in memory
  }
}

/** GET /api/… as JSON; throws Unauthorized on 401 and an Error with the API's message otherwise. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (memoryToken !== "") headers.authorization = `Bearer ${memoryToken}`;
  const res = await fetch(path, signal ? { headers, signal } : { headers });
  if (res.status === 401) throw new Unauthorized("The admin token was refused");
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const message = (body as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(message ?? `${path}: HTTP ${res.status}`);
  }
  return body as T;
}

/** A query string from the set members only. */
export function query(params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) q.set(name, value);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

// The shapes the dashboard reads (a subset of what /api answers).

export interface Totals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cache_write_1h_tokens?: number;
  audio_input_tokens?: number;
  audio_output_tokens?: number;
  cost_usd: string;
  unpriced_requests: number;
}

export interface Group extends Totals {
  key: string | null;
  group?: string | null;
}

export interface Usage {
  groups: Group[];
  total: Totals;
}

export interface RequestRecord {
  id: string;
  ts: string;
  provider: string;
  model: string | null;
  method: string;
  path: string;
  status: number;
  outcome: string;
  streaming: boolean;
  duration_ms: number | null;
  ttfb_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: string | null;
  priced: boolean;
  user: string | null;
  project: string | null;
  key_id: string | null;
  [field: string]: unknown;
}

export interface RequestPage {
  requests: RequestRecord[];
  next_before: string | null;
}

export interface BudgetView {
  id: string;
  scope: Record<string, string>;
  window: string;
  limit_usd: string | null;
  limit_tokens: number | null;
  action: string;
  spent_usd: string;
  spent_tokens: number;
  resets_at: string | null;
}

export interface RateLimitView {
  id: string;
  scope: Record<string, string>;
  rpm: number | null;
  tpm: number | null;
  /** Live counts in the sliding minute (src/control/types.ts RateLimitState); absent until the server loads it. */
  state?: { requests: number; tokens: number; full_on: "rpm" | "tpm" | null; frees_at: string | null } | null;
}
