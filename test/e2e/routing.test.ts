// Over real sockets: all 26 mappings reach the (mock) upstream with the mapped path, the query and the headers
// the client meant; routing errors come back as JSON.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { MAPPINGS } from "../_helpers/mappings.ts";

let mock: Mock;
let kestrel: Kestrel;

before(async () => {
  mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_mock" });
    res.end(JSON.stringify({ ok: true }));
  });
  kestrel = await startKestrel(PROVIDER_IDS.flatMap((id) => ["--upstream", `${id}=${mock.url}`]));
});

after(async () => {
  await kestrel.stop();
  await mock.close();
});

test("all 26 providers: the upstream sees the mapped path and the query byte for byte", async () => {
  for (const [client, upstream] of MAPPINGS) {
    const before = mock.received.length;
    const res = await fetch(kestrel.url + client, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(res.status, 200, client);
    await res.arrayBuffer();
    const got = mock.received[before]!;
    const expected = upstream.replace(/^https:\/\/[^/]+/, "");
    assert.equal(got.url, expected, client);
    assert.equal(got.method, "POST");
  }
});

test("header hygiene: auth forwarded untouched; host, client-hop and x-kestrel headers dropped", async () => {
  const before = mock.received.length;
  const res = await fetch(`${kestrel.url}/openai/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model: "gpt-4o" }),
    headers: {
      "content-type": "application/json",
      authorization: "Bearer sk-test-123",
      "x-api-key": "ak-1",
      "anthropic-version": "2023-06-01",
      "x-forwarded-for": "1.2.3.4",
      "x-forwarded-proto": "https",
      "x-real-ip": "1.2.3.4",
      forwarded: "for=1.2.3.4",
      via: "1.1 cdn",
      "cf-connecting-ip": "1.2.3.4",
      "cf-ray": "abc",
      "x-kestrel-user": "alice",
      "x-kestrel-project": "p",
      "x-custom": "kept",
      connection: "x-drop-me",
      "x-drop-me": "1",
    },
  });
  await res.arrayBuffer();
  const h = mock.received[before]!.headers;
  assert.equal(h.authorization, "Bearer sk-test-123");
  assert.equal(h["x-api-key"], "ak-1");
  assert.equal(h["anthropic-version"], "2023-06-01");
  assert.equal(h["x-custom"], "kept");
  assert.equal(h.host, new URL(mock.url).host, "the upstream's own host, not Kestrel's");
  for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-real-ip", "forwarded", "via", "cf-connecting-ip", "cf-ray", "x-kestrel-user", "x-kestrel-project", "x-drop-me"]) {
    assert.equal(h[name], undefined, name);
  }
});

test("redirects are passed back, not followed", async () => {
  const m = await startMock((_req, res) => {
    res.writeHead(307, { location: "https://elsewhere.example/v1/x" });
    res.end();
  });
  const k = await startKestrel(["--upstream", `openai=${m.url}`]);
  try {
    const res = await fetch(`${k.url}/openai/v1/files/x`, { redirect: "manual" });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), "https://elsewhere.example/v1/x");
    assert.equal(m.received.length, 1);
  } finally {
    await k.stop();
    await m.close();
  }
});

test("routing errors are JSON: 404 unknown provider, 400 invalid path", async () => {
  const unknown = await fetch(`${kestrel.url}/nope/v1/chat`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.headers.get("content-type")!, /application\/json/);
  assert.deepEqual(await unknown.json(), {
    error: { code: "unknown_provider", message: `Unknown provider: "nope". Available providers: ${PROVIDER_IDS.join(", ")}` },
  });
  const before = mock.received.length;
  const ssrf = await fetch(`${kestrel.url}/azure-openai/evil.com%2F/dep/chat/completions`);
  assert.equal(ssrf.status, 400);
  const body = await ssrf.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, "invalid_path");
  assert.equal(mock.received.length, before, "nothing left Kestrel");
});

test("GET /health and /providers answer as the original; its home page moved to /about, / is the dashboard", async () => {
  const health = await fetch(`${kestrel.url}/health`);
  assert.equal(health.status, 200);
  assert.match(health.headers.get("content-type")!, /text\/plain/);
  assert.equal(await health.text(), "Healthy");
  const providers = await fetch(`${kestrel.url}/providers`);
  assert.deepEqual(await providers.json(), [...PROVIDER_IDS]);
  const about = await fetch(`${kestrel.url}/about`);
  assert.match(await about.text(), /\/openai\//);
  const home = await fetch(`${kestrel.url}/`);
  assert.match(await home.text(), /<title>Kestrel dashboard<\/title>/);
});
