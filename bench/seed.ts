/**
 * Writes N realistic usage records into a store, at full insert speed, through the store's own queue and flusher
 * (src/store/store.ts, src/store/pg/pg-store.ts), so the rollup is written exactly as `kestrel serve` writes it.
 *
 *   bun bench/seed.ts --store sqlite:./big.db --records 1000000 [--days 90] [--seed 1]
 *   bun bench/seed.ts --store postgres://kestrel@127.0.0.1:5432/kestrel --records 1000000
 *
 * The mix (seeded, reproducible): 12 models over 4 providers, 40 projects, 400 users each with one or two keys in
 * one project, traffic skewed towards a few users (about 20 % of users send 80 % of requests), 0–2 tags per user (an application sets them), two models per user (80/20), outcomes
 * 95 % ok, 2.5 % upstream errors, 1 % client aborts, 1 % blocked, 0.5 % timeouts; a daily cycle; timestamps
 * ascending over the last `--days` days (as records arrive), ids ULID-shaped.
 */
import { openStore } from "../src/store/open.ts";
import { parseStoreLocation } from "../src/store/location.ts";
import { connectPg } from "../src/store/pg/connect.ts";
import { createMonths } from "../src/store/pg/partitions.ts";
import type { OpenSqlite } from "../src/store/db.ts";
import type { Outcome, UsageRecord } from "../src/usage/record.ts";
import { createRng } from "../test/_chunking.ts";

const MODELS = [
  ["openai", "gpt-4o", 2_500_000, 10_000_000],
  ["openai", "gpt-4o-mini", 150_000, 600_000],
  ["openai", "gpt-4.1", 2_000_000, 8_000_000],
  ["openai", "o3-mini", 1_100_000, 4_400_000],
  ["anthropic", "claude-sonnet-4-5", 3_000_000, 15_000_000],
  ["anthropic", "claude-haiku-4-5", 1_000_000, 5_000_000],
  ["anthropic", "claude-opus-4-1", 15_000_000, 75_000_000],
  ["google", "gemini-2.5-pro", 1_250_000, 10_000_000],
  ["google", "gemini-2.5-flash", 300_000, 2_500_000],
  ["mistral", "mistral-large", 2_000_000, 6_000_000],
  ["mistral", "mistral-small", 200_000, 600_000],
  ["openai", "text-embedding-3-small", 20_000, 0],
] as const; // provider, model, pico-USD per input token ×1e6 / 1e6 (i.e. per million tokens in micro-USD), output
const TAGS = ["batch", "chat", "eval", "prod", "staging", "rag"];
const PROJECTS = 40;
const USERS = 400;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function ulid(ms: number, n: number): string {
  let time = "";
  for (let k = 0, t = ms; k < 10; k++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  return time + n.toString(32).toUpperCase().padStart(16, "0");
}

export interface SeedOptions {
  records: number;
  days: number;
  seed: number;
  now: number;
}

/** Records in ascending time, `count` at a time (the generator keeps no more than one page). */
export function* seedRecords(o: SeedOptions, page = 10_000): Generator<UsageRecord[]> {
  const rand = createRng(o.seed);
  const span = o.days * 86_400_000;
  const start = o.now - span;
  // Each user: a project, one or two keys, a preferred model family; weight by a power law.
  const users = Array.from({ length: USERS }, (_, u) => ({
    user: `user-${u}`,
    project: `project-${u % PROJECTS}`,
    keys: [`k${(u * 7919).toString(16).padStart(11, "0").slice(-11)}0`, `k${(u * 104729).toString(16).padStart(11, "0").slice(-11)}1`],
    models: [Math.floor(rand() * MODELS.length), Math.floor(rand() * MODELS.length)],
    // An application sets its tags: each user's requests carry the same few.
    tags: [...new Set(Array.from({ length: Math.floor(rand() * 3) }, () => TAGS[Math.floor(rand() * TAGS.length)]!))].sort(),
  }));
  const pickUser = () => users[Math.min(USERS - 1, Math.floor(USERS * rand() ** 3))]!;
  for (let done = 0; done < o.records;) {
    const out: UsageRecord[] = [];
    for (let k = 0; k < page && done < o.records; k++, done++) {
      // Ascending: spread evenly, with a daily cycle folded in by jitter inside the slot.
      const slot = span / o.records;
      const ms = Math.floor(start + done * slot + rand() * slot);
      const u = pickUser();
      const [provider, model, pin, pout] = MODELS[u.models[rand() < 0.8 ? 0 : 1]!]!;
      const r = rand();
      const outcome: Outcome = r < 0.95 ? "ok" : r < 0.975 ? "upstream_error" : r < 0.985 ? "client_aborted" : r < 0.995 ? "blocked" : "timeout";
      const used = outcome === "ok" || outcome === "client_aborted";
      const input = used ? Math.floor(200 + rand() ** 2 * 20_000) : null;
      const output = used && pout > 0 ? Math.floor(20 + rand() ** 2 * 2_000) : used ? 0 : null;
      const cacheRead = input !== null && rand() < 0.3 ? Math.floor(input * rand()) : input === null ? null : 0;
      const cost = input === null ? null : input * pin / 1_000_000 * 1_000_000 + (output ?? 0) * pout;
      out.push({
        id: ulid(ms, done),
        ts: new Date(ms).toISOString(),
        request_id: `req_${done.toString(36)}`,
        provider,
        model,
        requested_model: model,
        method: "POST",
        path: provider === "anthropic" ? "/v1/messages" : "/v1/chat/completions",
        status: outcome === "ok" || outcome === "client_aborted" ? 200 : outcome === "blocked" ? 429 : outcome === "timeout" ? 504 : 500,
        outcome,
        streaming: rand() < 0.6,
        duration_ms: Math.round(200 + rand() * 8000),
        ttfb_ms: Math.round(100 + rand() * 900),
        input_tokens: input,
        output_tokens: output,
        total_tokens: input === null ? null : input + (output ?? 0),
        cache_read_tokens: cacheRead,
        cache_write_tokens: input === null ? null : 0,
        cache_write_1h_tokens: input === null ? null : 0,
        reasoning_tokens: output === null ? null : model.startsWith("o3") ? Math.floor(output / 2) : 0,
        audio_input_tokens: null,
        audio_output_tokens: null,
        web_search_requests: null,
        usage_source: input === null ? "none" : "reported",
        usage_native: input === null ? null : { prompt_tokens: input, completion_tokens: output },
        cost_usd: null,
        cost_pico: cost === null ? null : Math.round(cost),
        cost_breakdown: null,
        priced: cost !== null,
        price_version: "seed",
        key_id: u.keys[rand() < 0.8 ? 0 : 1]!,
        user: u.user,
        project: u.project,
        tags: u.tags,
        usage_error: null,
      } as UsageRecord);
    }
    yield out;
  }
}

async function openSqliteDriver(): Promise<OpenSqlite> {
  return "Bun" in globalThis
    ? (await import("../src/entry/sqlite-bun.ts")).openSqlite
    : (await import("../src/entry/sqlite-node.ts")).openSqlite;
}

/** Seeds `store` and returns records/s (the clock stops when every record is committed). */
export async function seed(storeUrl: string, o: SeedOptions, log = (_: string) => {}): Promise<{ rate: number; written: number }> {
  const openDb = await openSqliteDriver();
  // Batches of 10,000: with realistic key, user and project counts each record dirties its own page in every
  // attribute index, so a transaction's cost is mostly pages written; larger batches share them (BENCHMARKS.md).
  const location = parseStoreLocation(storeUrl);
  const store = await openStore(location, { openDb, onError: (m) => console.error(m), maxQueue: 200_000, batchSize: 10_000 });
  if (location.kind === "postgres") {
    // The history's months, as a server running through them would have made them (else DEFAULT takes it all).
    await store.usage({}, "day"); // migrated
    const sql = connectPg(location.url, { poolSize: 1 });
    await createMonths(sql, o.now - o.days * 86_400_000, Math.ceil(o.days / 28) + 1);
    await sql.end();
  }
  const t0 = performance.now();
  let n = 0;
  for (const page of seedRecords(o)) {
    for (const r of page) store.add(r);
    n += page.length;
    await store.flush();
    if (n % 1_000_000 < page.length) log(`${n.toLocaleString("en-US")} records, ${Math.round(n / ((performance.now() - t0) / 1000)).toLocaleString("en-US")}/s`);
  }
  await store.flush();
  const seconds = (performance.now() - t0) / 1000;
  const written = store.stats().written;
  await store.close();
  return { rate: written / seconds, written };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const get = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i < 0 ? undefined : args[i + 1];
  };
  const storeUrl = get("store");
  const records = Number(get("records") ?? "");
  if (storeUrl === undefined || !Number.isSafeInteger(records) || records < 1) {
    console.error("Usage: bun bench/seed.ts --store sqlite:PATH|postgres://… --records N [--days 90] [--seed 1]");
    process.exit(2);
  }
  const { rate, written } = await seed(storeUrl, {
    records,
    days: Number(get("days") ?? 90),
    seed: Number(get("seed") ?? 1),
    now: Date.now(),
  }, (line) => console.error(line));
  console.log(`${written.toLocaleString("en-US")} records in ${storeUrl.startsWith("sqlite:") ? storeUrl : "postgres"}: ${Math.round(rate).toLocaleString("en-US")} records/s`);
}
