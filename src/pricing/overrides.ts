/**
 * @module User price files, merged over the embedded table (an override replaces the whole row).
 *
 * Two formats, told apart per entry by `litellm_provider`:
 * - LiteLLM's own (`{"my-model": {"litellm_provider": "openai", "input_cost_per_token": 3e-6, …}}`), USD per token;
 * - native, keyed `provider/model` with USD per MILLION tokens:
 *   `{"openai/gpt-x": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75, "cache_write_1h": 6}}`
 *   plus `reasoning`, `audio_input`, `audio_output`, `web_search` (USD per 1,000 calls), `mode`,
 *   `tiers: [{"above": 200000, "input": 6, …}]` and `flex` / `priority` / `batch` objects of the same fields;
 *   units that are not tokens in USD per unit: `character`, `second` (of audio, or of compute: Replicate), `image`, `query`, `request`
 *   (`{"elevenlabs/eleven_multilingual_v2": {"character": 0.00018}}`: docs/architecture.md §21).
 * A file with any error is refused whole, naming the file, the line and the key at fault.
 */
import { decimalToScaled } from "./decimal.ts";
import { type JsonNode, JsonSyntaxError, parseJsonSource } from "./json-source.ts";
import { convertLiteLLMRow, RATE_CLASSES } from "./litellm-row.ts";
import { KESTREL_PROVIDER_OF, NAMESPACES } from "./providers.ts";
import {
  MAX_TOKEN_RATE_PICO,
  type ModelPrice,
  type PriceEntry,
  PRICE_MODES,
  type PriceMode,
  type PriceOverrides,
  type RateSet,
  type Rates,
  type TierRates,
  UNIT_RATES,
  type UnitRates,
} from "./types.ts";

const NATIVE_RATE: Readonly<Record<string, keyof Rates>> = {
  ...Object.fromEntries(RATE_CLASSES.map((c) => [c, c])),
  cache_write: "cache_write_5m",
};
const MODES: ReadonlySet<string> = new Set(PRICE_MODES);
const UNITS: ReadonlySet<string> = new Set(UNIT_RATES);

class FieldError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

export function parsePriceOverrides(text: string, fileName: string): PriceOverrides {
  const fail = (line: number, message: string): never => {
    throw new Error(`Invalid price file "${fileName}": line ${line}${message ? `, ${message}` : ""}`);
  };
  let root: JsonNode;
  try {
    root = parseJsonSource(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      const what = e.message.replace(/ at line \d+$/, "");
      return fail(e.line, what.charAt(0).toLowerCase() + what.slice(1));
    }
    throw e;
  }
  if (root.kind !== "object") return fail(root.line, "the file must be a JSON object");
  const entries = new Map<string, Map<string, PriceEntry>>();
  for (const [key, node, keyLine] of root.entries) {
    const at = (line: number, message: string) => fail(line, `key "${key}": ${message}`);
    if (node.kind !== "object") return at(keyLine, "must be an object");
    const isLiteLLM = node.entries.some(([f]) => f === "litellm_provider");
    const where = `override from "${fileName}" line ${keyLine}`;
    try {
      const [provider, tableKey, price] = isLiteLLM ? fromLiteLLM(key, node) : fromNative(key, node, keyLine);
      let part = entries.get(provider);
      if (part === undefined) entries.set(provider, (part = new Map()));
      part.set(tableKey, { price, origin: "override", notes: [where] });
    } catch (e) {
      if (e instanceof FieldError) return at(e.line, e.message);
      throw e;
    }
  }
  return { entries, fingerprint: fnv1a(text), files: [fileName] };
}

/** Several files, later ones winning. */
export function mergePriceOverrides(list: PriceOverrides[]): PriceOverrides {
  const entries = new Map<string, Map<string, PriceEntry>>();
  for (const o of list) {
    for (const [p, rows] of o.entries) entries.set(p, new Map([...(entries.get(p) ?? []), ...rows]));
  }
  return { entries, fingerprint: fnv1a(list.map((o) => o.fingerprint).join("+")), files: list.flatMap((o) => o.files) };
}

function fromLiteLLM(key: string, node: Extract<JsonNode, { kind: "object" }>): [string, string, ModelPrice] {
  const lineOf = (field: string) => node.entries.find(([f]) => f === field)?.[2] ?? node.line;
  const lpNode = node.entries.find(([f]) => f === "litellm_provider")?.[1];
  const lp = lpNode?.kind === "string" ? lpNode.value : "";
  const provider = KESTREL_PROVIDER_OF.get(lp);
  if (provider === undefined) {
    throw new FieldError(lineOf("litellm_provider"), `"litellm_provider" "${lp}" is not a provider Kestrel prices`);
  }
  const row = convertLiteLLMRow(node, "chat");
  const first = row.problems[0];
  if (first) throw new FieldError(lineOf(first.field), first.message);
  if (row.skip || row.price === null) throw new FieldError(node.line, `cannot price tokens (${row.skip ?? "no price"})`);
  return [provider, key, row.price];
}

function fromNative(key: string, node: Extract<JsonNode, { kind: "object" }>, keyLine: number): [string, string, ModelPrice] {
  const slash = key.indexOf("/");
  if (slash <= 0 || slash === key.length - 1) {
    throw new FieldError(keyLine, `must be "provider/model" (or a LiteLLM row with "litellm_provider")`);
  }
  const provider = key.slice(0, slash);
  const model = key.slice(slash + 1);
  const price = rateSet(node, true) as ModelPrice;
  const units = UNIT_RATES.some((u) => price[u] !== undefined);
  if (!units && (price.input === undefined || price.output === undefined)) {
    throw new FieldError(keyLine, `"input" and "output" are required (or a per-unit rate: ${UNIT_RATES.join(", ")})`);
  }
  price.mode ??= "chat";
  price.lp = "override";
  const prefix = (NAMESPACES[provider]?.prefixes ?? [""]).find((p) => !p.includes("{geo}")) ?? "";
  return [provider, prefix + model, price];
}

function rateSet(node: Extract<JsonNode, { kind: "object" }>, top: boolean): RateSet & Partial<ModelPrice> {
  const out: RateSet & Partial<ModelPrice> = {};
  for (const [field, v, line] of node.entries) {
    const cls = NATIVE_RATE[field];
    if (cls !== undefined) out[cls] = tokenRate(v, line, field);
    else if (field === "tiers" && v.kind === "array") out.tiers = v.items.map(tierOf).sort((a, b) => a.above - b.above);
    else if (top && field === "web_search") out.web_search = usdPer(v, line, field, 9);
    else if (top && UNITS.has(field)) {
      const rate = usdPer(v, line, field, 12);
      if (field === "second" && rate % 1000 !== 0) throw new FieldError(line, `"second" must be exact to 1e-9 USD (a millisecond's price)`);
      out[field as keyof UnitRates] = rate;
    }
    else if (top && field === "mode" && v.kind === "string" && MODES.has(v.value)) out.mode = v.value as PriceMode;
    else if (top && (field === "flex" || field === "priority" || field === "batch") && v.kind === "object") {
      out[field] = rateSet(v, false);
    } else throw new FieldError(line, `"${field}" is not a known price field`);
  }
  return out;
}

function tierOf(node: JsonNode): TierRates {
  if (node.kind !== "object") throw new FieldError(node.line, `"tiers" items must be objects`);
  const aboveNode = node.entries.find(([f]) => f === "above");
  const above = aboveNode?.[1].kind === "number" ? Number(aboveNode[1].text) : NaN;
  if (!Number.isSafeInteger(above) || above < 0) {
    throw new FieldError(aboveNode?.[2] ?? node.line, `"above" must be a whole number of tokens`);
  }
  const rest = { ...node, entries: node.entries.filter(([f]) => f !== "above") };
  const rates = rateSet(rest, false);
  if (rates.tiers) throw new FieldError(node.line, `"tiers" cannot nest`);
  return { ...rates, above };
}

/** USD per million tokens → pico-USD per token, at most MAX_TOKEN_RATE_PICO. */
function tokenRate(v: JsonNode, line: number, field: string): number {
  const rate = usdPer(v, line, field, 6);
  if (rate > MAX_TOKEN_RATE_PICO) {
    throw new FieldError(line, `"${field}" must be at most ${MAX_TOKEN_RATE_PICO / 1_000_000} USD per million tokens`);
  }
  return rate;
}

/** USD per million (scale 6) or per thousand calls (scale 9) → exact pico-USD per token or call. */
function usdPer(v: JsonNode, line: number, field: string, scale: number): number {
  const n = v.kind === "number" ? decimalToScaled(v.text, scale) : null;
  if (n === null || n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FieldError(line, `"${field}" must be a non-negative number${n === null && v.kind === "number" ? " exact to 1e-12 USD" : ""}`);
  }
  return Number(n);
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
