/**
 * Issue 20's budget matrix: every scope kind × window kind, on each store, sequential and in bursts, with and
 * without a restart. Requests go through the real app, sink and store (a fake upstream answers), so the records are
 * the ones Kestrel writes; each budget's enforced spend is then compared, to the pico-dollar, with the sum of the
 * stored records its scope and window hold — computed here from the exported records, apart from Kestrel's own
 * rebuild. The requests name models as clients do (`GPT-4o-mini`, a dated alias) while the upstream answers with a
 * dated snapshot: a model-scoped budget must count them all, live and after a restart (issue 20 item 1).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fingerprint } from "../../src/attributes/attribution.ts";
import { canonicalModel } from "../../src/attributes/model.ts";
import { SCOPE_KEYS, SCOPES, type Scope } from "../../src/attributes/scopes.ts";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import type { ControlSetup } from "../../src/control/setup.ts";
import { startStoreControl } from "./_helpers.ts";
import type { Budget } from "../../src/control/types.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { createLogger } from "../../src/log.ts";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { createStore, type Store } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { runtimeDriver, withTempDir } from "../store/helpers.ts";

const KEYS = ["sk-matrix-one-0000000000000000000000", "sk-matrix-two-0000000000000000000000"];
const K1 = await fingerprint(KEYS[0]!);
const MATRIX_SCOPES: Scope[] = [
  {},
  { key_id: K1 },
  { user: "alice" },
  { project: "web" },
  { provider: "groq" },
  { model: "gpt-4o-mini" },
  { tag: "batch" },
  { project: "web", tag: "night", model: "gpt-4o-mini" },
];
const WINDOWS = ["day", "90m", "7d", "total"] as const;
const BUDGETS: Budget[] = MATRIX_SCOPES.flatMap((scope, i) =>
  WINDOWS.map((window, j) => parseBudget({ id: `b${i}-${j}`, scope, window, limit_usd: "1000000" }))
);

/** The n-th request: attributes cycle independently, so every scope matches some requests and misses others. */
function request(n: number): Request {
  const groq = n % 5 === 0;
  const model = groq ? "llama-3.1-8b-instant" : ["gpt-4o-mini", "GPT-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o"][n % 4]!;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${KEYS[n % 2]}`,
    "x-kestrel-project": n % 3 === 0 ? "web" : "batch-jobs",
    "x-kestrel-tags": ["batch", "night,batch", "", "night"][n % 4]!,
  };
  if (n % 4 !== 3) headers["x-kestrel-user"] = n % 2 === 0 ? "alice" : "bob";
  return new Request(`http://kestrel.test/${groq ? "groq/openai" : "openai"}/v1/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ model, max_tokens: 500, messages: [{ role: "user", content: "x".repeat(2000 + n) }] }),
  });
}

/** The upstream: a dated snapshot of what was asked, and usage that differs per request. */
const upstream: typeof fetch = async (input, init) => {
  const body = JSON.parse(await new Response((init as RequestInit).body as BodyInit).text()) as { model: string; messages: { content: string }[] };
  const n = body.messages[0]!.content.length - 2000;
  const model = body.model.toLowerCase().startsWith("gpt-4o-mini") ? "gpt-4o-mini-2024-07-18" : body.model;
  const text = JSON.stringify({
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1000 + n, completion_tokens: 100 + 7 * n, total_tokens: 1100 + 8 * n },
  });
  void input;
  return new Response(text, { headers: { "content-type": "application/json", "content-length": String(text.length) } });
};

interface Running {
  store: Store;
  setup: ControlSetup;
  app: ReturnType<typeof createApp>;
}

async function start(open: () => Store, now: () => number): Promise<Running> {
  const store = open();
  const log = createLogger({ format: "text", write: () => Promise.resolve(), now });
  const setup = await startStoreControl(store, { budgets: BUDGETS, log, fetch: upstream, now, syncEveryMs: 3_600_000 });
  const config = parseConfig({ args: [], env: {}, readFile: () => "" });
  const app = createApp({ config, fetch: upstream, now, log, store, pricer: createPricer(), probe: null, control: setup });
  return { store, setup, app };
}

async function stop(r: Running): Promise<void> {
  await r.app.drain(0);
  await r.setup.stop();
  await r.store.close();
}

/** Whether a stored record is in a scope: the scope table's columns, read off the record. */
function inScope(scope: Scope, r: UsageRecord): boolean {
  return SCOPE_KEYS.every((key) => {
    const v = scope[key];
    if (v === undefined) return true;
    const column = SCOPES[key].attribute;
    return SCOPES[key].many ? r.tags.includes(v) : r[column as Exclude<typeof column, "tags">] === v;
  });
}

async function exported(store: Store): Promise<UsageRecord[]> {
  const all: UsageRecord[] = [];
  for await (const page of store.exportRows({})) all.push(...page);
  return all;
}

/** Every budget's enforced spend equals the sum of the stored records in its scope and window, exactly. */
async function compare(r: Running, records: readonly UsageRecord[], now: number, what: string): Promise<void> {
  await r.setup.control.sync?.();
  assert.equal(records.filter((x) => x.outcome === "ok").length, records.length, `${what}: every request answered`);
  for (const budget of BUDGETS) {
    const state = r.setup.control.budgetState(budget.id, now)!;
    const since = state.window_start === null ? -Infinity : Date.parse(state.window_start);
    let pico = 0n, tokens = 0;
    for (const x of records) {
      if (!inScope(budget.scope, x) || Date.parse(x.ts) < since) continue;
      pico += BigInt(x.cost_pico ?? 0);
      tokens += x.total_tokens ?? 0;
    }
    assert.equal(state.spent_pico, pico, `${what}: ${budget.id} ${JSON.stringify(budget.scope)} ${budget.window}`);
    assert.equal(state.spent_tokens, tokens, `${what}: ${budget.id} tokens`);
    assert.equal(state.reserved_pico, 0n, `${what}: ${budget.id} holds nothing once every request finished`);
  }
  // The model scope counted every spelling the clients used (item 1): the budget on gpt-4o-mini is not empty.
  assert.ok(r.setup.control.budgetState("b5-3", now)!.spent_pico > 0n);
}

const REQUESTS = 24;

async function run(open: () => Store, mode: "sequential" | "burst", restart: boolean, what: string): Promise<void> {
  const now = Date.now;
  let r = await start(open, now);
  try {
    if (mode === "sequential") {
      for (let n = 0; n < REQUESTS; n++) await (await r.app.fetch(request(n))).arrayBuffer();
    } else {
      for (let wave = 0; wave < REQUESTS; wave += 8) {
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => r.app.fetch(request(wave + i))));
        await Promise.all(answers.map((a) => a.arrayBuffer()));
      }
    }
    await r.app.drain(0);
    await r.store.flush();
    if (restart) {
      await stop(r);
      r = await start(open, now);
    }
    const records = await exported(r.store);
    assert.equal(records.length, REQUESTS);
    assert.ok(records.every((x) => x.requested_model === canonicalModel(x.requested_model)));
    await compare(r, records, now(), what);
  } finally {
    await stop(r);
  }
}

const COMBOS = [["sequential", false], ["sequential", true], ["burst", false], ["burst", true]] as const;

for (const [mode, restart] of COMBOS) {
  test(`matrix, SQLite, ${mode}${restart ? ", restarted" : ""}: each budget's spend is its records' sum`, async () => {
    const { open } = await runtimeDriver();
    await withTempDir(async (dir) => {
      const path = join(dir, "m.db");
      await run(() => createStore(open(path)), mode, restart, `sqlite ${mode} ${restart}`);
    });
  });
}

const PG_MISSING = pgMissing();
let pg: Promise<Postgres> | null = null;
let databases = 0;
for (const [mode, restart] of COMBOS) {
  testNeeding(`matrix, PostgreSQL, ${mode}${restart ? ", restarted" : ""}: each budget's spend is its records' sum`, PG_MISSING, async () => {
    pg ??= startPostgres().then((s) => (process.once("exit", () => s.close()), s));
    const url = (await pg).createDatabase(`matrix_${process.pid}_${++databases}`);
    await run(() => createPgStore(url, { poolSize: 4 }), mode, restart, `pg ${mode} ${restart}`);
  });
}
