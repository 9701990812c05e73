/**
 * @module Creating, changing and rotating Kestrel keys: one set of rules for the API (src/routes/api-keys.ts) and
 * the CLI (src/commands/keys.ts). A key's budget (`budget_usd` + `window`) and rpm/tpm become ordinary budget and
 * rate-limit definitions scoped `{"kestrel_key": id}` (src/attributes/scopes.ts), so spend control needs nothing new.
 */
import { parseBudget, parseRateLimit } from "../control/definitions.ts";
import type { Budget, RateLimit } from "../control/types.ts";
import { PROVIDER_IDS } from "../resolve/routes.ts";
import { displayPrefix, hashSecret, newKeyId, newSecret } from "./secret.ts";
import { canonicalGlob, type KestrelKey } from "./types.ts";

/** A bad field: the API answers 400 with it, the CLI prints it. */
export class KeyInputError extends Error {
  readonly code = "invalid_key";
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "KeyInputError";
  }
}

const CREATE_FIELDS = new Set([
  "name", "user", "project", "tags", "models", "providers", "expires", "expires_at", "rpm", "tpm", "budget_usd", "window",
  "allow_attribution_headers", "disabled",
]);
const PATCH_FIELDS = new Set([...CREATE_FIELDS].filter((f) => !["rpm", "tpm", "budget_usd", "window"].includes(f)));

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `24h`, `30m`, `45s` → milliseconds. */
export function parseSpan(value: string, field: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new KeyInputError(field, `must be a duration like 90d, 24h or 30m, got ${JSON.stringify(value)}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

const label = (v: unknown, field: string): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || v.trim() === "" || v.length > 200) throw new KeyInputError(field, "must be a non-empty string of at most 200 characters");
  return v.trim();
};

/** A list given as an array of strings or one comma-separated string. */
function list(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  const items = typeof v === "string" ? v.split(",") : v;
  if (!Array.isArray(items) || items.some((i) => typeof i !== "string")) throw new KeyInputError(field, "must be a list of strings");
  return [...new Set((items as string[]).map((i) => i.trim()).filter((i) => i !== ""))];
}

function object(body: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new KeyInputError("body", "must be a JSON object");
  for (const name of Object.keys(body)) if (!allowed.has(name)) throw new KeyInputError(name, "is not a key field");
  return body as Record<string, unknown>;
}

/** The fields a create or patch sets (only those given). */
function fields(o: Record<string, unknown>, now: number): Partial<KestrelKey> {
  const out: Partial<KestrelKey> = {};
  if ("name" in o) out.name = label(o.name, "name") ?? "";
  if ("user" in o) out.user = label(o.user, "user");
  if ("project" in o) out.project = label(o.project, "project");
  if ("tags" in o) out.tags = list(o.tags, "tags").sort();
  if ("models" in o) out.models = list(o.models, "models").map(canonicalGlob).filter((g) => g !== "");
  if ("providers" in o) {
    out.providers = list(o.providers, "providers").map((p) => p.toLowerCase());
    for (const p of out.providers) if (!PROVIDER_IDS.includes(p)) throw new KeyInputError("providers", `unknown provider ${JSON.stringify(p)}`);
  }
  if ("expires" in o) out.expires_at = o.expires === null ? null : now + parseSpan(String(o.expires), "expires");
  if ("expires_at" in o) {
    const at = o.expires_at === null ? null : Date.parse(String(o.expires_at));
    if (at !== null && Number.isNaN(at)) throw new KeyInputError("expires_at", "must be an ISO date-time or null");
    out.expires_at = at;
  }
  for (const flag of ["allow_attribution_headers", "disabled"] as const) {
    if (flag in o) {
      if (typeof o[flag] !== "boolean") throw new KeyInputError(flag, "must be true or false");
      out[flag] = o[flag] as boolean;
    }
  }
  return out;
}

/** The ids of the budget and rate limit a key's create made: removed with the key (its records stay). */
export const ownDefinitions = (id: string) => ({ budget: `${id}-budget`, rateLimit: `${id}-rate` });

export interface Created {
  key: KestrelKey;
  /** Shown once, never stored. */
  secret: string;
  budget: Budget | null;
  rateLimit: RateLimit | null;
}

export async function createKey(body: unknown, now: number): Promise<Created> {
  const o = object(body, CREATE_FIELDS);
  const given = fields(o, now);
  if (!given.name) throw new KeyInputError("name", "is required");
  const secret = newSecret();
  const key: KestrelKey = {
    id: newKeyId(),
    name: given.name,
    hash: await hashSecret(secret),
    prefix: displayPrefix(secret),
    previous_hash: null,
    previous_until: null,
    user: null,
    project: null,
    tags: [],
    models: [],
    providers: [],
    expires_at: null,
    disabled: false,
    allow_attribution_headers: false,
    created_at: now,
    ...given,
  };
  const scope = { kestrel_key: key.id };
  const wrap = <T>(field: string, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      throw new KeyInputError(field, err instanceof Error ? err.message : String(err));
    }
  };
  const budget = o.budget_usd === undefined ? null : wrap("budget_usd", () =>
    parseBudget({ id: ownDefinitions(key.id).budget, scope, limit_usd: String(o.budget_usd), window: o.window ?? "month" }));
  if (budget === null && o.window !== undefined) throw new KeyInputError("window", "needs budget_usd");
  const rateLimit = o.rpm === undefined && o.tpm === undefined ? null : wrap("rpm", () =>
    parseRateLimit({ id: ownDefinitions(key.id).rateLimit, scope, rpm: o.rpm === undefined ? undefined : Number(o.rpm), tpm: o.tpm === undefined ? undefined : Number(o.tpm) }));
  return { key, secret, budget, rateLimit };
}

export function patchKey(key: KestrelKey, body: unknown, now: number): KestrelKey {
  const given = fields(object(body, PATCH_FIELDS), now);
  if (given.name === "") throw new KeyInputError("name", "must not be empty");
  return { ...key, ...given };
}

/** A new secret under the same id; the old one keeps working for `graceMs` (0: stops now). */
export async function rotateKey(key: KestrelKey, graceMs: number, now: number): Promise<{ key: KestrelKey; secret: string }> {
  const secret = newSecret();
  return {
    secret,
    key: {
      ...key,
      hash: await hashSecret(secret),
      prefix: displayPrefix(secret),
      previous_hash: graceMs > 0 ? key.hash : null,
      previous_until: graceMs > 0 ? now + graceMs : null,
    },
  };
}
