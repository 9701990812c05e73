/**
 * @module OpenAI's organization admin API (admin key as `Authorization: Bearer`): `/v1/organization/usage/
 * {completions,embeddings}`, `/v1/organization/costs` and the projects' key lists (docs/architecture.md §19).
 * Speech, transcription and image usage (characters, seconds, images) are not pulled: Kestrel records no such units
 * yet (issue 23), so their billed lines show as unattributed.
 */
import { decimalToScaledRounded } from "../pricing/decimal.ts";
import type { CostClass } from "../pricing/cost.ts";
import { dayOf, dayStart } from "./days.ts";
import { count, type Json, list, object, text } from "./fields.ts";
import { AdminApiError, afterLast, createAdminHttp, nextPage, type QueryPairs } from "./http.ts";
import { maskedDigest } from "./hint.ts";
import type { AdminClient, BillsPerModel, ClientOptions, ProviderCost, ProviderKey, ProviderUsage } from "./types.ts";

/** Usage endpoints read, and whether each reports the completions fields (cache, audio, tier, batch). */
const ENDPOINTS = [["completions", true], ["embeddings", false]] as const;

/**
 * OpenAI names a cost line `"<model>, <kind>"` (the documentation only shows other lines, such as `Image models`):
 * the kinds Kestrel prices are read, anything else stays the provider's text and is not attributed to a model.
 */
const LINE_KINDS: Record<string, CostClass> = {
  "input": "input",
  "cached input": "cache_read",
  "output": "output",
  "audio input": "audio_input",
  "input audio": "audio_input",
  "audio output": "audio_output",
  "output audio": "audio_output",
};

const seconds = (day: string) => String(dayStart(day) / 1000);

export function createOpenAiClient(options: ClientOptions): AdminClient {
  const http = createAdminHttp({
    provider: "openai",
    headers: { authorization: `Bearer ${options.adminKey}` },
    upstreams: options.upstreams,
    fetch: options.fetch,
    decimalKeys: ["value"],
  });

  const window = (fromDay: string, toDay: string, limit: number): QueryPairs => [
    ["start_time", seconds(fromDay)],
    ["end_time", seconds(toDay)],
    ["bucket_width", "1d"],
    ["limit", String(limit)],
  ];

  /** Each bucket's results with the bucket's UTC day. */
  function results(pages: Json[], where: string): [string, Json][] {
    const out: [string, Json][] = [];
    for (const page of pages) {
      for (const bucket of list(page, "data", where)) {
        const start = bucket.start_time;
        if (typeof start !== "number" || !Number.isFinite(start)) throw new AdminApiError(`${where}: a bucket has no start_time`);
        for (const r of list(bucket, "results", where)) out.push([dayOf(start * 1000), r]);
      }
    }
    return out;
  }

  return {
    provider: "openai",
    async usage(fromDay, toDay) {
      const out: ProviderUsage[] = [];
      for (const [endpoint, chat] of ENDPOINTS) {
        const path = `/v1/organization/usage/${endpoint}`;
        const where = `OpenAI ${path}`;
        const groups = ["model", "api_key_id", "project_id", ...(chat ? ["service_tier", "batch"] : [])];
        const query = [...window(fromDay, toDay, 31), ...groups.map((g) => ["group_by[]", g] as const)];
        for (const [day, r] of results(await http.pages(path, query, nextPage), where)) {
          const model = text(r, "model");
          if (model === null) continue; // not grouped by model: nothing to compare it with
          out.push({
            day,
            model: model.toLowerCase(),
            api_key_id: text(r, "api_key_id"),
            project: text(r, "project_id"),
            service_tier: r.batch === true ? "batch" : text(r, "service_tier"),
            context_window: null,
            requests: count(r, "num_model_requests", where),
            // `input_tokens` includes the cached ones, as Kestrel's records do (docs/architecture.md §4).
            input_tokens: count(r, "input_tokens", where),
            cache_read_tokens: count(r, "input_cached_tokens", where),
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            output_tokens: count(r, "output_tokens", where),
            audio_input_tokens: count(r, "input_audio_tokens", where),
            audio_output_tokens: count(r, "output_audio_tokens", where),
            web_search_requests: 0,
            units: {},
          });
        }
      }
      return out;
    },

    async costs(fromDay, toDay) {
      const path = "/v1/organization/costs";
      const where = `OpenAI ${path}`;
      const query = [...window(fromDay, toDay, 180), ["group_by[]", "line_item"] as const, ["group_by[]", "project_id"] as const];
      return results(await http.pages(path, query, nextPage), where).map(([day, r]): ProviderCost => {
        const amount = object(r, "amount");
        const currency = amount && text(amount, "currency");
        if (currency !== null && currency !== undefined && currency.toLowerCase() !== "usd") {
          throw new AdminApiError(`${where}: amounts in ${JSON.stringify(currency)} cannot be compared with USD`);
        }
        const value = amount?.value;
        const pico = typeof value === "string" ? decimalToScaledRounded(value, 12) : value === undefined ? 0n : null;
        if (pico === null) throw new AdminApiError(`${where}: amount ${JSON.stringify(value)} is not a number`);
        const line = text(r, "line_item") ?? "(all)";
        const m = /^(.+),\s*([a-z ]+)$/i.exec(line);
        const kind = m ? LINE_KINDS[(m[2] as string).trim().toLowerCase()] ?? null : null;
        return {
          day,
          line,
          model: m && kind !== null ? (m[1] as string).trim().toLowerCase() : null,
          kind,
          service_tier: null,
          project: text(r, "project_id"),
          amount_pico: pico,
        };
      });
    },

    async keys() {
      const where = "OpenAI /v1/organization/projects";
      const projects = (await http.pages("/v1/organization/projects", [["limit", "100"], ["include_archived", "true"]], afterLast("after")))
        .flatMap((page) => list(page, "data", where));
      const out: ProviderKey[] = [];
      for (const project of projects) {
        const id = text(project, "id");
        if (id === null) continue;
        const path = `/v1/organization/projects/${encodeURIComponent(id)}/api_keys`;
        for (const page of await http.pages(path, [["limit", "100"]], afterLast("after"))) {
          for (const k of list(page, "data", `OpenAI ${path}`)) {
            const keyId = text(k, "id");
            const masked = text(k, "redacted_value");
            if (keyId !== null && masked !== null) out.push({ api_key_id: keyId, digest: await maskedDigest(masked), name: text(k, "name"), project: id });
          }
        }
      }
      return out;
    },
  };
}

/** OpenAI bills every token class of every tier under the model's line. */
export const openAiBillsPerModel: BillsPerModel = () => true;
