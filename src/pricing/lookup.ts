/**
 * @module Model id (as the response reports it) → table row. Forgiving only where it is provably the same
 * price; otherwise no match, because a wrong price is worse than none. There is NO prefix or substring matching
 * (`gpt-4o` never finds `gpt-4o-mini`) and no guessing across families or providers. The rules, in order:
 *
 * 1. Spelling, not guessing: trim; URL-decode (Bedrock ids arrive encoded in the path); drop resource paths
 *    (`models/…`, `publishers/google/models/…`, `projects/…/models/…`); Bedrock ARNs give their model or
 *    inference-profile id. Application profiles, provisioned and custom models do not name a model: only a row
 *    keyed by the whole ARN (a `--prices` override) prices them; otherwise unpriced with the reason (arnGap).
 * 2. The provider's key prefixes (providers.ts): `gemini/`, `xai/`, `openrouter/`, … — same model, same seller.
 * 3. Case-insensitive equality, unless two keys differ only in case (Together has such a pair).
 * 4. Vertex Claude snapshot `claude-x-20250929` ↔ `claude-x@20250929`: one snapshot, two spellings.
 * 5. OpenAI build tags `gpt-3.5-turbo-instruct:20230824-v2` → `gpt-3.5-turbo-instruct`: the tag names a
 *    deployment build of the billed model. Never for `ft:` ids (fine-tunes have their own, higher prices).
 * 6. Bedrock `-v1:0`-style version suffix dropped when the table names the model without one.
 * 7. Bedrock inference profile (`us.`, `eu.`, `apac.`, `au.`, `jp.`, `global.`, `us-gov.`) → the base model id,
 *    only when every profile of that model the table knows has the base price (AWS prices many profiles
 *    alike; where the table shows one that differs, an unknown profile could differ too: no match).
 * 8. Dated snapshot → its undated alias (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` →
 *    `claude-sonnet-4-5`), only when every dated snapshot of that alias the table knows has the alias's price
 *    (the family never changed price, so the unknown snapshot almost surely did not either). `gpt-4o` itself
 *    fails this test (2024-05-13 was $5/$15), so an unknown gpt-4o snapshot stays unpriced.
 * 9. Azure only: the same id in the OpenAI partition (providers.ts says why).
 * Fine-tunes `ft:<base>:<org>:<name>:<id>` are billed at the table's `ft:<base>` row (rule 1 of §21), and never
 * at the base model's rates: without an `ft:<base>` row they are unpriced, with that reason (fineTuneBase).
 */
import { NAMESPACES, type PriceNamespace } from "./providers.ts";
import type { PriceTable } from "./table.ts";
import type { ModelPrice, PriceEntry } from "./types.ts";

export interface Match {
  /** Table key used. */
  key: string;
  entry: PriceEntry;
  /** Partition the key was found in (differs from the request's provider only for rule 9). */
  provider: string;
  /** Which rule matched (for describe and tests). */
  rule: string;
}

const DEFAULT_NS: PriceNamespace = { litellm: [], prefixes: [""] };
const RESOURCE_PATH = /^(?:projects\/[^/]+\/locations\/[^/]+\/)?(?:publishers\/[^/]+\/)?models\//;
const BEDROCK_ARN = /^arn:aws[\w-]*:bedrock:([\w-]*):\d*:(foundation-model|inference-profile|system-defined-inference-profile)\/(.+)$/;
const BUILD_TAG = /^([^:]+):\d{8}(?:-v\d+)?$/;
const BEDROCK_VERSION = /^(.+)-v\d+(?::\d+)?$/;
const PROFILE_NAMES = "(?:us|eu|apac|au|jp|ca|global|us-gov)";
const PROFILE = new RegExp(`^(${PROFILE_NAMES})\\.(.+)$`);
const DATE_SUFFIX = "(?:-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|@\\d{8})";
const DATED = new RegExp(`^(.+?)(${DATE_SUFFIX})$`);

/** Same price: every field but provenance. */
function samePrice(a: ModelPrice, b: ModelPrice): boolean {
  const strip = ({ lp: _lp, deprecated: _d, ...rest }: ModelPrice) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Splits a raw model string into the id to look up and, for Bedrock ARNs, the region it names. */
export function normalizeModelId(provider: string, raw: string): { id: string; region: string | null } | null {
  let id = raw.trim();
  if (id.includes("%")) {
    try {
      id = decodeURIComponent(id);
    } catch {
      // Not valid percent-encoding: keep the text as it is.
    }
  }
  let region: string | null = null;
  if (provider === "aws-bedrock" && id.startsWith("arn:")) {
    const m = BEDROCK_ARN.exec(id);
    if (m === null) return null; // application profile, provisioned or custom model: no model named
    region = m[1] || null;
    id = m[3] ?? "";
  }
  id = id.replace(RESOURCE_PATH, "");
  return id === "" ? null : { id, region };
}

export function lookupModel(table: PriceTable, provider: string, model: string, geo: string | null): Match | null {
  const norm = normalizeModelId(provider, model);
  if (norm === null) {
    const arn = arnGap(provider, model) === null ? null : table.find(provider, model.trim());
    return arn ? { ...arn, provider, rule: "ARN priced by its own row" } : null;
  }
  const ns = NAMESPACES[provider] ?? DEFAULT_NS;
  const zone = geo ?? norm.region;
  const prefixes = ns.prefixes.flatMap((p) => (p.includes("{geo}") ? (zone ? [p.replace("{geo}", zone)] : []) : [p]));

  const tryId = (id: string, rule: string): Match | null => {
    for (const prefix of prefixes) {
      const hit = table.find(provider, prefix + id);
      if (hit) return { ...hit, provider, rule: hit.key === prefix + id ? rule : `${rule}, case-insensitive` };
    }
    return null;
  };
  /** True when every key (under any of the prefixes) whose id matches `variant` has the price of `base`. */
  const familyAgrees = (base: Match, variant: RegExp): boolean => {
    for (const key of table.keys(provider)) {
      const prefix = prefixes.find((p) => key.startsWith(p) && variant.test(key.slice(p.length)));
      if (prefix === undefined) continue;
      const e = table.get(provider, key);
      if (e && !samePrice(e.price, base.entry.price)) return false;
    }
    return true;
  };

  const id = norm.id;
  let hit = tryId(id, "exact");
  if (hit) return hit;
  const ft = fineTuneBase(id);
  if (ft !== null) return tryId(`ft:${ft}`, "fine-tune → its ft: row");
  const dated = DATED.exec(id);
  const day = dated?.[2] && /^-\d{8}$/.test(dated[2]) ? dated[2].slice(1) : null;
  if (provider === "google-vertex-ai" && day && (hit = tryId(`${dated?.[1]}@${day}`, "vertex snapshot spelling"))) {
    return hit;
  }
  const tag = id.startsWith("ft:") ? null : BUILD_TAG.exec(id);
  if (tag?.[1] && (hit = tryId(tag[1], "build tag dropped"))) return hit;
  if (provider === "aws-bedrock") {
    const version = BEDROCK_VERSION.exec(id)?.[1];
    if (version && (hit = tryId(version, "version suffix dropped"))) return hit;
    const profile = PROFILE.exec(id)?.[2];
    const base = profile ? tryId(profile, "inference profile → base model") : null;
    if (base && profile && familyAgrees(base, new RegExp(`^${PROFILE_NAMES}\\.${escape(profile)}$`))) return base;
  }
  if (dated?.[1] && !id.startsWith("ft:")) {
    const base = tryId(dated[1], "dated snapshot → alias");
    if (base && familyAgrees(base, new RegExp(`^${escape(dated[1])}${DATE_SUFFIX}$`))) return base;
  }
  const fb = ns.fallback;
  const sub = fb ? lookupModel(table, fb.provider, model, null) : null;
  return sub && fb ? { ...sub, rule: `${sub.rule}, via ${fb.provider} (${fb.why})` } : null;
}

const OPAQUE_ARN = /^arn:aws[\w-]*:bedrock:[\w-]*:\d*:([\w-]+)\/.+$/;

/**
 * Why a Bedrock ARN in the model position cannot be priced from the table, or null when it is not such an ARN
 * (a foundation model or inference profile ARN names its model and is looked up by it).
 */
export function arnGap(provider: string, model: string): string | null {
  if (provider !== "aws-bedrock") return null;
  let id = model.trim();
  try {
    if (id.includes("%")) id = decodeURIComponent(id);
  } catch {
    // Not percent-encoded after all.
  }
  if (!id.startsWith("arn:") || BEDROCK_ARN.test(id)) return null;
  const kind = OPAQUE_ARN.exec(id)?.[1] ?? "unknown";
  switch (kind) {
    case "application-inference-profile":
      return "an application inference profile ARN does not name its model (its id is opaque): price it with a " +
        "--prices row keyed by the ARN";
    case "provisioned-model":
      return "a provisioned-throughput model is billed per model unit and hour, not per token";
    default:
      return `a Bedrock "${kind}" ARN names no model in the price table: price it with a --prices row keyed by the ARN`;
  }
}

/** The base model of a fine-tune id `ft:<base>:<org>:…`, or null when `id` is not one. */
export function fineTuneBase(id: string): string | null {
  const m = /^ft:([^:]+):/.exec(id);
  return m?.[1] ?? null;
}
