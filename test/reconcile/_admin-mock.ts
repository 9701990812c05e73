/**
 * Mock OpenAI and Anthropic upstreams that serve chat traffic (as the real APIs answer it) and their admin APIs
 * built from the documented shapes (docs/architecture.md §19): usage and cost reports from the traffic they
 * served plus what a scenario adds, one bucket per page (has_more / next_page), keys one per page (last_id),
 * OpenAI amounts as JSON numbers of USD, Anthropic amounts as decimal strings of cents.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { usd } from "../../src/pricing/money.ts";

export interface Line {
  day: string;
  /** The provider's key id; null: usage without a key (Anthropic's Console). */
  keyId: string | null;
  model: string;
  /** OpenAI: input (cached included), cached, output. Anthropic: uncached, read, write5m, write1h, output. */
  tokens: Record<string, number>;
}

/** USD per 1M tokens, as decimal text, per token kind of the mock's cost lines. */
export type PriceList = Record<string, Record<string, string>>;

export interface AdminState {
  /** What the mock served, by key id; filled as traffic arrives. */
  served: Line[];
  /** Scenario: usage the provider also reports (bypass traffic). */
  extra: Line[];
  /** Scenario: the provider's own prices (its bill). */
  prices: PriceList;
  /** Scenario: leave the last served line out of the usage report (data that arrives late). */
  late: boolean;
  /** Every admin request: path and the admin header's value. */
  adminCalls: { path: string; auth: string | undefined }[];
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Pico-USD per token for a price in USD per 1M tokens ("0.15" → 150,000). */
const perToken = (text: string) => BigInt(Math.round(Number(text) * 1e6));

function days(startMs: number, endMs: number): string[] {
  const out: string[] = [];
  for (let t = startMs; t < endMs; t += 86_400_000) out.push(dayOf(t));
  return out;
}

function json(res: ServerResponse, body: unknown, text?: string) {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(text ?? JSON.stringify(body));
}

/** One bucket per page: `page` is the index of the bucket to send. */
function paged(url: URL, buckets: unknown[]) {
  const i = Number(url.searchParams.get("page") ?? "0");
  const more = i + 1 < buckets.length;
  return { object: "page", data: buckets.slice(i, i + 1), has_more: more, next_page: more ? String(i + 1) : null };
}

function reported(state: AdminState): Line[] {
  const served = state.late ? state.served.slice(0, -1) : state.served;
  return [...served, ...state.extra];
}

/** Sums lines per (day, key, model). */
function grouped(lines: Line[]): Line[] {
  const out = new Map<string, Line>();
  for (const l of lines) {
    const id = JSON.stringify([l.day, l.keyId, l.model]);
    const seen = out.get(id);
    if (!seen) out.set(id, { ...l, tokens: { ...l.tokens } });
    else for (const [k, v] of Object.entries(l.tokens)) seen.tokens[k] = (seen.tokens[k] ?? 0) + v;
  }
  return [...out.values()];
}

/** Billed pico-USD per (day, model, kind) at the scenario's prices. */
function bill(state: AdminState, kinds: (t: Record<string, number>) => Record<string, number>) {
  const out: { day: string; model: string; kind: string; pico: bigint }[] = [];
  for (const l of grouped(reported(state).map((l) => ({ ...l, keyId: null })))) {
    for (const [kind, n] of Object.entries(kinds(l.tokens))) {
      const price = state.prices[l.model]?.[kind];
      if (price !== undefined && n > 0) out.push({ day: l.day, model: l.model, kind, pico: BigInt(n) * perToken(price) });
    }
  }
  return out;
}

export function newState(prices: PriceList): AdminState {
  return { served: [], extra: [], prices, late: false, adminCalls: [] };
}

/** OpenAI: chat completions on `keys` (secret → key id), and the organization admin API. */
export function openAiHandler(state: AdminState, keys: Map<string, string>, usage: Record<string, number>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://mock");
    const auth = req.headers.authorization?.replace(/^Bearer /, "");
    if (url.pathname === "/v1/chat/completions") {
      const model = "gpt-4o-mini-2024-07-18";
      state.served.push({ day: dayOf(Date.now()), keyId: keys.get(auth ?? "") ?? "key_?", model, tokens: { ...usage } });
      return json(res, {
        id: "chatcmpl-1", object: "chat.completion", model,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input! + usage.output!, prompt_tokens_details: { cached_tokens: usage.cached } },
      });
    }
    state.adminCalls.push({ path: url.pathname, auth });
    const start = Number(url.searchParams.get("start_time")) * 1000;
    const end = Number(url.searchParams.get("end_time")) * 1000;
    if (url.pathname === "/v1/organization/usage/completions") {
      const lines = grouped(reported(state));
      return json(res, paged(url, days(start, end).map((day) => ({
        object: "bucket", start_time: Date.parse(day) / 1000, end_time: Date.parse(day) / 1000 + 86400,
        results: lines.filter((l) => l.day === day).map((l) => ({
          object: "organization.usage.completions.result", input_tokens: l.tokens.input, input_cached_tokens: l.tokens.cached,
          output_tokens: l.tokens.output, input_audio_tokens: 0, output_audio_tokens: 0, num_model_requests: l.tokens.requests,
          project_id: "proj_1", user_id: null, api_key_id: l.keyId, model: l.model, batch: false, service_tier: "default",
        })),
      }))));
    }
    if (url.pathname === "/v1/organization/usage/embeddings") return json(res, paged(url, []));
    if (url.pathname === "/v1/organization/costs") {
      const lines = bill(state, (t) => ({ "input": t.input! - t.cached!, "cached input": t.cached!, "output": t.output! }));
      const buckets = days(start, end).map((day) => ({
        object: "bucket", start_time: Date.parse(day) / 1000, end_time: Date.parse(day) / 1000 + 86400,
        results: lines.filter((l) => l.day === day).map((l) => ({
          object: "organization.costs.result", amount: { value: `@${usd(l.pico)}@`, currency: "usd" }, line_item: `${l.model}, ${l.kind}`, project_id: "proj_1",
        })),
      }));
      // Amounts as JSON numbers of USD, written with every digit (no double would keep them all).
      return json(res, null, JSON.stringify(paged(url, buckets)).replace(/"@([0-9.]+)@"/g, "$1"));
    }
    if (url.pathname === "/v1/organization/projects") {
      return json(res, { object: "list", data: [{ id: "proj_1", object: "organization.project", name: "p", status: "active" }], has_more: false, last_id: "proj_1" });
    }
    if (url.pathname === "/v1/organization/projects/proj_1/api_keys") {
      const list = [...keys].map(([secret, id]) => ({ object: "organization.project.api_key", id, name: id, redacted_value: `${secret.slice(0, 8)}...${secret.slice(-4)}` }));
      const after = url.searchParams.get("after");
      const i = after === null ? 0 : list.findIndex((k) => k.id === after) + 1;
      return json(res, { object: "list", data: list.slice(i, i + 1), has_more: i + 1 < list.length, last_id: list[i]?.id });
    }
    res.writeHead(404).end();
  };
}

/** Anthropic: messages on `keys` (secret → key id), and the Admin API. */
export function anthropicHandler(state: AdminState, keys: Map<string, string>, usage: Record<string, number>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://mock");
    const key = req.headers["x-api-key"] as string | undefined;
    if (url.pathname === "/v1/messages") {
      const model = "claude-sonnet-4-20250514";
      state.served.push({ day: dayOf(Date.now()), keyId: keys.get(key ?? "") ?? "apikey_?", model, tokens: { ...usage } });
      return json(res, {
        id: "msg_1", type: "message", role: "assistant", model, content: [{ type: "text", text: "ok" }], stop_reason: "end_turn",
        usage: {
          input_tokens: usage.uncached, cache_read_input_tokens: usage.read, cache_creation_input_tokens: usage.write5m! + usage.write1h!,
          cache_creation: { ephemeral_5m_input_tokens: usage.write5m, ephemeral_1h_input_tokens: usage.write1h }, output_tokens: usage.output,
        },
      });
    }
    state.adminCalls.push({ path: url.pathname, auth: key });
    const start = Date.parse(url.searchParams.get("starting_at") ?? "");
    const end = Date.parse(url.searchParams.get("ending_at") ?? "");
    if (url.pathname === "/v1/organizations/usage_report/messages") {
      const lines = grouped(reported(state));
      return json(res, paged(url, days(start, end).map((day) => ({
        starting_at: `${day}T00:00:00Z`, ending_at: new Date(Date.parse(day) + 86_400_000).toISOString(),
        results: lines.filter((l) => l.day === day).map((l) => ({
          uncached_input_tokens: l.tokens.uncached, cache_read_input_tokens: l.tokens.read,
          cache_creation: { ephemeral_5m_input_tokens: l.tokens.write5m, ephemeral_1h_input_tokens: l.tokens.write1h },
          output_tokens: l.tokens.output, server_tool_use: { web_search_requests: 0 }, api_key_id: l.keyId,
          workspace_id: "wrkspc_1", model: l.model, service_tier: "standard", context_window: "0-200k",
        })),
      }))));
    }
    if (url.pathname === "/v1/organizations/cost_report") {
      const types: Record<string, string> = {
        uncached: "uncached_input_tokens", read: "cache_read_input_tokens", write5m: "cache_creation.ephemeral_5m_input_tokens",
        write1h: "cache_creation.ephemeral_1h_input_tokens", output: "output_tokens",
      };
      const lines = bill(state, (t) => Object.fromEntries(Object.keys(types).map((k) => [k, t[k] ?? 0])));
      return json(res, paged(url, days(start, end).map((day) => ({
        starting_at: `${day}T00:00:00Z`, ending_at: new Date(Date.parse(day) + 86_400_000).toISOString(),
        // Cents, as a decimal string.
        results: lines.filter((l) => l.day === day).map((l) => ({
          amount: usd(l.pico * 100n), currency: "USD", cost_type: "tokens", description: `${l.model} ${l.kind}`, model: l.model,
          service_tier: "standard", token_type: types[l.kind], context_window: "0-200k", workspace_id: "wrkspc_1",
        })),
      }))));
    }
    if (url.pathname === "/v1/organizations/api_keys") {
      const list = [...keys].map(([secret, id]) => ({ id, type: "api_key", name: id, status: "active", workspace_id: "wrkspc_1", partial_key_hint: `${secret.slice(0, 16)}...${secret.slice(-4)}` }));
      const after = url.searchParams.get("after_id");
      const i = after === null ? 0 : list.findIndex((k) => k.id === after) + 1;
      return json(res, { data: list.slice(i, i + 1), has_more: i + 1 < list.length, first_id: list[i]?.id, last_id: list[i]?.id });
    }
    res.writeHead(404).end();
  };
}
