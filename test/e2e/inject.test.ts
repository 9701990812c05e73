// Asking streams for usage must never cost the client anything: off means off, and an upstream that refuses the
// added stream_options gets the client's original request instead (and is not asked again).
import assert from "node:assert/strict";
import { test } from "node:test";
import { startKestrel } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";

const STREAM = 'data: {"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":null}\n\ndata: [DONE]\n\n';

/** An old Azure api-version: rejects stream_options with 400, like the real service did. */
async function strictUpstream() {
  return await startMock((_req, res, body) => {
    const json = JSON.parse(body.toString());
    if (json.stream_options) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Unrecognized request argument supplied: stream_options", type: "invalid_request_error" } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(STREAM);
  });
}

const chat = (url: string) =>
  fetch(`${url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [] }),
  });

test("an upstream that refuses the added stream_options gets the original request; the client sees 200", async () => {
  const mock = await strictUpstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const first = await chat(k.url);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), STREAM);
    assert.equal(mock.received.length, 2, "asked with usage, then resent as sent");
    assert.equal(JSON.parse(mock.received[1]!.body.toString()).stream_options, undefined);
    await k.waitForLine(/WRN\] openai refused stream_options\.include_usage/);
    const second = await chat(k.url);
    assert.equal(await second.text(), STREAM);
    assert.equal(mock.received.length, 3, "not asked again");
    await k.waitForLine(/OpenAI API Usage .*Tokens: unknown/);
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("--inject-stream-usage off forwards the request untouched", async () => {
  const mock = await strictUpstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--inject-stream-usage", "off"]);
  try {
    const res = await chat(k.url);
    assert.equal(await res.text(), STREAM);
    assert.equal(mock.received.length, 1);
    assert.deepEqual(JSON.parse(mock.received[0]!.body.toString()), { model: "gpt-4o-mini", stream: true, messages: [] });
  } finally {
    await k.stop();
    await mock.close();
  }
});
