// Reconciliation end to end (docs/architecture.md §19): real traffic through a real Kestrel to mock OpenAI and
// Anthropic upstreams, then `kestrel reconcile` against their mock admin APIs (pagination, a late restatement, USD
// numbers and cents strings, a usage line without a key): (a) exactly that traffic → all match, coverage 100 %;
// (b) extra traffic on an unknown key → uncovered with its amount; (c) a price difference → drift naming the model
// and token class. The serving Kestrel's scheduled run and /api/reconcile see the same stored rows.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { runReconcile } from "../../src/commands/reconcile.ts";
import type { Report, ReportRow } from "../../src/reconcile/report.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";
import { runtimeDriver } from "../store/helpers.ts";
import { anthropicHandler, newState, openAiHandler } from "../reconcile/_admin-mock.ts";

const OPENAI_KEY_A = `sk-proj-${"a".repeat(60)}AAAA`;
const OPENAI_KEY_B = `sk-proj-${"b".repeat(60)}BBBB`;
const ANTHROPIC_KEY_C = `sk-ant-api03-${"c".repeat(80)}CCCC`;
const ANTHROPIC_KEY_D = `sk-ant-api03-${"d".repeat(80)}DDDD`;
const ADMIN_OPENAI = "sk-admin-openai-not-a-real-key";
const ADMIN_ANTHROPIC = "sk-ant-admin01-not-a-real-key";

// Per request. OpenAI gpt-4o-mini at $0.15 / $0.075 cached / $0.60 per 1M: 1.6M × 0.15 + 0.4M × 0.075 + 0.5M × 0.6
// = $0.57. Anthropic Sonnet 4 at $3 / $0.30 read / $3.75 5-minute / $6 1-hour / $15 per 1M, under 200k input:
// 100k × 3 + 60k × 0.3 + 20k × 3.75 + 10k × 6 + 30k × 15 = $0.903.
const OPENAI_USAGE = { input: 2_000_000, cached: 400_000, output: 500_000, requests: 1 };
const ANTHROPIC_USAGE = { uncached: 100_000, read: 60_000, write5m: 20_000, write1h: 10_000, output: 30_000 };
const OPENAI_PRICES = { "gpt-4o-mini-2024-07-18": { "input": "0.15", "cached input": "0.075", "output": "0.6" } };
const ANTHROPIC_PRICES = { "claude-sonnet-4-20250514": { uncached: "3", read: "0.3", write5m: "3.75", write1h: "6", output: "15" } };

test("reconcile: real traffic against mock admin APIs — match, uncovered, drift, restatement; CLI, schedule and API agree", async () => {
  const today = new Date().toISOString().slice(0, 10);
  const openai = newState(structuredClone(OPENAI_PRICES));
  const anthropic = newState(structuredClone(ANTHROPIC_PRICES));
  const openaiKeys = new Map([[OPENAI_KEY_A, "key_a"], [OPENAI_KEY_B, "key_b"]]);
  const anthropicKeys = new Map([[ANTHROPIC_KEY_C, "apikey_c"], [ANTHROPIC_KEY_D, "apikey_d"], [`sk-ant-api03-${"u".repeat(80)}UUUU`, "apikey_unknown"]]);
  const oa = await startMock(openAiHandler(openai, openaiKeys, OPENAI_USAGE));
  const an = await startMock(anthropicHandler(anthropic, anthropicKeys, ANTHROPIC_USAGE));
  const env = { OPENAI_ADMIN_KEY: ADMIN_OPENAI, ANTHROPIC_ADMIN_KEY: ADMIN_ANTHROPIC };
  const k = await startKestrel(["--upstream", `openai=${oa.url}`, "--upstream", `anthropic=${an.url}`, "--reconcile-interval", "1h"], env);
  const { open } = await runtimeDriver();
  try {
    // The scheduled run starts a second after startup, before any traffic.
    await k.waitForLine(/Reconciled openai /);
    await k.waitForLine(/Reconciled anthropic /);

    const chat = (key: string) =>
      fetch(`${k.url}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
      }).then((r) => r.text());
    const message = (key: string) =>
      fetch(`${k.url}/anthropic/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-20250514", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
      }).then((r) => r.text());
    for (const key of [OPENAI_KEY_A, OPENAI_KEY_A, OPENAI_KEY_B]) await chat(key);
    for (const key of [ANTHROPIC_KEY_C, ANTHROPIC_KEY_C, ANTHROPIC_KEY_D]) await message(key);

    const db = open(k.db);
    const count = (sql: string) => Number((db.prepare(sql).get() as Record<string, number>).n);
    await until("six records and four key hints stored", () =>
      count("SELECT COUNT(*) AS n FROM requests") === 6 && count("SELECT COUNT(*) AS n FROM reconcile_key_hints") === 4);

    const reconcile = async (...args: string[]) => {
      const io = fakeIo(open, Date.now());
      const code = await runReconcile(["--db", k.db, "--format", "json", ...args], io.io, {
        env: { ...env, KESTREL_UPSTREAM_OPENAI: oa.url, KESTREL_UPSTREAM_ANTHROPIC: an.url },
        readFile: (p) => readFileSync(p, "utf8"),
        fetch: globalThis.fetch,
      });
      assert.equal(code, 0, io.err());
      return JSON.parse(io.out()) as Report;
    };
    const dayOf = (r: Report, provider: string) => {
      const p = r.providers.find((x) => x.provider === provider)!;
      return p.days.find((d) => d.date === today)!;
    };
    const byKey = (rows: ReportRow[]) => Object.fromEntries(rows.map((r) => [r.provider_key_id ?? "(none)", r]));

    // Late data: the provider has not reported the last request of each yet.
    openai.late = anthropic.late = true;
    let r = await reconcile();
    assert.equal(byKey(dayOf(r, "openai").rows).key_b?.class, "kestrel_only");
    assert.equal(byKey(dayOf(r, "anthropic").rows).apikey_d?.class, "kestrel_only");

    // (a) Restated: now exactly the traffic. Every row matches, coverage 100 %, money exact on both sides.
    openai.late = anthropic.late = false;
    r = await reconcile();
    const oaDay = dayOf(r, "openai");
    assert.deepEqual(oaDay.rows.map((x) => [x.provider_key_id, x.class]), [["key_a", "match"], ["key_b", "match"]]);
    assert.equal(oaDay.coverage, 1);
    assert.equal(oaDay.kestrel_usd, "1.71");
    assert.equal(oaDay.provider_usd, "1.71");
    assert.equal(byKey(oaDay.rows).key_a?.provider_usd, "1.14");
    assert.deepEqual(byKey(oaDay.rows).key_a?.requests, { kestrel: 2, provider: 2 });
    const anDay = dayOf(r, "anthropic");
    assert.deepEqual(anDay.rows.map((x) => [x.provider_key_id, x.class]), [["apikey_c", "match"], ["apikey_d", "match"]]);
    assert.equal(anDay.coverage, 1);
    assert.equal(anDay.kestrel_usd, "2.709");
    assert.equal(anDay.provider_usd, "2.709");
    assert.deepEqual(byKey(anDay.rows).apikey_c?.tokens.cache_write_1h_tokens, { kestrel: 20_000, provider: 20_000 });
    assert.equal(r.providers.find((p) => p.provider === "anthropic")!.linked_keys, 2);
    // Restated, not added: one usage row per key and day.
    assert.equal(count(`SELECT COUNT(*) AS n FROM reconcile_usage WHERE day = '${today}'`), 4);

    // (b) Bypass: a key Kestrel never saw, and Anthropic usage without any key.
    openai.extra = [{ day: today, keyId: "key_unknown", model: "gpt-4o-mini-2024-07-18", tokens: { ...OPENAI_USAGE } }];
    anthropic.extra = [
      { day: today, keyId: "apikey_unknown", model: "claude-sonnet-4-20250514", tokens: { ...ANTHROPIC_USAGE } },
      { day: today, keyId: null, model: "claude-sonnet-4-20250514", tokens: { uncached: 0, read: 0, write5m: 0, write1h: 0, output: 1000 } },
    ];
    r = await reconcile();
    const oaB = byKey(dayOf(r, "openai").rows);
    assert.equal(oaB.key_unknown?.class, "uncovered");
    assert.equal(oaB.key_unknown?.provider_usd, "0.57");
    assert.equal(oaB.key_a?.class, "match");
    assert.equal(dayOf(r, "openai").coverage, 0.75);
    assert.equal(dayOf(r, "openai").uncovered_usd, "0.57");
    const anB = byKey(dayOf(r, "anthropic").rows);
    assert.equal(anB.apikey_unknown?.class, "uncovered");
    assert.equal(anB.apikey_unknown?.provider_usd, "0.903");
    assert.equal(anB["(none)"]?.class, "uncovered");
    assert.equal(anB["(none)"]?.provider_usd, "0.015");
    assert.equal(dayOf(r, "anthropic").uncovered_usd, "0.918");

    // (c) A price difference: OpenAI bills output at twice Kestrel's price, Anthropic cache reads at twice.
    openai.extra = anthropic.extra = [];
    openai.prices["gpt-4o-mini-2024-07-18"]!.output = "1.2";
    anthropic.prices["claude-sonnet-4-20250514"]!.read = "0.6";
    r = await reconcile();
    const oaC = dayOf(r, "openai");
    assert.deepEqual(oaC.rows.map((x) => x.class), ["drift", "drift"]);
    assert.equal(oaC.rows[0]!.model, "gpt-4o-mini-2024-07-18");
    assert.equal(oaC.rows[0]!.detail, "output billed $1.8, Kestrel's price $0.9");
    assert.equal(oaC.drift_usd, "0.9");
    const anC = dayOf(r, "anthropic");
    assert.deepEqual(anC.rows.map((x) => x.class), ["drift", "drift"]);
    assert.equal(anC.rows[0]!.detail, "cache_read billed $0.108, Kestrel's price $0.054");

    // The admin APIs were asked with the admin keys only, every page followed; no client key went there.
    assert.ok(openai.adminCalls.length > 0 && openai.adminCalls.every((c) => c.auth === ADMIN_OPENAI));
    assert.ok(anthropic.adminCalls.length > 0 && anthropic.adminCalls.every((c) => c.auth === ADMIN_ANTHROPIC));
    assert.ok(openai.adminCalls.filter((c) => c.path === "/v1/organization/projects/proj_1/api_keys").length >= 2);

    // The serving Kestrel answers the same comparison from the stored rows.
    const api = await (await fetch(`${k.url}/api/reconcile?since=${today}`)).json() as Report;
    assert.deepEqual(dayOf(api, "openai").rows, oaC.rows);
    assert.deepEqual(dayOf(api, "anthropic").rows, anC.rows);

    // The CLI itself, as a process, in its table form.
    const [cmd, argv] = kestrelCommand(["reconcile", "--db", k.db, "--no-fetch", "--since", today]);
    const cli = spawnSync(cmd, argv, { encoding: "utf8", cwd: tempDir(), timeout: 30_000, env: { ...process.env } });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /coverage 100\.0%/);
    assert.match(cli.stdout, /gpt-4o-mini-2024-07-18 +key_a +drift/);

    // Keys are never stored, nor any part of them: only digests of their masked forms.
    db.close();
    const file = readFileSync(k.db).toString("latin1") + (() => {
      try {
        return readFileSync(`${k.db}-wal`).toString("latin1");
      } catch {
        return "";
      }
    })();
    for (const key of [OPENAI_KEY_A, ANTHROPIC_KEY_C, ADMIN_OPENAI, ADMIN_ANTHROPIC]) assert.ok(!file.includes(key));
    assert.ok(!k.lines.join("\n").includes(ADMIN_OPENAI) && !k.stderr().includes(ADMIN_ANTHROPIC));
  } finally {
    await k.stop();
    await oa.close();
    await an.close();
  }
});
