/**
 * @module Anthropic's Admin API (admin key in `x-api-key`, `anthropic-version: 2023-06-01`):
 * `/v1/organizations/usage_report/messages`, `/v1/organizations/cost_report` (amounts are decimal strings in
 * cents) and `/v1/organizations/api_keys` (each key's `partial_key_hint`). docs/architecture.md §19.
 */
import { decimalToScaledRounded } from "../pricing/decimal.ts";
import type { CostClass } from "../pricing/cost.ts";
import { dayOf, dayStart } from "./days.ts";
import { count, type Json, list, object, text } from "./fields.ts";
import { AdminApiError, afterLast, createAdminHttp, nextPage, type QueryPairs } from "./http.ts";
import { maskedDigest } from "./hint.ts";
import type { AdminClient, BillsPerModel, ClientOptions, ProviderCost, ProviderKey, ProviderUsage } from "./types.ts";

/** The cost report's `token_type` → Kestrel's cost class. */
const TOKEN_TYPES: Record<string, CostClass> = {
  "uncached_input_tokens": "input",
  "cache_read_input_tokens": "cache_read",
  "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m",
  "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h",
  "output_tokens": "output",
};

/** Cents (the cost report's unit) → pico-USD: ×10^10, exact up to ten decimals of a cent. */
const CENT_DIGITS = 10;

const iso = (day: string) => new Date(dayStart(day)).toISOString().replace(".000Z", "Z");

export function createAnthropicClient(options: ClientOptions): AdminClient {
  const http = createAdminHttp({
    provider: "anthropic",
    headers: { "x-api-key": options.adminKey, "anthropic-version": "2023-06-01" },
    upstreams: options.upstreams,
    fetch: options.fetch,
  });

  const window = (fromDay: string, toDay: string): QueryPairs => [
    ["starting_at", iso(fromDay)],
    ["ending_at", iso(toDay)],
    ["bucket_width", "1d"],
    ["limit", "31"],
  ];

  function results(pages: Json[], where: string): [string, Json][] {
    const out: [string, Json][] = [];
    for (const page of pages) {
      for (const bucket of list(page, "data", where)) {
        const start = typeof bucket.starting_at === "string" ? Date.parse(bucket.starting_at) : NaN;
        if (Number.isNaN(start)) throw new AdminApiError(`${where}: a bucket has no starting_at`);
        for (const r of list(bucket, "results", where)) out.push([dayOf(start), r]);
      }
    }
    return out;
  }

  return {
    provider: "anthropic",
    async usage(fromDay, toDay) {
      const path = "/v1/organizations/usage_report/messages";
      const where = `Anthropic ${path}`;
      const groups = ["api_key_id", "model", "service_tier", "context_window", "workspace_id"];
      const query = [...window(fromDay, toDay), ...groups.map((g) => ["group_by[]", g] as const)];
      const out: ProviderUsage[] = [];
      for (const [day, r] of results(await http.pages(path, query, nextPage), where)) {
        const model = text(r, "model");
        if (model === null) continue;
        const creation = object(r, "cache_creation");
        const uncached = count(r, "uncached_input_tokens", where);
        const read = count(r, "cache_read_input_tokens", where);
        const write5m = count(creation, "ephemeral_5m_input_tokens", where);
        const write1h = count(creation, "ephemeral_1h_input_tokens", where);
        out.push({
          day,
          model: model.toLowerCase(),
          api_key_id: text(r, "api_key_id"),
          project: text(r, "workspace_id"),
          service_tier: text(r, "service_tier"),
          context_window: text(r, "context_window"),
          requests: null, // the usage report counts tokens, not requests
          // Kestrel's input includes the cache (docs/architecture.md §4); Anthropic reports the parts.
          input_tokens: uncached + read + write5m + write1h,
          cache_read_tokens: read,
          cache_write_tokens: write5m + write1h,
          cache_write_1h_tokens: write1h,
          output_tokens: count(r, "output_tokens", where),
          audio_input_tokens: 0,
          audio_output_tokens: 0,
          web_search_requests: count(object(r, "server_tool_use"), "web_search_requests", where),
          units: {},
        });
      }
      return out;
    },

    async costs(fromDay, toDay) {
      const path = "/v1/organizations/cost_report";
      const where = `Anthropic ${path}`;
      // Grouped by description, each line names its model, token type and tier; otherwise they are null.
      const query = [...window(fromDay, toDay), ["group_by[]", "description"] as const, ["group_by[]", "workspace_id"] as const];
      return results(await http.pages(path, query, nextPage), where).map(([day, r]): ProviderCost => {
        const currency = text(r, "currency");
        if (currency !== null && currency.toUpperCase() !== "USD") {
          throw new AdminApiError(`${where}: amounts in ${JSON.stringify(currency)} cannot be compared with USD`);
        }
        const amount = typeof r.amount === "number" ? String(r.amount) : r.amount;
        const pico = typeof amount === "string" ? decimalToScaledRounded(amount, CENT_DIGITS) : null;
        if (pico === null) throw new AdminApiError(`${where}: amount ${JSON.stringify(r.amount)} is not a decimal amount of cents`);
        const costType = text(r, "cost_type");
        const tokenType = text(r, "token_type");
        const kind = costType === "web_search" ? "web_search" : tokenType === null ? null : TOKEN_TYPES[tokenType] ?? null;
        const model = text(r, "model");
        return {
          day,
          line: text(r, "description") ?? costType ?? "(all)",
          model: model === null ? null : model.toLowerCase(),
          kind,
          service_tier: text(r, "service_tier"),
          project: text(r, "workspace_id"),
          amount_pico: pico,
        };
      });
    },

    async keys() {
      const path = "/v1/organizations/api_keys";
      const out: ProviderKey[] = [];
      for (const page of await http.pages(path, [["limit", "1000"]], afterLast("after_id"))) {
        for (const k of list(page, "data", `Anthropic ${path}`)) {
          const id = text(k, "id");
          const masked = text(k, "partial_key_hint");
          if (id !== null && masked !== null) out.push({ api_key_id: id, digest: await maskedDigest(masked), name: text(k, "name"), project: text(k, "workspace_id") });
        }
      }
      return out;
    },
  };
}

/**
 * The cost report attributes token classes to models, but web search has no model there and the priority tier is
 * not in it at all: those are counted at Kestrel's price (docs/architecture.md §19).
 */
export const anthropicBillsPerModel: BillsPerModel = (kind, tier) => kind !== "web_search" && tier?.toLowerCase() !== "priority";
