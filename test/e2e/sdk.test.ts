// The official `openai` and `@anthropic-ai/sdk` clients, base URL pointed at Kestrel, Kestrel pointed at a mock
// that answers like the real APIs (recorded responses). Everything works unchanged, the log lines carry the
// right numbers, and the usage chunk Kestrel asked for never reaches a client that did not ask for it.
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { fixtureBytes } from "../_helpers/fixture-mock.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";

const text = (file: string) => new TextDecoder().decode(fixtureBytes(file));
const OPENAI_SSE = text("openai-chat/openai-text.sse");
/** What OpenAI sends when the request did not ask for usage: the same stream without the usage chunk. */
const OPENAI_SSE_NO_USAGE = OPENAI_SSE.replace(/data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/, "");

let mock: Mock;
let kestrel: Kestrel;

before(async () => {
  mock = await startMock((req, res, body) => {
    const json = JSON.parse(body.toString() || "{}");
    if (req.url === "/v1/chat/completions") {
      if (json.stream) {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "x-request-id": "req_sse" });
        res.end(json.stream_options?.include_usage ? OPENAI_SSE : OPENAI_SSE_NO_USAGE);
      } else {
        res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_json" });
        res.end(text("openai-chat/openai-text.json"));
      }
    } else if (req.url === "/v1/messages") {
      res.writeHead(200, {
        "content-type": json.stream ? "text/event-stream; charset=utf-8" : "application/json",
        "request-id": json.stream ? "req_ant_sse" : "req_ant_json",
      });
      res.end(text(json.stream ? "anthropic-messages/anthropic-text.sse" : "anthropic-messages/anthropic-text.json"));
    } else {
      res.writeHead(404).end();
    }
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`, "--upstream", `anthropic=${mock.url}`]);
});

after(async () => {
  await kestrel.stop();
  await mock.close();
});

const openai = () => new OpenAI({ apiKey: "sk-test", baseURL: `${kestrel.url}/openai/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: "sk-ant-test", baseURL: `${kestrel.url}/anthropic`, maxRetries: 0 });

test("openai: non-streaming chat completion", async () => {
  const completion = await openai().chat.completions.create({ model: "gpt-4.1-nano", messages: [{ role: "user", content: "hi" }] });
  assert.equal(completion.usage?.prompt_tokens, 16);
  assert.equal(completion.usage?.completion_tokens, 363);
  const line = await kestrel.waitForLine(/Request: req_json/);
  assert.match(line, /INF\] OpenAI API Usage - Request: req_json, Model: gpt-4\.1-nano-2025-04-14, Tokens: Prompt=16\/Completion=363\/Total=379, Streaming: false, Cost: \$0\.\d{6}$/);
});

test("openai: a stream that did not ask for usage gets none, and Kestrel still records it", async () => {
  const stream = await openai().chat.completions.create({ model: "gpt-4.1-nano", messages: [{ role: "user", content: "hi" }], stream: true });
  let content = "";
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.ok(chunk.usage === null || chunk.usage === undefined, "no usage reaches this client");
    assert.ok(chunk.choices.length > 0, "no usage-only chunk reaches this client");
    content += chunk.choices[0]?.delta.content ?? "";
  }
  assert.equal(chunks, 302);
  assert.ok(content.length > 100);
  assert.equal(JSON.parse(mock.received.at(-1)!.body.toString()).stream_options.include_usage, true, "Kestrel asked upstream");
  const line = await kestrel.waitForLine(/Request: req_sse, .*Streaming: true/);
  assert.match(line, /OpenAI API Usage - Request: req_sse, Model: gpt-4\.1-nano-2025-04-14, Tokens: Prompt=16\/Completion=300\/Total=316, Streaming: true, Cost: \$0\.\d{6}$/);
});

test("openai: a stream that asked for usage still gets it", async () => {
  const before = kestrel.lines.length;
  const stream = await openai().chat.completions.create({
    model: "gpt-4.1-nano",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage = null;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  assert.equal(usage?.total_tokens, 316);
  await kestrel.waitForLine(/Request: req_sse, .*Total=316/, 15_000, before);
});

test("anthropic: non-streaming message, seed log line with cost parts", async () => {
  const message = await anthropic().messages.create({ model: "claude-3-5-sonnet-latest", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  assert.equal(message.usage.input_tokens, 12);
  const line = await kestrel.waitForLine(/Request: req_ant_json/);
  assert.match(line, /Anthropic API Usage - Request: req_ant_json, Model: [\w.-]+, Tokens: I=12\/O=29\/CC=0\/CR=0, Cost: I=\$0\.\d{6}\/O=\$0\.\d{6}, Total: \$0\.\d{6}, Streaming: false$/);
});

test("anthropic: streaming message, usage merged from message_start and message_delta", async () => {
  const stream = anthropic().messages.stream({ model: "claude-3-5-sonnet-latest", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  const message = await stream.finalMessage();
  assert.equal(message.usage.output_tokens, 30);
  const line = await kestrel.waitForLine(/Request: req_ant_sse/);
  assert.match(line, /Tokens: I=12\/O=30\/CC=0\/CR=0, Cost: I=\$0\.\d{6}\/O=\$0\.\d{6}, Total: \$0\.\d{6}, Streaming: true$/);
});
