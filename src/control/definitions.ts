/**
 * @module Budget and rate-limit definitions from JSON (config file, API, CLI). A minimal stand-in on the
 * budgets-api branch: the control branch's full version replaces this file at merge.
 */
import { SCOPE_KEYS, type Budget, type RateLimit, type Scope } from "./types.ts";

/** A bad definition; `field` names the member at fault. */
export class DefinitionError extends Error {
  override name = "DefinitionError";
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(field: string, message: string): never {
  throw new DefinitionError(field, `"${field}" ${message}`);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(key, "is not a known field");
}

function id(value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    fail("id", "must be 1-64 characters of letters, digits, '.', '_' or '-'");
  }
  return value;
}

function scope(value: unknown): Scope {
  if (value === undefined) return {};
  if (!isObject(value)) fail("scope", "must be an object");
  const out: Scope = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) fail(`scope.${key}`, "is not a scope key");
    if (typeof v !== "string" || v === "") fail(`scope.${key}`, "must be a non-empty string");
    out[key as keyof Scope] = v;
  }
  return out;
}

function count(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) fail(field, "must be a positive integer");
  return value;
}

export function parseBudget(value: unknown): Budget {
  if (!isObject(value)) fail("budget", "must be a JSON object");
  checkKeys(value, ["id", "scope", "window", "limit_usd", "limit_tokens", "action", "alert_at", "timezone", "unpriced"]);
  const window = value.window;
  if (typeof window !== "string" || !/^(day|week|month|total|[1-9]\d*[mhd])$/.test(window)) {
    fail("window", "must be day, week, month, total or a length like 90m, 24h, 7d");
  }
  const limitUsd = value.limit_usd ?? null;
  if (limitUsd !== null && (typeof limitUsd !== "string" || !/^\d+(\.\d{1,12})?$/.test(limitUsd))) {
    fail("limit_usd", "must be a decimal string like \"50\" or \"0.25\"");
  }
  const limitTokens = count(value.limit_tokens, "limit_tokens");
  if (limitUsd === null && limitTokens === null) fail("limit_usd", "or \"limit_tokens\" is required");
  const action = value.action ?? "block";
  if (action !== "block" && action !== "alert") fail("action", "must be block or alert");
  const alertAt = value.alert_at ?? [];
  if (!Array.isArray(alertAt) || alertAt.some((x, i) => typeof x !== "number" || !(x > 0 && x <= 1) || (i > 0 && x <= alertAt[i - 1]))) {
    fail("alert_at", "must be ascending fractions in (0, 1]");
  }
  const timezone = value.timezone ?? "UTC";
  if (typeof timezone !== "string") fail("timezone", "must be an IANA time zone name");
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    fail("timezone", "must be an IANA time zone name");
  }
  const unpriced = value.unpriced ?? "allow";
  if (unpriced !== "allow" && unpriced !== "block") fail("unpriced", "must be allow or block");
  return {
    id: id(value.id),
    scope: scope(value.scope),
    window: window as Budget["window"],
    limit_usd: limitUsd,
    limit_tokens: limitTokens,
    action,
    alert_at: alertAt as number[],
    timezone,
    unpriced,
  };
}

export function parseRateLimit(value: unknown): RateLimit {
  if (!isObject(value)) fail("rate_limit", "must be a JSON object");
  checkKeys(value, ["id", "scope", "rpm", "tpm"]);
  const rpm = count(value.rpm, "rpm");
  const tpm = count(value.tpm, "tpm");
  if (rpm === null && tpm === null) fail("rpm", "or \"tpm\" is required");
  return { id: id(value.id), scope: scope(value.scope), rpm, tpm };
}
