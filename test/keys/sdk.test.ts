/**
 * Issue 21 acceptance: the official `openai` and `@anthropic-ai/sdk` clients with a `ksk_` key through Kestrel
 * (their `fetch` is the app itself, the upstream an injected fetch). The upstream receives the provider secret in
 * the provider's own header, never the Kestrel key; the record carries the key's id, user and project; a spoofed
 * `x-kestrel-user` is ignored, and honoured on a key allowed to set it. `@google/genai` is not a dependency: the
 * Gemini case sends the same request that client sends (`x-goog-api-key`) with plain fetch.
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver } from "../store/helpers.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { PROVIDER_SECRETS, type Running, startApp } from "./_app.ts";

let k: Running;
before(async () => {
  const { open } = await runtimeDriver();
  k = await startApp(createStore(open(join(mkdtempSync(join(tmpdir(), "kestrel-keys-")), "k.db"))));
});
after(() => k.stop());

const appFetch = ((input: RequestInfo | URL, init?: RequestInit) => k.app.fetch(new Request(input, init))) as typeof fetch;

async function newKey(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const created = await k.api("POST", "/api/keys", body);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.match(created.json.secret, /^ksk_[0-9A-Za-z]{32}$/);
  return { id: created.json.key.id, secret: created.json.secret };
}

const lastRecord = async () => (await k.records()).sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1)!;

test("openai SDK: the upstream gets the provider secret as Bearer, the record the key's identity, spoofing ignored", async () => {
  const key = await newKey({ name: "laptop", user: "alice", project: "web", tags: ["x"] });
  const client = new OpenAI({
    apiKey: key.secret,
    baseURL: "http://kestrel.test/openai/v1",
    fetch: appFetch,
    maxRetries: 0,
    defaultHeaders: { "x-kestrel-user": "mallory", "x-kestrel-project": "someone-elses" },
  });
  const done = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  assert.equal(done.choices[0]?.message.content, "ok");
  const sent = k.sent.at(-1)!;
  assert.equal(sent.headers.get("authorization"), `Bearer ${PROVIDER_SECRETS.OPENAI_SECRET}`);
  assert.ok(![...sent.headers.values()].some((v) => v.includes("ksk_")), "no ksk_ upstream");
  const record = await lastRecord();
  assert.equal(record.key_id, key.id);
  assert.equal(record.user, "alice");
  assert.equal(record.project, "web");
  assert.deepEqual(record.tags, ["x"]);
});

test("anthropic SDK: x-api-key carries the provider secret upstream", async () => {
  const key = await newKey({ name: "svc", user: "bob", project: "api" });
  const client = new Anthropic({ apiKey: key.secret, baseURL: "http://kestrel.test/anthropic", fetch: appFetch, maxRetries: 0 });
  const message = await client.messages.create({ model: "claude-3-5-haiku-latest", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  assert.equal(message.content[0]?.type, "text");
  const sent = k.sent.at(-1)!;
  assert.equal(sent.headers.get("x-api-key"), PROVIDER_SECRETS.ANTHROPIC_SECRET);
  assert.equal(sent.headers.get("authorization"), null);
  const record = await lastRecord();
  assert.equal(record.key_id, key.id);
  assert.equal(record.user, "bob");
});

test("gemini (the @google/genai request shape): x-goog-api-key and ?key= both swapped, the query key removed", async () => {
  const key = await newKey({ name: "g", project: "gem" });
  for (const place of ["header", "query"] as const) {
    const url = `http://kestrel.test/google-ai-studio/v1beta/models/gemini-2.0-flash:generateContent${place === "query" ? `?key=${key.secret}` : ""}`;
    const res = await appFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(place === "header" ? { "x-goog-api-key": key.secret } : {}) },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    const sent = k.sent.at(-1)!;
    assert.equal(sent.headers.get("x-goog-api-key"), PROVIDER_SECRETS.GEMINI_SECRET);
    assert.ok(!sent.url.includes("ksk_"), `${place}: no ksk_ in the upstream URL ${sent.url.replace(/ksk_\w+/, "ksk_…")}`);
    assert.equal((await lastRecord()).project, "gem");
  }
});

test("a key allowed to set attribution headers: the client's x-kestrel-user is recorded", async () => {
  const key = await newKey({ name: "backend", user: "svc", allow_attribution_headers: true });
  const client = new OpenAI({ apiKey: key.secret, baseURL: "http://kestrel.test/openai/v1", fetch: appFetch, maxRetries: 0, defaultHeaders: { "x-kestrel-user": "end-user-7" } });
  await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  const record = await lastRecord();
  assert.equal(record.key_id, key.id);
  assert.equal(record.user, "end-user-7");
});

test("without a Kestrel key, pass-through is unchanged: the client's own key goes upstream", async () => {
  const client = new OpenAI({ apiKey: "sk-client-own-key-000000000000000000", baseURL: "http://kestrel.test/openai/v1", fetch: appFetch, maxRetries: 0 });
  await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  assert.equal(k.sent.at(-1)!.headers.get("authorization"), "Bearer sk-client-own-key-000000000000000000");
});
