/**
 * Issue 21 acceptance: the official `openai`, `@anthropic-ai/sdk` and `@google/genai` clients with a `ksk_` key
 * through Kestrel (their `fetch` is the app itself, the upstream an injected fetch). The upstream receives the
 * provider secret in the provider's own header, never the Kestrel key; the record carries the key's id, user and
 * project; a spoofed `x-kestrel-user` is ignored, and honoured on a key allowed to set it.
 */
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver } from "../store/helpers.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { PROVIDER_SECRETS, type Running, type Sent, startApp } from "./_app.ts";

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

/** What went upstream, as one string: the provider secret may be there, the Kestrel key never. */
const upstreamText = (sent: Sent) => `${sent.url} ${JSON.stringify([...sent.headers])} ${sent.body}`;

const gemini = (apiKey: string, headers: Record<string, string> = {}) =>
  new GoogleGenAI({
    apiKey,
    vertexai: false,
    httpOptions: { baseUrl: "http://kestrel.test/google-ai-studio", fetch: appFetch, headers },
  });

test("@google/genai: generateContent and generateContentStream send the provider secret as x-goog-api-key", async () => {
  const key = await newKey({ name: "g", user: "carol", project: "gem", tags: ["g"] });
  const ai = gemini(key.secret, { "x-kestrel-user": "mallory", "x-kestrel-project": "someone-elses" });
  const before = k.sent.length;
  const done = await ai.models.generateContent({ model: "gemini-2.0-flash", contents: "hi" });
  assert.equal(done.text, "ok");
  let streamed = "";
  for await (const chunk of await ai.models.generateContentStream({ model: "gemini-2.0-flash", contents: "hi" })) {
    streamed += chunk.text ?? "";
  }
  assert.equal(streamed, "ok");
  const sent = k.sent.slice(before);
  assert.deepEqual(sent.map((s) => new URL(s.url).pathname.split(":").at(-1)), ["generateContent", "streamGenerateContent"]);
  for (const one of sent) {
    assert.equal(one.headers.get("x-goog-api-key"), PROVIDER_SECRETS.GEMINI_SECRET);
    assert.equal(one.headers.get("authorization"), null);
    assert.equal(new URL(one.url).searchParams.get("key"), null);
    assert.ok(!upstreamText(one).includes("ksk_"), "no ksk_ upstream: headers, URL or body");
  }
  const records = (await k.records()).sort((a, b) => (a.id < b.id ? -1 : 1)).slice(-2);
  assert.deepEqual(records.map((r) => r.streaming), [false, true]);
  for (const record of records) {
    assert.equal(record.provider, "google-ai-studio");
    assert.equal(record.key_id, key.id);
    assert.equal(record.user, "carol");
    assert.equal(record.project, "gem");
    assert.deepEqual(record.tags, ["g"]);
    assert.deepEqual([record.input_tokens, record.output_tokens], [10, 5]);
  }
});

test("@google/genai on a key allowed to set attribution headers: the client's x-kestrel-user is recorded", async () => {
  const key = await newKey({ name: "g-backend", user: "svc", allow_attribution_headers: true });
  await gemini(key.secret, { "x-kestrel-user": "end-user-9" }).models.generateContent({ model: "gemini-2.0-flash", contents: "hi" });
  const record = await lastRecord();
  assert.equal(record.key_id, key.id);
  assert.equal(record.user, "end-user-9");
});

test("@google/genai on Vertex AI express mode: the upstream gets the Vertex API key on the global host", async () => {
  const key = await newKey({ name: "v", user: "dave", project: "vx" });
  const ai = new GoogleGenAI({ vertexai: true, apiKey: key.secret, httpOptions: { baseUrl: "http://kestrel.test/google-vertex-ai", fetch: appFetch } });
  const done = await ai.models.generateContent({ model: "gemini-2.0-flash", contents: "hi" });
  assert.equal(done.text, "ok");
  const sent = k.sent.at(-1)!;
  assert.equal(new URL(sent.url).origin, "https://aiplatform.googleapis.com");
  assert.match(new URL(sent.url).pathname, /^\/v1[^/]*\/publishers\/google\/models\/gemini-2\.0-flash:generateContent$/);
  assert.equal(sent.headers.get("x-goog-api-key"), PROVIDER_SECRETS.VERTEX_SECRET);
  assert.equal(sent.headers.get("authorization"), null);
  assert.ok(!upstreamText(sent).includes("ksk_"), "no ksk_ upstream");
  const record = await lastRecord();
  assert.deepEqual([record.provider, record.key_id, record.user, record.project], ["google-vertex-ai", key.id, "dave", "vx"]);
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
