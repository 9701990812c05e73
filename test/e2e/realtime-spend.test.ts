/**
 * Issue 22's spend control for realtime sessions, through a real Kestrel and a mock OpenAI Realtime upstream: a
 * response that exhausts a block budget closes both sides with 1008 naming it, the session record says `blocked`,
 * and the next upgrade is refused with the 429 JSON before any upstream socket opens.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { openClient } from "../_helpers/ws-client.ts";
import { startWsMock } from "../_helpers/ws-mock.ts";

/** One response of gpt-realtime: 1,000 text tokens in and out ($4 and $16 per million): $0.02. */
const DONE = JSON.stringify({
  type: "response.done",
  event_id: "event_1",
  response: {
    id: "resp_1", object: "realtime.response", status: "completed", output: [],
    usage: {
      total_tokens: 2000, input_tokens: 1000, output_tokens: 1000,
      input_token_details: { text_tokens: 1000, audio_tokens: 0, cached_tokens: 0 },
      output_token_details: { text_tokens: 1000, audio_tokens: 0 },
    },
  },
});

test("realtime: a response that exhausts a block budget closes both sides with 1008; the next session is refused with 429", async () => {
  const mock = await startWsMock(async (s) => {
    await s.waitFor(1);
    s.send(DONE);
  });
  const config = join(tempDir(), "kestrel.json");
  writeFileSync(config, JSON.stringify({
    budgets: [{ id: "voice", scope: { project: "voice" }, window: "day", limit_usd: "0.01" }],
  }));
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--config", config]);
  const ws = k.url.replace(/^http/, "ws");
  try {
    const client = await openClient(`${ws}/openai/v1/realtime?model=gpt-realtime`, {
      headers: { authorization: "Bearer sk-voice-0000", "x-kestrel-project": "voice" },
    });
    const upstream = mock.sessions[0]!;
    client.ws.send(JSON.stringify({ type: "response.create" }));
    assert.deepEqual(await client.closed, { code: 1008, reason: 'Budget "voice" is exhausted' });
    assert.equal((await upstream.closed).code, 1008, "the upstream is closed too");

    let records: UsageRecord[] = [];
    await until("the response and session records", async () => {
      records = ((await (await fetch(`${k.url}/api/requests?limit=100`)).json()) as { requests: UsageRecord[] }).requests;
      return records.some((r) => r.close_code !== null);
    });
    const session = records.find((r) => r.close_code !== null)!;
    const response = records.find((r) => r.response_id === "resp_1")!;
    assert.equal(response.cost_usd, "0.02");
    assert.equal(session.outcome, "blocked");
    assert.equal(session.close_code, 1008);
    assert.match(session.usage_error ?? "", /Budget "voice" is exhausted/);

    // The budget is exhausted: the next upgrade gets the 429 JSON, and no upstream socket is opened.
    const sessions = mock.sessions.length;
    const { port, hostname } = new URL(k.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          "GET /openai/v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nx-kestrel-project: voice\r\n" +
            "Authorization: Bearer sk-voice-0000\r\n\r\n",
        ));
      let text = "";
      socket.on("data", (d) => {
        text += d.toString("utf8");
        if (text.includes("}}")) socket.end();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 429/);
    assert.match(answer, /"code":"budget_exceeded"/);
    assert.equal(mock.sessions.length, sessions);
  } finally {
    await k.stop();
    await mock.close();
  }
});
