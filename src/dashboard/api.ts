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

/** POST/PATCH /api/… with a JSON body; the answer as JSON (null for 204). Errors as getJson's. */
export async function sendJson<T>(method: "POST" | "PATCH", path: string, body: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/json" };
  if (memoryToken !== "") headers.authorization = `Bearer ${memoryToken}`;
  const res = await fetch(path, { method, headers, body: JSON.stringify(body) });
  if (res.status === 401) throw new Unauthorized("The admin token was refused");
  const answer = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error((answer as { error?: { message?: string } } | null)?.error?.message ?? `${path}: HTTP ${res.status}`);
  return answer as T;
}

/** A query string from the set members only. */
export function query(params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) q.set(name, value);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

// The shapes /api answers, from the server's own definitions. Type-only: nothing of the server is bundled.
export type { RequestPage, UsageGroup as Group, UsageReport as Usage, UsageTotals as Totals } from "../store/queries.ts";
export type { UsageRecord as RequestRecord } from "../usage/record.ts";
export type { BudgetView, RateLimitView } from "../routes/api-budgets.ts";
export type { KeyView } from "../keys/types.ts";
export type { Report as ReconcileReport, ReportRow as ReconcileRow } from "../reconcile/report.ts";
