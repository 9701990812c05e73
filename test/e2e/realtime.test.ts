// Realtime sessions through a real Kestrel (docs/architecture.md §18): a plain WebSocket client over ws: to a mock
// upstream replaying documented event sequences. Per response a priced record, per session one record at close;
// frames unchanged both ways; secrets only as a fingerprint; refusals, idle, upstream closes and SIGTERM.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { fingerprint } from "../../src/attributes/attribution.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { openClient } from "../_helpers/ws-client.ts";
import { type MockSession, type MockWsUpstream, startWsMock } from "../_helpers/ws-mock.ts";
import {
  GEMINI_CLIENT,
  GEMINI_EXPECTED,
  GEMINI_SESSION,
  OPENAI_CLIENT,
  OPENAI_EXPECTED,
  OPENAI_SESSION,
  RESPONSES_CLIENT,
  RESPONSES_EXPECTED,
  RESPONSES_SESSION,
  type Step,
  wire,
} from "../realtime/_sequences.ts";

const SCRIPTS: Record<string, Step[]> = { openai: OPENAI_SESSION, gemini: GEMINI_SESSION, responses: RESPONSES_SESSION };

/** Plays the script the `scenario=` query names; `close=` makes the upstream close with that code at the end. */
async function play(s: MockSession): Promise<void> {
  const q = new URL(s.url, "http://x").searchParams;
  const steps = SCRIPTS[q.get("scenario") ?? ""] ?? [];
  for (const step of steps) {
    if ("awaitClient" in step) await s.waitFor(step.awaitClient);
    else {
      const { data, binary } = wire(step);
      s.send(data, { binary });
    }
  }
  const code = q.get("close");
  if (code) s.close(Number(code), "session expired");
}

let mock: MockWsUpstream;
let k: Kestrel;
let wsUrl: string;

before(async () => {
  mock = await startWsMock(play, { headers: { "x-request-id": "req_upstream_1" } });
  const upstreams = ["openai", "google-ai-studio", "elevenlabs"].flatMap((p) => ["--upstream", `${p}=${mock.url}`]);
  k = await startKestrel([...upstreams, "--log-format", "json"]);
  wsUrl = k.url.replace(/^http/, "ws");
});

after(async () => {
  await k.stop();
  await mock.close();
});

async function recordsOf(tag: string, responses: number): Promise<{ session: UsageRecord; responses: UsageRecord[] }> {
  let found: UsageRecord[] = [];
  await until(`the records tagged ${tag}`, async () => {
    const res = await fetch(`${k.url}/api/requests?limit=1000`);
    found = ((await res.json()) as { requests: UsageRecord[] }).requests.filter((r) => r.tags.includes(tag));
    return found.some((r) => r.close_code !== null) && found.length >= responses + 1;
  }, { detail: () => JSON.stringify(found.map((r) => [r.response_id, r.close_code])) });
  const sorted = found.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { session: sorted.find((r) => r.close_code !== null)!, responses: sorted.filter((r) => r.close_code === null) };
}

const bytesOf = (m: { data: Uint8Array | string }) => typeof m.data === "string" ? new TextEncoder().encode(m.data) : m.data;

test("OpenAI Realtime over ws: usage and cost per response, a session record, frames unchanged both ways", async () => {
  const key = "sk-realtime-secret-0123456789";
  const next = mock.next();
  const client = await openClient(`${wsUrl}/openai/v1/realtime?model=gpt-realtime&scenario=openai`, {
    protocols: ["realtime", `openai-insecure-api-key.${key}`],
    headers: { "x-kestrel-tags": "rt-openai", "x-kestrel-user": "alice", "openai-beta": "realtime=v1" },
  });
  assert.equal(client.protocol, "realtime", "the upstream's choice of subprotocol reaches the client");
  const upstream = await next;
  for (const m of OPENAI_CLIENT) client.ws.send(JSON.stringify(m));
  const serverSteps = OPENAI_SESSION.filter((s) => "server" in s) as { server: unknown; binary?: boolean }[];
  await client.waitFor(serverSteps.length);
  client.ws.close(1000, "done");
  assert.deepEqual(await client.closed, { code: 1000, reason: "done" });
  assert.deepEqual((await upstream.closed).code, 1000, "the client's close reaches the upstream");

  // Frames unchanged both ways, text as text and binary as binary.
  assert.deepEqual(client.messages.map((m) => [m.text, [...bytesOf(m)].join()]), serverSteps.map((s) => {
    const w = wire(s);
    return [!w.binary, [...(typeof w.data === "string" ? new TextEncoder().encode(w.data) : w.data)].join()];
  }));
  assert.deepEqual(upstream.received.map((m) => [m.text, new TextDecoder().decode(m.data)]), OPENAI_CLIENT.map((m) => [true, JSON.stringify(m)]));
  // The headers that matter reach the upstream; Kestrel's own do not.
  assert.equal(upstream.headers["openai-beta"], "realtime=v1");
  assert.match(String(upstream.headers["sec-websocket-protocol"]), /openai-insecure-api-key\./);
  assert.equal(upstream.headers["x-kestrel-user"], undefined);

  const { session, responses } = await recordsOf("rt-openai", OPENAI_EXPECTED.length);
  // Records are ordered by when each response started; compared by response id.
  const byId = <T>(rows: T[], id: (t: T) => string | null) => rows.sort((a, b) => String(id(a)).localeCompare(String(id(b))));
  assert.deepEqual(byId(responses, (r) => r.response_id).map((r) => [r.response_id, r.model, r.input_tokens, r.output_tokens, r.cost_usd]),
    byId([...OPENAI_EXPECTED], (e) => e.response_id).map((e) => [e.response_id, e.model, e.input_tokens < 0 ? null : e.input_tokens, e.output_tokens < 0 ? null : e.output_tokens, e.cost_usd]));
  const keyId = await fingerprint(key);
  for (const r of [...responses, session]) {
    assert.equal(r.session_id, session.session_id);
    assert.equal(r.key_id, keyId, "the key in the subprotocol is fingerprinted like a header's");
    assert.equal(r.user, "alice");
    assert.equal(r.path, "/openai/v1/realtime");
    assert.equal(r.request_id, "req_upstream_1");
  }
  assert.equal(session.outcome, "ok");
  assert.equal(session.status, 101);
  assert.equal(session.close_code, 1000);
  assert.equal(session.model, "gpt-realtime");
  assert.equal(session.usage_source, "none");
  assert.equal(session.input_tokens, null, "the session record carries no usage: every token is counted once");
  assert.equal(session.frames_down, serverSteps.length);
  assert.equal(session.frames_up, OPENAI_CLIENT.length);
  assert.equal(session.bytes_up, OPENAI_CLIENT.reduce((a: number, m) => a + JSON.stringify(m).length, 0));
  assert.equal(session.bytes_down, client.messages.reduce((a, m) => a + bytesOf(m).byteLength, 0));

  // /api/usage counts each token once and the session as no unpriced request.
  const usage = await (await fetch(`${k.url}/api/usage?group_by=model`)).json() as { groups: { key: string; unpriced_requests: number }[] };
  assert.equal(usage.groups.find((g) => g.key === "gpt-realtime")?.unpriced_requests, 0);
});

test("Gemini Live: binary frames, the key in ?key=, one record per turn", async () => {
  const key = "AIzaGeminiLiveSecret0123456789";
  const next = mock.next();
  const client = await openClient(
    `${wsUrl}/google-ai-studio/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=${key}&scenario=gemini`,
    { headers: { "x-kestrel-tags": "rt-gemini" } },
  );
  const upstream = await next;
  assert.match(upstream.url, new RegExp(`\\?key=${key}&scenario=gemini$`), "the query goes upstream byte for byte");
  for (const m of GEMINI_CLIENT) client.ws.send(JSON.stringify(m));
  const serverSteps = GEMINI_SESSION.filter((s) => "server" in s).length;
  await client.waitFor(serverSteps);
  assert.ok(client.messages.every((m) => !m.text), "Gemini's binary frames stay binary");
  client.ws.close(1000);
  await client.closed;
  const { session, responses } = await recordsOf("rt-gemini", GEMINI_EXPECTED.length);
  assert.deepEqual(responses.map((r) => [r.response_id, r.model, r.input_tokens, r.output_tokens, r.cost_usd]),
    GEMINI_EXPECTED.map((e) => [e.response_id, e.model, e.input_tokens, e.output_tokens, e.cost_usd]));
  assert.equal(session.key_id, await fingerprint(key));
  assert.equal(session.path, "/google-ai-studio/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent");
});

test("the Responses API over WebSocket", async () => {
  const client = await openClient(`${wsUrl}/openai/v1/responses?scenario=responses`, { headers: { authorization: "Bearer sk-responses", "x-kestrel-tags": "rt-responses" } });
  for (const m of RESPONSES_CLIENT) client.ws.send(JSON.stringify(m));
  await client.waitFor(RESPONSES_SESSION.filter((s) => "server" in s).length);
  client.ws.close(1000);
  await client.closed;
  const { responses } = await recordsOf("rt-responses", RESPONSES_EXPECTED.length);
  assert.deepEqual(responses.map((r) => [r.response_id, r.model, r.cost_usd]), RESPONSES_EXPECTED.map((e) => [e.response_id, e.model, e.cost_usd]));
});

test("an upstream's close code and reason reach the client; an error code is recorded as upstream_error", async () => {
  const client = await openClient(`${wsUrl}/openai/v1/realtime?model=gpt-realtime&close=4001`, { headers: { "x-kestrel-tags": "rt-close" } });
  assert.deepEqual(await client.closed, { code: 4001, reason: "session expired" });
  const { session } = await recordsOf("rt-close", 0);
  assert.equal(session.close_code, 4001);
  assert.equal(session.outcome, "upstream_error");
  assert.match(session.usage_error ?? "", /upstream closed with 4001/);
});

test("a route without a realtime meter is still relayed and recorded as a session", async () => {
  const next = mock.next();
  const client = await openClient(`${wsUrl}/elevenlabs/v1/convai/conversation?agent_id=a1`, { headers: { "x-kestrel-tags": "rt-plain" } });
  const upstream = await next;
  upstream.send(new Uint8Array([1, 2, 3]));
  client.ws.send("ping");
  await client.waitFor(1);
  await upstream.waitFor(1);
  client.ws.close(1000);
  const { session, responses } = await recordsOf("rt-plain", 0);
  assert.equal(responses.length, 0);
  assert.deepEqual([session.frames_up, session.frames_down, session.bytes_up, session.bytes_down], [1, 1, 4, 3]);
});

/** A raw request (fetch cannot send an upgrade), read until Kestrel's JSON answer is whole. */
function raw(head: string): Promise<{ status: number; head: string; body: string }> {
  const { port, hostname } = new URL(k.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = "";
    socket.on("data", (d) => {
      text += d.toString("utf8");
      const end = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text);
      if (end !== -1 && length && text.length >= end + 4 + Number(length[1])) socket.end();
    });
    socket.on("close", () => {
      const end = text.indexOf("\r\n\r\n");
      resolve({ status: Number(text.slice(9, 12)), head: text.slice(0, end), body: text.slice(end + 4) });
    });
    socket.on("error", reject);
  });
}

test("an upgrade the upstream refuses reaches the client as the upstream answered it, and is recorded", async () => {
  const refusing = await startWsMock(() => {}, {
    refuse: () => ({ status: 401, body: '{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}', headers: { "x-request-id": "req_refused" } }),
  });
  const other = await startKestrel(["--upstream", `openai=${refusing.url}`]);
  try {
    const { port, hostname } = new URL(other.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(`GET /openai/v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nx-kestrel-tags: rt-refused\r\n\r\n`));
      let text = "";
      socket.on("data", (d) => {
        text += d.toString("utf8");
        if (text.includes("invalid_api_key")) socket.end();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 401/);
    assert.match(answer, /x-request-id: req_refused/i);
    assert.match(answer, /\r\n\r\n\{"error":\{"message":"Incorrect API key provided","code":"invalid_api_key"\}\}$/);
    let records: UsageRecord[] = [];
    await until("the refused upgrade's record", async () => {
      records = ((await (await fetch(`${other.url}/api/requests`)).json()) as { requests: UsageRecord[] }).requests;
      return records.length > 0;
    });
    assert.equal(records[0]!.status, 401);
    assert.equal(records[0]!.outcome, "upstream_error");
    assert.equal(records[0]!.close_code, null);
    assert.notEqual(records[0]!.session_id, null);
  } finally {
    await other.stop();
    await refusing.close();
  }
});

test("a request that cannot be a WebSocket handshake gets a JSON error and goes nowhere", async () => {
  const before = mock.requests;
  const upgrade = (method: string, path: string, version: string) =>
    raw(`${method} ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${version}\r\n\r\n`);
  const old = await upgrade("GET", "/openai/v1/realtime", "8");
  assert.equal(old.status, 426, JSON.stringify(old));
  assert.match(old.head, /sec-websocket-version: 13/i);
  assert.match(old.body, /"code":"bad_upgrade"/);
  const post = await upgrade("POST", "/openai/v1/realtime", "13");
  assert.equal(post.status, 400);
  assert.match(post.body, /"code":"bad_upgrade"/);
  const unknown = await upgrade("GET", "/nonesuch/v1/realtime", "13");
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /"code":"unknown_provider"/);
  assert.equal(mock.requests, before, "none of them reached the upstream");
});

test("secrets in the subprotocol and in ?key= are in no log line and nowhere in the database", async () => {
  await new Promise((r) => setTimeout(r, 300)); // the store's flush interval
  const log = k.lines.join("\n");
  const db = readFileSync(k.db).toString("latin1") + (() => {
    try {
      return readFileSync(`${k.db}-wal`).toString("latin1");
    } catch {
      return "";
    }
  })();
  for (const secret of ["sk-realtime-secret-0123456789", "AIzaGeminiLiveSecret0123456789", "sk-responses"]) {
    assert.ok(!log.includes(secret), `${secret} in the log`);
    assert.ok(!db.includes(secret), `${secret} in the database`);
  }
});
