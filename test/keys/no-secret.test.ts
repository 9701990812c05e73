/**
 * Issue 21: no secret — a Kestrel key or a provider key — appears in any log line, record, export, metric, error
 * body, span or check-config output, after a run through a real Kestrel process that used every key path: create,
 * a keyed request (JSON and streamed), an unknown key, a refused model, `?key=`, rotation, the self-service answer,
 * the key list. Only the create and rotate answers carry a Kestrel secret, by design (shown once).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";

const PROVIDER_SECRET = "sk-proj-PROVIDERSECRETnoleak1234567890abcdef";
const RUNTIME_SECRET = "gsk_RUNTIMESECRETnoleak0987654321";
const ADMIN = "admin-token-for-the-no-secret-test-0000";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

let upstream: Mock;
let spans: Mock;
let k: Kestrel;
let config: string;
const secrets: string[] = [];
/** Every answer body Kestrel gave except the create/rotate answers. */
const answers: string[] = [];

before(async () => {
  upstream = await startMock((req, res, body) => {
    const json = JSON.parse(body.toString() || "{}") as { stream?: boolean; model?: string };
    if (json.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\ndata: [DONE]\n\n`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "c", object: "chat.completion", model: json.model ?? "gpt-4o-mini", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
  });
  spans = await startMock((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  const dir = tempDir();
  config = join(dir, "kestrel.json");
  writeFileSync(config, JSON.stringify({ provider_keys: { openai: { env: "NO_LEAK_OPENAI" } } }));
  k = await startKestrel(
    ["--config", config, "--upstream", `openai=${upstream.url}`, "--upstream", `groq=${upstream.url}`, "--admin-token", ADMIN, "--log-level", "debug", "--otlp-endpoint", spans.url],
    { NO_LEAK_OPENAI: PROVIDER_SECRET, KESTREL_MASTER_KEY: "no-secret-test-master-key-0123456789abcdef" },
  );
});

after(async () => {
  await k?.stop();
  await upstream?.close();
  await spans?.close();
});

async function keep(res: Response): Promise<Response> {
  answers.push(await res.clone().text());
  return res;
}

test("every key path, then no secret anywhere Kestrel writes or answers", async () => {
  const created = await (await fetch(`${k.url}/api/keys`, { method: "POST", headers: admin, body: JSON.stringify({ name: "n", models: ["gpt-4o-mini"] }) })).json() as { secret: string; key: { id: string } };
  secrets.push(created.secret);
  const chat = (secret: string, extra: Record<string, unknown> = {}, query = "") =>
    fetch(`${k.url}/openai/v1/chat/completions${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(query ? {} : { authorization: `Bearer ${secret}` }) },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...extra }),
    }).then(keep);
  assert.equal((await chat(created.secret)).status, 200);
  // A provider secret set at runtime (sealed in the database), used for a keyed request to its provider.
  assert.equal((await fetch(`${k.url}/api/provider-keys/groq`, { method: "PUT", headers: admin, body: JSON.stringify({ secret: RUNTIME_SECRET }) })).status, 204);
  const groqKey = await (await fetch(`${k.url}/api/keys`, { method: "POST", headers: admin, body: JSON.stringify({ name: "g" }) })).json() as { secret: string };
  secrets.push(groqKey.secret);
  const groq = await keep(await fetch(`${k.url}/groq/openai/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${groqKey.secret}`, "content-type": "application/json" }, body: JSON.stringify({ model: "llama-3.1-8b-instant", messages: [] }) }));
  assert.equal(groq.status, 200);
  assert.equal(upstream.received.at(-1)!.headers.authorization, `Bearer ${RUNTIME_SECRET}`);
  await keep(await fetch(`${k.url}/api/provider-keys`, { headers: admin }));
  assert.equal((await chat(created.secret, { stream: true })).status, 200);
  assert.equal((await chat(created.secret, {}, `?key=${created.secret}`)).status, 200);
  assert.equal((await chat(created.secret, { model: "gpt-4o" })).status, 403);
  assert.equal((await chat(`${created.secret.slice(0, -2)}zz`)).status, 401);
  const rotated = await (await fetch(`${k.url}/api/keys/${created.key.id}/rotate`, { method: "POST", headers: admin, body: "{}" })).json() as { secret: string };
  secrets.push(rotated.secret);
  assert.equal((await chat(created.secret)).status, 401);
  await keep(await fetch(`${k.url}/kestrel/v1/key`, { headers: { "x-api-key": rotated.secret } }));
  await keep(await fetch(`${k.url}/api/keys`, { headers: admin }));
  await keep(await fetch(`${k.url}/api/keys/${created.key.id}`, { headers: admin }));
  for (const format of ["csv", "json", "ndjson"]) await keep(await fetch(`${k.url}/api/export?format=${format}`, { headers: admin }));
  await keep(await fetch(`${k.url}/api/requests?limit=100`, { headers: admin }));
  await keep(await fetch(`${k.url}/metrics`, { headers: admin }));
  assert.ok(upstream.received.every((r) => [`Bearer ${PROVIDER_SECRET}`, `Bearer ${RUNTIME_SECRET}`].includes(String(r.headers.authorization))), "upstream got the provider secrets");
  await k.stop(); // flushes spans, records and the log
  const [cmd, argv] = kestrelCommand(["check-config", "--config", config]);
  const checked = spawnSync(cmd, argv, { env: { ...process.env, NO_LEAK_OPENAI: PROVIDER_SECRET }, encoding: "utf8" });
  assert.match(checked.stdout, /provider-key/, "check-config lists the provider key's source");

  const db = [k.db, `${k.db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
  const haystacks: Record<string, string> = {
    log: k.lines.join("\n") + k.stderr(),
    db,
    answers: answers.join("\n"),
    spans: spans.received.map((r) => r.body.toString("latin1")).join("\n"),
    upstream: upstream.received.map((r) => JSON.stringify(r.headers) + r.url + r.body.toString()).join("\n"),
    "check-config": checked.stdout + checked.stderr,
  };
  assert.ok(haystacks.spans!.length > 0, "spans were exported");
  // Any 8 random characters of a Kestrel secret (its start, its end: a "hint" shows both), and the provider
  // secret's distinctive part (the upstream alone must see it).
  const needles = [...secrets.flatMap((s) => [s.slice(4, 12), s.slice(-8)]), "PROVIDERSECRET", "RUNTIMESECRET"];
  for (const [where, text] of Object.entries(haystacks)) {
    for (const needle of needles) {
      if (where === "upstream" && (needle === "PROVIDERSECRET" || needle === "RUNTIMESECRET")) continue;
      const at = text.indexOf(needle);
      assert.ok(at < 0, `a secret leaked into the ${where}: …${text.slice(Math.max(0, at - 100), at + 100)}…`);
    }
    assert.ok(!/ksk_[0-9A-Za-z]{20,}/.test(text), `a ksk_ secret in the ${where}`);
  }
});
