/**
 * @module Reconciliation's tables (src/store/schema.ts migration 5, src/store/pg/reconcile-schema.ts), the same SQL
 * on both stores: provider rows replaced day by day at every pull (a restated day loses the rows that vanished),
 * the provider's key list, and the key hints Kestrel recorded in flight: digests only, never a character of a key
 * (src/reconcile/hint.ts).
 */
import type { Row, SqlValue } from "../store/db.ts";
import type { Query } from "../store/queries.ts";
import type { CostClass } from "../pricing/cost.ts";
import type { Exec } from "./exec.ts";
import { TOKEN_KINDS, type ProviderCost, type ProviderKey, type ProviderUsage, type Pull } from "./types.ts";

/** What is stored for one provider over a span of days. */
export interface Stored {
  /** Day → when it was last pulled (ISO) and whether its costs came too. */
  pulled: Map<string, { at: string; costs: boolean }>;
  usage: ProviderUsage[];
  costs: ProviderCost[];
  keys: ProviderKey[];
  /** Kestrel's key fingerprints with the digests of their masked forms. */
  hints: { fingerprint: string; digests: string[] }[];
}

export interface ReconcileStore {
  /** Remembers the masked forms' digests of one of Kestrel's keys (insert-once: the first sighting stays). */
  putKeyHint(fingerprint: string, provider: string, digests: readonly string[], at: number): Promise<void>;
  /** Replaces the stored rows of `pull.days` (and the key list when it came), in one transaction. */
  savePull(provider: string, pull: Pull, at: number): Promise<void>;
  /** The days of `[fromDay, toDay)` pulled so far: day → when, and whether its costs came too. */
  pulled(provider: string, fromDay: string, toDay: string): Promise<Stored["pulled"]>;
  /** Everything stored for the UTC days `[fromDay, toDay)`. */
  load(provider: string, fromDay: string, toDay: string): Promise<Stored>;
}

/** Key columns hold '' for "none": SQL's NULL is never equal to itself, so it cannot be part of a primary key. */
const key = (v: string | null): string => v ?? "";
const orNull = (v: SqlValue | undefined): string | null => (v === null || v === undefined || v === "" ? null : String(v));
const num = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const big = (v: SqlValue | undefined): bigint =>
  typeof v === "bigint" ? v : typeof v === "number" || typeof v === "string" ? BigInt(v) : 0n;

const USAGE_COLUMNS = ["provider", "day", "model", "api_key_id", "project", "service_tier", "context_window", "requests",
  ...TOKEN_KINDS, "web_search_requests", "units"] as const;
const INSERT_USAGE = `INSERT INTO reconcile_usage (${USAGE_COLUMNS.join(", ")}) VALUES (${
  USAGE_COLUMNS.map((c) => `$${c}`).join(", ")
})`;
const INSERT_COST = `INSERT INTO reconcile_costs (provider, day, line, model, kind, service_tier, project, amount_pico)
  VALUES ($provider, $day, $line, $model, $kind, $service_tier, $project, CAST($amount AS BIGINT))`;

/** Lines that share every key column are one line (a provider may split a group over pages). */
function mergeUsage(rows: readonly ProviderUsage[]): ProviderUsage[] {
  const out = new Map<string, ProviderUsage>();
  for (const r of rows) {
    const id = JSON.stringify([r.day, r.model, key(r.api_key_id), key(r.project), key(r.service_tier), key(r.context_window)]);
    const seen = out.get(id);
    if (seen === undefined) {
      out.set(id, { ...r, units: { ...r.units } });
      continue;
    }
    for (const k of TOKEN_KINDS) seen[k] += r[k];
    seen.web_search_requests += r.web_search_requests;
    seen.requests = seen.requests === null || r.requests === null ? null : seen.requests + r.requests;
    for (const [u, n] of Object.entries(r.units)) seen.units[u] = (seen.units[u] ?? 0) + n;
  }
  return [...out.values()];
}

function mergeCosts(rows: readonly ProviderCost[]): ProviderCost[] {
  const out = new Map<string, ProviderCost>();
  for (const r of rows) {
    const id = JSON.stringify([r.day, r.line, key(r.model), key(r.kind), key(r.service_tier), key(r.project)]);
    const seen = out.get(id);
    if (seen === undefined) out.set(id, { ...r });
    else seen.amount_pico += r.amount_pico;
  }
  return [...out.values()];
}

export function createReconcileStore(exec: Exec): ReconcileStore {
  const RANGE = "provider = $provider AND day >= $from AND day < $to";
  const pulled = async (provider: string, from: string, to: string) => {
    const rows = await exec.all({ sql: `SELECT day, pulled_at, costs FROM reconcile_days WHERE ${RANGE}`, params: { provider, from, to } });
    return new Map(rows.map((d) => [String(d.day), { at: String(d.pulled_at), costs: num(d.costs) === 1 }]));
  };

  return {
    putKeyHint: (fingerprint, provider, digests, at) =>
      exec.batch([{
        sql: `INSERT INTO reconcile_key_hints (provider, fingerprint, digests, first_seen) VALUES ($provider, $fingerprint,
          $digests, $at) ON CONFLICT (provider, fingerprint) DO NOTHING`,
        params: { provider, fingerprint, digests: digests.join(" "), at: new Date(at).toISOString() },
      }]),

    savePull(provider, pull, at) {
      const days = new Set(pull.days);
      const queries: Query[] = [];
      const pulledAt = new Date(at).toISOString();
      for (const day of days) {
        queries.push({ sql: "DELETE FROM reconcile_usage WHERE provider = $provider AND day = $day", params: { provider, day } });
        if (pull.costs !== null) {
          queries.push({ sql: "DELETE FROM reconcile_costs WHERE provider = $provider AND day = $day", params: { provider, day } });
        }
        queries.push({
          // A day whose costs did not come keeps the costs of its last pull, and says so.
          sql: `INSERT INTO reconcile_days (provider, day, pulled_at, costs) VALUES ($provider, $day, $at, $costs)
            ON CONFLICT (provider, day) DO UPDATE SET pulled_at = excluded.pulled_at,
            costs = CASE WHEN excluded.costs = 1 THEN 1 ELSE reconcile_days.costs END`,
          params: { provider, day, at: pulledAt, costs: pull.costs === null ? 0 : 1 },
        });
      }
      for (const u of mergeUsage(pull.usage.filter((u) => days.has(u.day)))) {
        const params: Record<string, SqlValue> = {
          provider,
          day: u.day,
          model: u.model,
          api_key_id: key(u.api_key_id),
          project: key(u.project),
          service_tier: key(u.service_tier),
          context_window: key(u.context_window),
          requests: u.requests,
          web_search_requests: u.web_search_requests,
          units: JSON.stringify(u.units),
        };
        for (const k of TOKEN_KINDS) params[k] = u[k];
        queries.push({ sql: INSERT_USAGE, params });
      }
      for (const c of mergeCosts((pull.costs ?? []).filter((c) => days.has(c.day)))) {
        queries.push({
          sql: INSERT_COST,
          params: {
            provider,
            day: c.day,
            line: c.line,
            model: key(c.model),
            kind: key(c.kind),
            service_tier: key(c.service_tier),
            project: key(c.project),
            amount: c.amount_pico.toString(),
          },
        });
      }
      if (pull.keys !== null) {
        queries.push({ sql: "DELETE FROM reconcile_keys WHERE provider = $provider", params: { provider } });
        const ids = new Set<string>();
        for (const k of pull.keys) {
          if (ids.has(k.api_key_id)) continue;
          ids.add(k.api_key_id);
          queries.push({
            sql: `INSERT INTO reconcile_keys (provider, api_key_id, digest, name, project)
              VALUES ($provider, $api_key_id, $digest, $name, $project)`,
            params: { provider, api_key_id: k.api_key_id, digest: key(k.digest), name: k.name, project: key(k.project) },
          });
        }
      }
      return exec.batch(queries);
    },

    pulled,

    async load(provider, fromDay, toDay) {
      const params = { provider, from: fromDay, to: toDay };
      const [days, usage, costs, keys, hints] = await Promise.all([
        pulled(provider, fromDay, toDay),
        exec.all({ sql: `SELECT * FROM reconcile_usage WHERE ${RANGE}`, params }),
        exec.all({ sql: `SELECT * FROM reconcile_costs WHERE ${RANGE}`, params }),
        exec.all({ sql: "SELECT * FROM reconcile_keys WHERE provider = $provider", params: { provider } }),
        exec.all({
          sql: "SELECT fingerprint, digests FROM reconcile_key_hints WHERE provider = $provider",
          params: { provider },
        }),
      ]);
      return {
        pulled: days,
        usage: usage.map(usageOf),
        costs: costs.map((r): ProviderCost => ({
          day: String(r.day),
          line: String(r.line),
          model: orNull(r.model),
          kind: orNull(r.kind) as CostClass | null,
          service_tier: orNull(r.service_tier),
          project: orNull(r.project),
          amount_pico: big(r.amount_pico),
        })),
        keys: keys.map((r): ProviderKey => ({
          api_key_id: String(r.api_key_id),
          digest: orNull(r.digest),
          name: orNull(r.name),
          project: orNull(r.project),
        })),
        hints: hints.map((r) => ({ fingerprint: String(r.fingerprint), digests: String(r.digests).split(" ") })),
      };
    },
  };
}

function usageOf(r: Row): ProviderUsage {
  const u = {
    day: String(r.day),
    model: String(r.model),
    api_key_id: orNull(r.api_key_id),
    project: orNull(r.project),
    service_tier: orNull(r.service_tier),
    context_window: orNull(r.context_window),
    requests: r.requests === null || r.requests === undefined ? null : Number(r.requests),
    web_search_requests: num(r.web_search_requests),
    units: JSON.parse(String(r.units ?? "{}")) as Record<string, number>,
  } as ProviderUsage;
  for (const k of TOKEN_KINDS) u[k] = num(r[k]);
  return u;
}
