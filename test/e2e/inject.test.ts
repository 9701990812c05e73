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

const chat = (url: string, extra: Record<string, unknown> = {}) =>
  fetch(`${url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [], ...extra }),
  });

/**
 * Takes `stream_options: {include_usage}` except for the model `strict-model`, and refuses any other key in
 * stream_options with 400 (a client's own mistake).
 */
async function pickyUpstream() {
  return await startMock((_req, res, body) => {
    const json = JSON.parse(body.toString());
    const options = json.stream_options;
    const bad = options !== undefined && (json.model === "strict-model" || Object.keys(options).some((k) => k !== "include_usage"));
    if (bad) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Unrecognized request argument supplied: stream_options", type: "invalid_request_error" } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(STREAM);
  });
}

const asked = (mock: { received: { body: Buffer }[] }, i: number) =>
  JSON.parse(mock.received[i]!.body.toString()).stream_options?.include_usage === true;

test("an upstream that refuses the added stream_options gets the original request; the client sees 200", async () => {
  const mock = await strictUpstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const first = await chat(k.url);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), STREAM);
    assert.equal(mock.received.length, 2, "asked with usage, then resent as sent");
    assert.equal(JSON.parse(mock.received[1]!.body.toString()).stream_options, undefined);
    await k.waitForLine(/WRN\] 127\.0\.0\.1:\d+\/v1\/chat\/completions \(gpt-4o-mini\) refused stream_options\.include_usage/);
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

test("a client's own malformed stream_options does not stop Kestrel asking for usage later", async () => {
  const mock = await pickyUpstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const bad = await chat(k.url, { stream_options: { include_usage: false, bogus: 1 } });
    assert.equal(bad.status, 400, "the client hears about its own mistake");
    await bad.arrayBuffer();
    assert.equal(mock.received.length, 2, "asked with usage, then resent as sent");
    const good = await chat(k.url);
    assert.equal(good.status, 200);
    await good.arrayBuffer();
    assert.equal(mock.received.length, 3);
    assert.ok(asked(mock, 2), "the next stream is still asked for usage");
    assert.ok(!k.lines.some((l) => /refused stream_options/.test(l)));
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("one model (or deployment) refusing stream_options leaves the others asked for usage", async () => {
  const mock = await pickyUpstream();
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const strict = await chat(k.url, { model: "strict-model" });
    assert.equal(await strict.text(), STREAM);
    assert.equal(mock.received.length, 2);
    await k.waitForLine(/\(strict-model\) refused stream_options/);
    const again = await chat(k.url, { model: "strict-model" });
    await again.arrayBuffer();
    assert.equal(mock.received.length, 3, "the refusing model is not asked again");
    assert.ok(!asked(mock, 2));
    const other = await chat(k.url);
    await other.arrayBuffer();
    assert.equal(mock.received.length, 4);
    assert.ok(asked(mock, 3), "another model on the same provider is still asked");
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("an injected stream reaches the client byte for byte as the upstream sends it without the injection", async () => {
  // OpenAI's behaviour: with include_usage every chunk carries "usage":null and a usage-only chunk comes last.
  const mock = await startMock((_req, res, body) => {
    const withUsage = JSON.parse(body.toString()).stream_options?.include_usage === true;
    const usage = withUsage ? ',"usage":null' : "";
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const piece of ["Hel", "lo"]) {
      res.write(`data: {"id":"c","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"${piece}"},"finish_reason":null}]${usage},"obfuscation":"q"}\n\n`);
    }
    if (withUsage) res.write('data: {"id":"c","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n');
    res.end("data: [DONE]\n\n");
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const direct = await (await fetch(`${mock.url}/v1/chat/completions`, { method: "POST", body: '{"stream":true}' })).text();
    const res = await chat(k.url);
    assert.equal(await res.text(), direct);
    assert.ok(asked(mock, 1), "Kestrel did ask for usage");
    await k.waitForLine(/OpenAI API Usage .*Tokens: Prompt=5\/Completion=2\/Total=7/);
  } finally {
    await k.stop();
    await mock.close();
  }
});
