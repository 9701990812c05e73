/**
 * Generates src/pricing/data/prices.generated.json from LiteLLM's model_prices_and_context_window.json.
 *
 *   node_modules/.bin/bun scripts/gen-prices.ts INPUT [--out FILE] [--date YYYY-MM-DD]
 *                                               [--upstream-date YYYY-MM-DD --upstream TEXT]
 *
 * Keeps the rows of every mode in src/pricing/types.ts PRICE_MODES (token modes, and speech, transcription, images,
 * rerank and search priced per unit: docs/architecture.md §20) of the LiteLLM providers Kestrel serves
 * (src/pricing/providers.ts), converts every price to integer pico-USD from the number's decimal TEXT (never a
 * float multiply) and refuses to write anything when a value is not exact. Corrections are NOT applied here:
 * they live in src/pricing/corrections.ts and are applied when the table loads, so this file stays upstream's.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseJsonSource } from "../src/pricing/json-source.ts";
import { convertLiteLLMRow } from "../src/pricing/litellm-row.ts";
import { KESTREL_PROVIDER_OF } from "../src/pricing/providers.ts";
import { type ModelPrice, type PriceData, UNIT_RATES } from "../src/pricing/types.ts";

/** Inputs whose provenance is known, by sha256 (the snapshot the committed table was made from); any other file needs the flags. */
export const KNOWN_SOURCES: Record<string, { date: string; upstream: string }> = {
  "4c6858bb791bd06e91e767670a58e088190f19579d11785217aa418edfd4fe51": {
    date: "2026-07-24",
    upstream:
      "BerriAI/litellm model_prices_and_context_window.json (main, 2026-07-24T18:23:43Z), " +
      "litellm via RoCry/llm-api-price 8442b939a6ead479f7995b5d74d8dce488bd0966",
  },
};

/** Keys that are not model ids: LiteLLM's size buckets and provisioned-throughput commitments (per hour). */
const NOT_A_MODEL = /^(fireworks-ai-|together-ai-)|-commitment\//;

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {
    input: process.env.KESTREL_LITELLM_PRICES || new URL("data/litellm-model-prices.json", import.meta.url).pathname,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a.startsWith("--")) out[a.slice(2)] = argv[++i] ?? "";
    else out.input = a;
  }
  return out;
}

export interface GenerateResult {
  data: PriceData;
  body: string;
  /** Reason → keys of kept-provider rows that were not kept (modes other than the four are not listed). */
  skipped: Map<string, string[]>;
  /** Values that are not exact or not understood: when non-empty, nothing may be written. */
  problems: string[];
  otherProviders: number;
}

/** Pure: the source text and its provenance → the data file's content. */
export function generate(text: string, sha: string, upstreamDate: string, upstream: string, date: string): GenerateResult {
  const root = parseJsonSource(text);
  if (root.kind !== "object") throw new Error("The price file must be a JSON object");
  const models: Record<string, Record<string, ModelPrice>> = {};
  const skipped = new Map<string, string[]>();
  const problems: string[] = [];
  let otherProviders = 0;
  for (const [key, node] of root.entries) {
    if (key === "sample_spec" || node.kind !== "object") continue;
    const lpNode = node.entries.find(([k]) => k === "litellm_provider")?.[1];
    const provider = KESTREL_PROVIDER_OF.get(lpNode?.kind === "string" ? lpNode.value : "");
    if (provider === undefined) {
      otherProviders++;
      continue;
    }
    const row = convertLiteLLMRow(node);
    let why = NOT_A_MODEL.test(key) ? "not a model id" : row.skip;
    const p = row.price;
    const units = p !== null && UNIT_RATES.some((u) => p[u] !== undefined);
    if (why === undefined && p !== null && !units && (p.input ?? 0) === 0 && (p.output ?? 0) === 0 && p.image_output === undefined) {
      why = "every token price is 0 (free or unknown)";
    }
    // Rows of other modes (images, audio…) are not Kestrel's business; a token row with a bad value is.
    const tokenRow = why === undefined || !why.startsWith("mode");
    if (tokenRow) for (const pr of row.problems) problems.push(`line ${node.line}, "${key}": ${pr.message}`);
    if (why !== undefined) {
      if (tokenRow) (skipped.get(why) ?? skipped.set(why, []).get(why))?.push(key);
      continue;
    }
    if (p !== null) (models[provider] ??= {})[key] = p;
  }
  const counts = Object.fromEntries(Object.entries(models).map(([p, m]) => [p, Object.keys(m).length]));
  const data: PriceData = {
    meta: {
      version: `litellm-${upstreamDate}`,
      upstream,
      upstream_date: upstreamDate,
      source_sha256: sha,
      generated: date,
      unit: "integer pico-USD (1e-12 USD) per token; web_search per call; character/image/query/request per unit; " +
        "second per second of audio; geo/fast multipliers in thousandths",
      counts,
    },
    models,
  };
  return { data, body: serialize(data), skipped, problems, otherProviders };
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<number> {
  const opt = args(process.argv.slice(2));
  const out = opt.out ?? new URL("../src/pricing/data/prices.generated.json", import.meta.url).pathname;
  if (!opt.input) {
    console.error("Usage: gen-prices.ts [INPUT] (LiteLLM's model_prices_and_context_window.json; default scripts/data/)");
    return 2;
  }
  const text = await readFile(opt.input, "utf8");
  const sha = await sha256Hex(text);
  const known = KNOWN_SOURCES[sha];
  const upstreamDate = opt["upstream-date"] ?? known?.date;
  const upstream = opt.upstream ?? known?.upstream;
  if (!upstreamDate || !upstream) {
    console.error(`Unknown input (sha256 ${sha}): pass --upstream-date and --upstream to say where it comes from`);
    return 1;
  }
  const date = opt.date ?? new Date().toISOString().slice(0, 10);
  const { data, body, skipped, problems, otherProviders } = generate(text, sha, upstreamDate, upstream, date);
  if (problems.length > 0) {
    console.error(`Refusing to write: ${problems.length} value(s) are not exact or not understood`);
    for (const p of problems) console.error(`  ${p}`);
    return 1;
  }
  reportCaseCollisions(data.models);
  await writeFile(out, body);
  const counts = data.meta.counts;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`Wrote ${out}: ${total} models, ${body.length} bytes, version ${data.meta.version}`);
  for (const [p, n] of Object.entries(counts).sort()) console.log(`  ${p.padEnd(18)} ${n}`);
  console.log(`Rows of other LiteLLM providers: ${otherProviders}`);
  for (const [why, keys] of skipped) {
    console.log(`Not kept (${why}): ${keys.length}${keys.length <= 12 ? `: ${keys.join(", ")}` : ""}`);
  }
  return 0;
}

/** A case-insensitive lookup would be ambiguous for these; lookup.ts then requires the exact spelling. */
function reportCaseCollisions(models: Record<string, Record<string, ModelPrice>>): void {
  for (const [provider, rows] of Object.entries(models)) {
    const seen = new Map<string, string>();
    for (const key of Object.keys(rows)) {
      const other = seen.get(key.toLowerCase());
      if (other !== undefined) console.log(`Case collision in ${provider}: "${other}" / "${key}"`);
      seen.set(key.toLowerCase(), key);
    }
  }
}

/** One model per line, so a table refresh reads as a reviewable diff. */
function serialize(data: PriceData): string {
  const parts = Object.entries(data.models).map(([provider, rows]) => {
    const lines = Object.entries(rows).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    return `  ${JSON.stringify(provider)}: {\n${lines.join(",\n")}\n  }`;
  });
  return `{\n"meta": ${JSON.stringify(data.meta)},\n"models": {\n${parts.join(",\n")}\n}\n}\n`;
}

if (import.meta.main) process.exitCode = await main();
