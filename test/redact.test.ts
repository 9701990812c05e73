import assert from "node:assert/strict";
import { test } from "node:test";
import { describeError, escapeControls, redact } from "../src/redact.ts";
import { createLogger } from "../src/log.ts";

const REDACT: [input: string, output: string][] = [
  ["GET http://h/v1?alt=sse&key=AIzaSECRET&b=1", "GET http://h/v1?alt=sse&key=[redacted]&b=1"],
  ["url (http://127.0.0.1:9/x?key=AIzaSECRET): client error", "url (http://127.0.0.1:9/x?key=[redacted]): client error"],
  ["https://h/x?api_key=SECRET", "https://h/x?api_key=[redacted]"],
  ["https://h/x?X-Amz-Signature=SECRET&X-Amz-Date=1", "https://h/x?X-Amz-Signature=[redacted]&X-Amz-Date=1"],
  ["Authorization: Bearer sk-SECRET", "Authorization: Bearer [redacted]"],
  ["authorization: Basic dXNlcjpTRUNSRVQ=", "authorization: Basic [redacted]"],
  ['{"x-api-key":"SECRET","a":1}', '{"x-api-key":"[redacted]","a":1}'],
  ["x-goog-api-key: SECRET", "x-goog-api-key: [redacted]"],
  ["api-key=SECRET", "api-key=[redacted]"],
  ["https://user:SECRET@proxy.example:8080/x", "https://[redacted]@proxy.example:8080/x"],
  // Already JSON-escaped text keeps its escapes: the value stops at the backslash.
  ['"url":"x?key=SECRET\\"y"', '"url":"x?key=[redacted]\\"y"'],
  ["Tokens: Prompt=15/Completion=87/Total=102", "Tokens: Prompt=15/Completion=87/Total=102"],
  ["http://host/path@x and a monkey", "http://host/path@x and a monkey"],
  // Providers decode a parameter's name: `k%65y` is Gemini's `key`, so it is redacted by its decoded name.
  ["GET http://h/v1?alt=sse&k%65y=AIzaSECRET&b=1", "GET http://h/v1?alt=sse&k%65y=[redacted]&b=1"],
  ["url (http://h/x?%6B%65%79=AIzaSECRET): error", "url (http://h/x?%6B%65%79=[redacted]): error"],
  ["https://h/x?api%5Fkey=SECRET", "https://h/x?api%5Fkey=[redacted]"],
  ["https://h/x?access%5ftok%65n=SECRET&x=1", "https://h/x?access%5ftok%65n=[redacted]&x=1"],
  ['"u":"x?K%45Y=SECRET\\"y"', '"u":"x?K%45Y=[redacted]\\"y"'],
  // An escaped name that is no secret keeps its value; a malformed escape never throws.
  ["https://h/x?n%61me=kept&q=%41", "https://h/x?n%61me=kept&q=%41"],
  ["https://h/x?bad%E0%A4%A=v", "https://h/x?bad%E0%A4%A=v"],
  // The key in OpenAI's realtime subprotocol (`Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.<key>`).
  ["protocols: realtime, openai-insecure-api-key.sk-proj-SECRET, x", "protocols: realtime, openai-insecure-api-key.[redacted], x"],
  // A Bedrock ARN in a path has escapes, and no parameter.
  ["/aws-bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1/invoke", "/aws-bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1/invoke"],
];

for (const [input, output] of REDACT) {
  test(`redact ${JSON.stringify(input)}`, () => {
    assert.equal(redact(input), output);
  });
}

test("describeError keeps the cause's message (Deno says only 'fetch failed'), redacted, and the code", () => {
  const deno = new TypeError("fetch failed", {
    cause: new Error("error sending request for url (http://127.0.0.1:9/x?key=SECRET): client error (Connect)"),
  });
  assert.equal(
    describeError(deno),
    "fetch failed: error sending request for url (http://127.0.0.1:9/x?key=[redacted]): client error (Connect)",
  );
  // Bun keeps the URL in `path`, which is never shown.
  const bun = Object.assign(new TypeError("Unable to connect"), { code: "ECONNREFUSED", path: "http://h/?key=SECRET" });
  assert.equal(describeError(bun), "Unable to connect (ECONNREFUSED)");
  assert.equal(describeError("x?key=SECRET\nmore"), "x?key=[redacted] more");
});

test("escapeControls leaves one printable line", () => {
  assert.equal(escapeControls("plain"), "plain");
  assert.equal(escapeControls("a\r\nb\tc\u001b[2J\u0000\u0085"), "a\\r\\nb\\tc\\x1b[2J\\x00\\x85");
});

function capture(format: "text" | "json") {
  const out: string[] = [];
  const decoder = new TextDecoder();
  const log = createLogger({ format, now: () => 0, write: (b) => (out.push(decoder.decode(b)), Promise.resolve()) });
  return { log, text: () => out.join("") };
}

test("text log: a message with CR/LF stays one line, secrets redacted", async () => {
  const { log, text } = capture("text");
  log.warn("model \"x\r\n[00:00:00 INF] forged\" ?key=SECRET");
  log.usage(() => "Model: y\nforged", () => ({}));
  await log.flush();
  assert.equal(
    text(),
    "[00:00:00 WRN] model \"x\\r\\n[00:00:00 INF] forged\" ?key=[redacted]\n[00:00:00 INF] Model: y\\nforged\n",
  );
});

test("JSON log: strings are redacted before serialising, so the line stays valid JSON", async () => {
  const { log, text } = capture("json");
  log.usage(() => "", () => ({ model: 'x?key=SECRET"y', usage_error: "Bearer sk-SECRET", n: 1 }));
  log.usage(() => "", () => ({ model: "plain", n: 2 }));
  log.error('Upstream said "x?key=SECRET"');
  await log.flush();
  const lines = text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { model: 'x?key=[redacted]"y', usage_error: "Bearer [redacted]", n: 1 });
  assert.deepEqual(lines[1], { model: "plain", n: 2 });
  assert.equal(lines[2].msg, 'Upstream said "x?key=[redacted]"');
  assert.ok(!text().includes("SECRET"));
});
