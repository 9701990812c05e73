// `kestrel reconcile` in-process: each bad input is one line and exit 2; nothing to reconcile or a failed pull is one
// line and exit 1 (a failed pull still prints what is stored); `/api/reconcile` refuses bad parameters the same way.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runReconcile } from "../../src/commands/reconcile.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from "../../src/reconcile/report.ts";
import { createReconcileRoutes } from "../../src/routes/api-reconcile.ts";
import { createStore } from "../../src/store/store.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { runtimeDriver, withTempDir } from "../store/helpers.ts";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const refuse = (() => Promise.reject(new Error("no network in this test"))) as typeof fetch;

async function cli(args: string[], env: Record<string, string> = {}, fetcher = refuse) {
  const { open } = await runtimeDriver();
  return await withTempDir(async (dir) => {
    const db = join(dir, "k.db");
    createStore(open(db)).close(); // an existing Kestrel store
    const io = fakeIo(open, NOW);
    const code = await runReconcile(["--db", db, ...args], io.io, { env, readFile: () => "{}", fetch: fetcher });
    return { code, out: io.out(), err: io.err() };
  });
}

// [arguments, environment, stderr]: each one line, exit 2.
const BAD: [string[], Record<string, string>, RegExp][] = [
  [["--provider", "azure"], {}, /^kestrel reconcile: Invalid --provider "azure": use one of openai, anthropic\n$/],
  [["--format", "xml"], {}, /^kestrel reconcile: Invalid --format "xml": use one of table, json, csv\n$/],
  [["--window", "0"], {}, /^kestrel reconcile: Invalid --window "0": use a whole number of days from 1 to 999\n$/],
  [["--tolerance-usd", "-1"], {}, /^kestrel reconcile: Invalid tolerance "-1": use a USD amount like 0\.01\n$/],
  [["--tolerance-pct", "200"], {}, /^kestrel reconcile: Invalid tolerance percent "200"/],
  [["--since", "yesterday"], {}, /^kestrel reconcile: Invalid --since "yesterday"/],
  [["--upstream", "openai=ftp://x"], {}, /^kestrel reconcile: --upstream must be scheme:\/\/host\[:port\] only/],
  [["--bogus"], {}, /^kestrel reconcile: Unknown flag "--bogus"\n$/],
];
for (const [args, env, message] of BAD) {
  test(`reconcile ${args.join(" ")}: one line, exit 2`, async () => {
    const r = await cli(args, env);
    assert.equal(r.code, 2);
    assert.match(r.err, message);
    assert.equal(r.out, "");
  });
}

test("no admin key and nothing stored: one line naming the variables, exit 1", async () => {
  const r = await cli([]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `kestrel reconcile: Nothing to reconcile: set OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY (see README "Reconcile with your bill")\n`);
  const one = await cli(["--provider", "anthropic"]);
  assert.equal(one.err, "kestrel reconcile: Nothing stored for anthropic in this range and ANTHROPIC_ADMIN_KEY is not set\n");
});

test("a pull that fails: one line on stderr without the key, the report of what is stored, exit 1", async () => {
  const r = await cli(["--format", "json"], { OPENAI_ADMIN_KEY: "sk-admin-do-not-print" });
  assert.equal(r.code, 1);
  assert.equal(r.err, "kestrel reconcile: OpenAI admin API at https://api.openai.com did not answer /v1/organization/usage/completions: no network in this test\n");
  const report = JSON.parse(r.out);
  assert.deepEqual(report.providers.map((p: { provider: string; notes: string[] }) => [p.provider, p.notes.length]), [["openai", 1]]);
  assert.ok(!(r.out + r.err).includes("sk-admin-do-not-print"));
});

test("/api/reconcile: bad parameters are 400 invalid_query; nothing pulled is an empty report", async () => {
  const { open } = await runtimeDriver();
  await withTempDir(async (dir) => {
    const store = createStore(open(join(dir, "k.db")));
    const app = createReconcileRoutes({
      store, pricer: createPricer(), tolerance: parseTolerance(DEFAULT_TOLERANCE.usd, DEFAULT_TOLERANCE.percent) as Tolerance,
      notes: () => ({}), now: () => NOW,
    });
    const get = async (q: string) => {
      const res = await app.request(`/reconcile${q}`);
      return [res.status, await res.json()] as const;
    };
    for (const [q, message] of [
      ["?provider=azure", 'Invalid provider "azure": use one of openai, anthropic'],
      ["?modle=x", 'Unknown parameter "modle"'],
      ["?since=soon", 'Invalid since "soon"'],
      ["?tolerance_pct=101", 'Invalid tolerance percent "101": use 0 to 100 with at most 2 decimals'],
    ]) {
      const [status, body] = await get(q!);
      assert.equal(status, 400);
      assert.equal(body.error.code, "invalid_query");
      assert.ok(body.error.message.startsWith(message), body.error.message);
    }
    const [status, body] = await get("?since=2026-11-20");
    assert.equal(status, 200);
    assert.deepEqual(body.providers, []);
    assert.deepEqual(body.tolerance, { usd: "0.01", percent: "0.1" });
    const [, one] = await get("?provider=openai&since=2026-11-20");
    assert.deepEqual(one.providers[0].days.map((d: { date: string; pulled_at: null }) => [d.date, d.pulled_at]), [["2026-11-20", null], ["2026-11-21", null]]);
    await store.close();
  });
});
