/**
 * @module Budget and rate-limit definitions from JSON (config file, API, CLI): validated, defaults filled in,
 * unknown keys refused, `limit_usd` normalised to its exact shortest decimal ("50.00" → "50").
 */
import { decimalToScaled } from "../pricing/decimal.ts";
import { usd } from "../pricing/money.ts";
import { SCOPES } from "../attributes/scopes.ts";
import { type Budget, type BudgetWindow, type RateLimit, type Scope, SCOPE_KEYS, type ScopeKey } from "./types.ts";
import { isTimezone, parseWindow } from "./window.ts";

/** A bad definition; `field` names the offending member ("limit_usd", "scope.team"). */
export class DefinitionError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`"${field}" ${problem}`);
    this.name = "DefinitionError";
    this.field = field;
  }
}

const BUDGET_KEYS = new Set([
  "id", "scope", "window", "limit_usd", "limit_tokens", "action", "alert_at", "timezone", "unpriced",
]);
const RATE_LIMIT_KEYS = new Set(["id", "scope", "rpm", "tpm"]);
/** A trillion dollars: far above any real budget, and its pico-USD (1e24) still a bigint nobody has to think about. */
const MAX_LIMIT_USD = "1000000000000";
const MAX_LIMIT_PICO = 10n ** 24n;
/** Thresholds per budget: each is an alert key and a comparison per settle. */
const MAX_ALERT_AT = 20;
const MAX_SCOPE_VALUE = 256;
/** Usable in a URL path segment and a CLI argument without quoting. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DefinitionError(what, "must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function refuseUnknown(o: Record<string, unknown>, known: Set<string>): void {
  for (const key of Object.keys(o)) if (!known.has(key)) throw new DefinitionError(key, "is not a known field");
}

function id(value: unknown): string {
  if (typeof value !== "string" || !ID.test(value)) {
    throw new DefinitionError("id", "is required: 1-128 letters, digits, '.', '_', ':' or '-'");
  }
  return value;
}

/** Canonical: keys in scope-table order, values in their canonical form (a model's family, a provider's id). */
function scope(value: unknown): Scope {
  if (value === undefined || value === null) return {};
  const o = object(value, "scope");
  for (const key of Object.keys(o)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) {
      throw new DefinitionError(`scope.${key}`, `is not a scope key (${SCOPE_KEYS.join(", ")})`);
    }
  }
  const out: Scope = {};
  for (const key of SCOPE_KEYS) {
    const v = o[key];
    if (v === undefined) continue;
    const canonical = typeof v === "string" && v.length <= MAX_SCOPE_VALUE ? SCOPES[key].canonical(v.trim()) : null;
    if (canonical === null || canonical === "") {
      throw new DefinitionError(`scope.${key}`, `must be a non-empty string of at most ${MAX_SCOPE_VALUE} characters`);
    }
    out[key as ScopeKey] = canonical;
  }
  return out;
}

function count(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new DefinitionError(field, "must be a whole number ≥ 0, or null");
  }
  return value;
}

/**
 * A string, never a JSON number: a number has already lost digits past 2^53 before Kestrel sees it. At most
 * MAX_LIMIT_USD, so every limit stays a small exact integer of pico-USD and every figure derived from it short.
 */
function limitUsd(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const pico = typeof value === "string" && value.length <= 40 ? decimalToScaled(value, 12) : null;
  if (pico === null || pico < 0n || pico > MAX_LIMIT_PICO) {
    throw new DefinitionError(
      "limit_usd",
      `must be a decimal USD amount from 0 to ${MAX_LIMIT_USD} as a string (e.g. "50"), or null`,
    );
  }
  return usd(pico);
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new DefinitionError(field, `must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function alertAt(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ALERT_AT) {
    throw new DefinitionError("alert_at", `must be an array of at most ${MAX_ALERT_AT} fractions in (0, 1]`);
  }
  for (const v of value) {
    if (typeof v !== "number" || !(v > 0 && v <= 1)) {
      throw new DefinitionError("alert_at", "must be an array of fractions in (0, 1]");
    }
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

/** A budget definition, validated with defaults filled in; throws DefinitionError naming the field. */
export function parseBudget(value: unknown): Budget {
  const o = object(value, "budget");
  refuseUnknown(o, BUDGET_KEYS);
  const budgetId = id(o.id);
  const timezone = o.timezone === undefined || o.timezone === null ? "UTC" : o.timezone;
  if (typeof timezone !== "string" || !isTimezone(timezone)) {
    throw new DefinitionError("timezone", "must be an IANA timezone name (e.g. UTC, Europe/Paris)");
  }
  if (typeof o.window !== "string") throw new DefinitionError("window", "is required (day, week, month, total, 24h…)");
  const window = parseWindow(o.window, timezone);
  if (typeof window === "string") throw new DefinitionError("window", window);
  const limit_usd = limitUsd(o.limit_usd);
  const limit_tokens = count(o.limit_tokens, "limit_tokens");
  if (limit_usd === null && limit_tokens === null) {
    throw new DefinitionError("limit_usd", "or limit_tokens is required");
  }
  return {
    id: budgetId,
    scope: scope(o.scope),
    window: o.window as BudgetWindow,
    limit_usd,
    limit_tokens,
    action: oneOf(o.action, "action", ["block", "alert"], "block"),
    alert_at: alertAt(o.alert_at),
    timezone,
    unpriced: oneOf(o.unpriced, "unpriced", ["allow", "block"], "allow"),
  };
}

/** A rate-limit definition, validated; throws DefinitionError naming the field. */
export function parseRateLimit(value: unknown): RateLimit {
  const o = object(value, "rate_limit");
  refuseUnknown(o, RATE_LIMIT_KEYS);
  const limitId = id(o.id);
  const rpm = count(o.rpm, "rpm");
  const tpm = count(o.tpm, "tpm");
  if (rpm === null && tpm === null) throw new DefinitionError("rpm", "or tpm is required");
  return { id: limitId, scope: scope(o.scope), rpm, tpm };
}
