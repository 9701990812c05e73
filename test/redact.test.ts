import assert from "node:assert/strict";
import { test } from "node:test";
import { describeError, escapeControls, redact } from "../src/redact.ts";
import { createLogger } from "../src/sink/log.ts";

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
  log.usage(() => "Model: y\nforged", {});
  await log.flush();
  assert.equal(
    text(),
    "[00:00:00 WRN] model \"x\\r\\n[00:00:00 INF] forged\" ?key=[redacted]\n[00:00:00 INF] Model: y\\nforged\n",
  );
});

test("JSON log: strings are redacted before serialising, so the line stays valid JSON", async () => {
  const { log, text } = capture("json");
  log.usage(() => "", { model: 'x?key=SECRET"y', usage_error: "Bearer sk-SECRET", n: 1 });
  log.usage(() => "", { model: "plain", n: 2 });
  log.error('Upstream said "x?key=SECRET"');
  await log.flush();
  const lines = text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { model: 'x?key=[redacted]"y', usage_error: "Bearer [redacted]", n: 1 });
  assert.deepEqual(lines[1], { model: "plain", n: 2 });
  assert.equal(lines[2].msg, 'Upstream said "x?key=[redacted]"');
  assert.ok(!text().includes("SECRET"));
});
