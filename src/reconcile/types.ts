/**
 * @module What reconciliation reads from a provider's admin API and keeps (docs/architecture.md §19): usage per day,
 * model, API key and tier in Kestrel's token semantics; billed cost lines; the provider's key list with its masked form.
 */
import type { CostClass } from "../pricing/cost.ts";

/** The providers whose admin APIs Kestrel reads. */
export const RECONCILED = ["openai", "anthropic"] as const;
export type ReconciledProvider = (typeof RECONCILED)[number];

export const isReconciled = (provider: string): provider is ReconciledProvider =>
  (RECONCILED as readonly string[]).includes(provider);

/**
 * Token counts as Kestrel's records hold them (docs/architecture.md §4): `input_tokens` includes cache reads and
 * writes, `cache_write_tokens` every TTL, `output_tokens` the audio output.
 */
export const TOKEN_KINDS = [
  "input_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "output_tokens",
  "audio_input_tokens",
  "audio_output_tokens",
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
export type Tokens = Record<TokenKind, number>;

/** One provider usage line: a day × model × key × project × tier × context window, summed over its buckets. */
export interface ProviderUsage extends Tokens {
  /** UTC day, `2026-11-26`. */
  day: string;
  model: string;
  /** The provider's key id (`key_…`, `apikey_…`); null for usage no key made (Anthropic's Console). */
  api_key_id: string | null;
  /** OpenAI `project_id`, Anthropic `workspace_id`. */
  project: string | null;
  /** `batch`, `flex`, `priority`, …; null or `default`/`standard` for standard rates. */
  service_tier: string | null;
  /** Anthropic `context_window` (`0-200k`, `200k-1M`); null where the provider has none. */
  context_window: string | null;
  /** Requests the provider counted; null where it counts none (Anthropic). */
  requests: number | null;
  /** Server-side searches billed per call (Anthropic `server_tool_use.web_search_requests`). */
  web_search_requests: number;
  /**
   * Units beyond tokens (speech characters, transcription seconds, images) by name. Kestrel does not record them
   * yet (issue 23), so nothing fills or compares them; the column exists so adding them needs no migration.
   */
  units: Record<string, number>;
}

/** One billed line: the provider's amount for a day, attributed to a model and token class where it says so. */
export interface ProviderCost {
  day: string;
  /** The provider's own name for the line (OpenAI `line_item`, Anthropic `description` or `cost_type`). */
  line: string;
  /** Lower case; null when the line names no model (Anthropic web search and code execution, OpenAI tool lines). */
  model: string | null;
  /** The Kestrel cost class the line bills, or null when it is not one (code execution, an unknown line). */
  kind: CostClass | null;
  service_tier: string | null;
  project: string | null;
  /** Exact: OpenAI's USD number and Anthropic's decimal cents, as pico-USD. */
  amount_pico: bigint;
}

/** A key as the provider lists it: its id and the digest of its masked value (src/reconcile/hint.ts). Never the key. */
export interface ProviderKey {
  api_key_id: string;
  /**
   * `maskedDigest` of Anthropic's `partial_key_hint` (`sk-ant-api03-R2D...igAA`) or OpenAI's `redacted_value`
   * (`sk-abc...def`); null when that shows too little to link. The masked value itself holds key characters: not kept.
   */
  digest: string | null;
  name: string | null;
  project: string | null;
}

/** What one pull brought for a span of days; `costs` and `keys` are null when their endpoint failed (see notes). */
export interface Pull {
  days: readonly string[];
  usage: ProviderUsage[];
  costs: ProviderCost[] | null;
  keys: ProviderKey[] | null;
  notes: string[];
}

/** One provider's admin API behind one interface, so a newer endpoint (Anthropic's analytics API) is a new client. */
export interface AdminClient {
  readonly provider: ReconciledProvider;
  /** Usage for the UTC days `[fromDay, toDay)`, every page. */
  usage(fromDay: string, toDay: string): Promise<ProviderUsage[]>;
  costs(fromDay: string, toDay: string): Promise<ProviderCost[]>;
  keys(): Promise<ProviderKey[]>;
}

export interface ClientOptions {
  /** Sent in the provider's admin header only; never logged, stored or quoted in an error. */
  adminKey: string;
  /** Provider id → origin (`--upstream`): the admin API is asked there too. */
  upstreams: Readonly<Record<string, string>>;
  fetch: typeof fetch;
}

/**
 * Whether a provider's cost endpoint bills this class of this tier under the model's name. What it does not
 * (Anthropic's web search has no model there; its priority tier is absent) is counted at Kestrel's price (§19).
 */
export type BillsPerModel = (kind: CostClass, tier: string | null) => boolean;
