/**
 * Issue 21's bypass matrix: what a client holding (or guessing) a key can try, each refused or attributed as the
 * key says — the key in every accepted place, two keys at once, expired / disabled / rotated-out / deleted keys,
 * model alias and case variants against an allow-list, a provider not allowed, a burst against a key's budget,
 * `--require-kestrel-keys`, and a provider whose signing Kestrel keys cannot front yet. Nothing refused reaches
 * the upstream.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { masterKeyFrom } from "../../src/keys/vault.ts";
import type { WebSocketRuntime } from "../../src/realtime/types.ts";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver } from "../store/helpers.ts";
import { PROVIDER_SECRETS, type Running, startApp } from "./_app.ts";

async function withApp(args: string[], fn: (k: Running) => Promise<void>, master?: CryptoKey): Promise<void> {
  const { open } = await runtimeDriver();
  const k = await startApp(createStore(open(join(mkdtempSync(join(tmpdir(), "kestrel-keys-")), "k.db"))), args, master ? { master } : {});
  try {
    await fn(k);
  } finally {
    await k.stop();
  }
}

async function newKey(k: Running, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const created = await k.api("POST", "/api/keys", body);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return { id: created.json.key.id, secret: created.json.secret };
}

const chat = (model = "gpt-4o-mini") => JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] });

async function call(k: Running, path: string, headers: Record<string, string>, body = chat()): Promise<{ status: number; code: string | null }> {
  const res = await k.app.fetch(new Request(`http://kestrel.test${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
  const text = await res.text();
  let code: string | null = null;
  try {
    code = JSON.parse(text).error?.code ?? null;
  } catch { /* a provider's body */ }
  return { status: res.status, code };
}

test("bypass matrix: places, two keys, refused keys, allow-lists, nothing refused goes upstream", async () => {
  await withApp([], async (k) => {
    const key = await newKey(k, { name: "m", models: ["gpt-4o-mini", "claude-3-5-*"], providers: ["openai", "anthropic", "azure-openai"] });
    const chatPath = "/openai/v1/chat/completions";

    // The key in each place an SDK puts it.
    for (const [what, headers, path] of [
      ["authorization", { authorization: `Bearer ${key.secret}` }, chatPath],
      ["x-api-key", { "x-api-key": key.secret }, chatPath],
      ["api-key", { "api-key": key.secret }, chatPath],
      ["x-goog-api-key", { "x-goog-api-key": key.secret }, chatPath],
      ["?key=", {}, `${chatPath}?key=${key.secret}`],
    ] as const) {
      const before = k.sent.length;
      const r = await call(k, path, headers);
      assert.equal(r.status, 200, `${what}: ${r.code}`);
      const sent = k.sent[before]!;
      assert.equal(sent.headers.get("authorization"), `Bearer ${PROVIDER_SECRETS.OPENAI_SECRET}`, what);
      assert.ok(!sent.url.includes("ksk_") && ![...sent.headers.values()].some((v) => v.includes("ksk_")), `${what}: no ksk_ upstream`);
    }

    const refusals: [string, Record<string, string>, string, string, number, string][] = [
      ["two places", { authorization: `Bearer ${key.secret}`, "x-api-key": key.secret }, chatPath, chat(), 400, "multiple_credentials"],
      ["a provider key beside", { authorization: `Bearer ${key.secret}`, "x-api-key": "sk-other" }, chatPath, chat(), 400, "multiple_credentials"],
      ["unknown key", { authorization: "Bearer ksk_00000000000000000000000000000000" }, chatPath, chat(), 401, "invalid_kestrel_key"],
      ["model not allowed", { authorization: `Bearer ${key.secret}` }, chatPath, chat("gpt-4o"), 403, "model_not_allowed"],
      ["provider not allowed", { authorization: `Bearer ${key.secret}` }, "/groq/openai/v1/chat/completions", chat(), 403, "provider_not_allowed"],
    ];
    for (const [what, headers, path, body, status, code] of refusals) {
      const before = k.sent.length;
      const r = await call(k, path, headers, body);
      assert.deepEqual(r, { status, code }, what);
      assert.equal(k.sent.length, before, `${what}: nothing upstream`);
    }

    // Alias and case variants of an allowed model are the same model.
    for (const model of ["GPT-4o-mini", "gpt-4o-mini-2024-07-18", " gpt-4o-mini "]) {
      assert.equal((await call(k, chatPath, { authorization: `Bearer ${key.secret}` }, chat(model))).status, 200, model);
    }
    // …and a different model that merely starts like one is not.
    assert.equal((await call(k, chatPath, { authorization: `Bearer ${key.secret}` }, chat("gpt-4o-mini-tts"))).code, "model_not_allowed");
    // A glob on the canonical model.
    const anthropic = await call(k, "/anthropic/v1/messages", { "x-api-key": key.secret }, JSON.stringify({ model: "Claude-3-5-Haiku-20241022", max_tokens: 5, messages: [] }));
    assert.equal(anthropic.status, 200);
    assert.equal(k.sent.at(-1)!.headers.get("x-api-key"), PROVIDER_SECRETS.ANTHROPIC_SECRET);

    // Disabled, re-enabled, rotated (old secret in grace, then out), expired, deleted.
    const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });
    assert.equal((await k.api("PATCH", `/api/keys/${key.id}`, { disabled: true })).status, 200);
    assert.equal((await call(k, chatPath, auth(key.secret))).code, "invalid_kestrel_key");
    await k.api("PATCH", `/api/keys/${key.id}`, { disabled: false });
    assert.equal((await call(k, chatPath, auth(key.secret))).status, 200);
    const rotated = await k.api("POST", `/api/keys/${key.id}/rotate`, { grace: "1h" });
    assert.equal(rotated.json.key.id, key.id, "rotation keeps the id");
    assert.equal((await call(k, chatPath, auth(key.secret))).status, 200, "old secret in grace");
    assert.equal((await call(k, chatPath, auth(rotated.json.secret))).status, 200, "new secret");
    const again = await k.api("POST", `/api/keys/${key.id}/rotate`, {});
    assert.equal((await call(k, chatPath, auth(rotated.json.secret))).code, "invalid_kestrel_key", "rotated out without grace");
    await k.api("PATCH", `/api/keys/${key.id}`, { expires_at: "2000-01-01T00:00:00Z" });
    assert.equal((await call(k, chatPath, auth(again.json.secret))).code, "invalid_kestrel_key", "expired");
    assert.equal((await k.api("DELETE", `/api/keys/${key.id}`)).status, 204);
    assert.equal((await call(k, chatPath, auth(again.json.secret))).code, "invalid_kestrel_key", "deleted");

    // Refused requests are recorded too (blocked, under no key id of anyone's).
    const records = await k.records();
    const refused = records.filter((r) => r.status === 403 && r.outcome === "blocked");
    assert.ok(refused.length >= 2 && refused.every((r) => r.key_id === key.id), "model and provider refusals are the key's");
    assert.ok(records.every((r) => r.key_id === key.id || !/ksk_/.test(JSON.stringify(r))));
  });
});

test("Gemini's ?key= (Google's REST examples): swapped into x-goog-api-key, removed from the URL, other parameters kept", async () => {
  await withApp([], async (k) => {
    const key = await newKey(k, { name: "g", project: "gem" });
    const path = `/google-ai-studio/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=${key.secret}`;
    const r = await call(k, path, {}, JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }));
    assert.equal(r.status, 200);
    const sent = k.sent.at(-1)!;
    assert.equal(sent.headers.get("x-goog-api-key"), PROVIDER_SECRETS.GEMINI_SECRET);
    assert.equal(new URL(sent.url).search, "?alt=sse");
    const record = (await k.records()).at(-1)!;
    assert.deepEqual([record.key_id, record.project, record.output_tokens], [key.id, "gem", 5]);
    assert.ok(!JSON.stringify(record).includes("ksk_"), "the record keeps no key from the URL");
  });
});

test("a burst against a key's budget: once spent, the key is refused; other keys are not", async () => {
  await withApp([], async (k) => {
    // Each answer costs gpt-4o-mini 1000 in + 100 out = $0.00021; $0.001 holds a few of them.
    const key = await newKey(k, { name: "capped", budget_usd: "0.001", window: "month" });
    const other = await newKey(k, { name: "free" });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => call(k, "/openai/v1/chat/completions", { authorization: `Bearer ${key.secret}` })));
    const ok = statuses.filter((s) => s.status === 200).length;
    assert.ok(ok >= 1 && ok <= 5, `some answered, then the budget refused (${ok} answered)`);
    assert.ok(statuses.some((s) => s.status === 429));
    assert.equal((await call(k, "/openai/v1/chat/completions", { authorization: `Bearer ${other.secret}` })).status, 200);
    const self = await k.app.fetch(new Request("http://kestrel.test/kestrel/v1/key", { headers: { authorization: `Bearer ${key.secret}` } }));
    const body = await self.json() as { id: string; budgets: { limit_usd: string; spent_usd: string }[] };
    assert.equal(body.id, key.id);
    assert.equal(body.budgets.length, 1);
    assert.ok(!JSON.stringify(body).includes("ksk_") && !JSON.stringify(body).includes("hash"));
    assert.equal((await k.api("DELETE", `/api/keys/${key.id}`)).status, 204);
    assert.deepEqual((await k.api("GET", "/api/budgets")).json.budgets, [], "the key's budget went with it");
  });
});

test("--require-kestrel-keys: a request without one gets 401 kestrel_key_required; signed providers are refused clearly", async () => {
  await withApp(["--require-kestrel-keys"], async (k) => {
    const before = k.sent.length;
    assert.deepEqual(await call(k, "/openai/v1/chat/completions", { authorization: "Bearer sk-own-key" }), { status: 401, code: "kestrel_key_required" });
    const key = await newKey(k, { name: "b" });
    const bedrock = await call(k, "/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-haiku/converse", { authorization: `Bearer ${key.secret}` }, "{}");
    assert.deepEqual(bedrock, { status: 501, code: "provider_auth_unsupported" });
    // Vertex AI project paths want OAuth, even with an API key configured for its express mode.
    const vertex = await call(k, "/google-vertex-ai/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent", { "x-goog-api-key": key.secret }, "{}");
    assert.deepEqual(vertex, { status: 501, code: "provider_auth_unsupported" });
    assert.equal(k.sent.length, before);
  });
});

test("PUT /api/provider-keys: write-only, sealed, used for the provider; a config-file provider is 409", async () => {
  await withApp([], async (k) => {
    const key = await newKey(k, { name: "groq" });
    assert.deepEqual(await call(k, "/groq/openai/v1/chat/completions", { authorization: `Bearer ${key.secret}` }), { status: 503, code: "provider_key_missing" });
    assert.equal((await k.api("PUT", "/api/provider-keys/groq", { secret: "gsk_RUNTIMEsecret" })).status, 204);
    assert.equal((await call(k, "/groq/openai/v1/chat/completions", { authorization: `Bearer ${key.secret}` })).status, 200);
    assert.equal(k.sent.at(-1)!.headers.get("authorization"), "Bearer gsk_RUNTIMEsecret");
    const listed = await k.api("GET", "/api/provider-keys");
    assert.ok(!JSON.stringify(listed.json).includes("RUNTIME"));
    assert.deepEqual(listed.json.provider_keys.map((p: { provider: string }) => p.provider).sort(), ["anthropic", "google-ai-studio", "google-vertex-ai", "groq", "openai"]);
    assert.equal((await k.api("PUT", "/api/provider-keys/openai", { secret: "x" })).json.error.code, "defined_in_config");
    assert.equal((await k.api("DELETE", "/api/provider-keys/groq")).status, 204);
    assert.equal((await call(k, "/groq/openai/v1/chat/completions", { authorization: `Bearer ${key.secret}` })).status, 503);
  }, await masterKeyFrom("test-master-key-0123456789-0123456789-abcdef"));
});

test("realtime: an upgrade carrying a Kestrel key (header or subprotocol) is refused before any upstream dial", async () => {
  const dials: string[] = [];
  const websockets = {
    accept: () => {
      throw new Error("accept must not be called");
    },
    dial: (url: string) => {
      dials.push(url);
      throw new Error("dial must not be called");
    },
  } as unknown as WebSocketRuntime;
  const { open } = await runtimeDriver();
  const k = await startApp(createStore(open(join(mkdtempSync(join(tmpdir(), "kestrel-keys-")), "k.db"))), [], { websockets });
  try {
    const key = await newKey(k, { name: "rt" });
    const handshake = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };
    for (const extra of [{ authorization: `Bearer ${key.secret}` }, { "sec-websocket-protocol": `realtime, openai-insecure-api-key.${key.secret}` }]) {
      const res = await k.app.fetch(new Request("http://kestrel.test/openai/v1/realtime?model=gpt-4o-realtime-preview", { headers: { ...handshake, ...extra } }));
      assert.equal(res.status, 501);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "realtime_kestrel_key_unsupported");
    }
    assert.deepEqual(dials, []);
  } finally {
    await k.stop();
  }
});
