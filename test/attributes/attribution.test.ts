// Which credential a request is fingerprinted by (src/sink/attribution.ts), the realtime forms included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { credentialOf } from "../../src/attributes/attribution.ts";

test("the credential, in the order providers use them, the realtime subprotocol and ?key= included", () => {
  // [headers, query, credential]
  const table: [Record<string, string>, string, string | null][] = [
    [{ authorization: "Bearer sk-a" }, "", "sk-a"],
    [{ "api-key": "az-1" }, "", "az-1"],
    [{ "x-goog-api-key": "AIza-1" }, "?key=AIza-2", "AIza-1"],
    [{}, "?alt=sse&key=AIza-2", "AIza-2"],
    // OpenAI's browser form: the key rides in Sec-WebSocket-Protocol.
    [{ "sec-websocket-protocol": "realtime, openai-insecure-api-key.sk-proj-9, openai-beta.realtime-v1" }, "", "sk-proj-9"],
    [{ "sec-websocket-protocol": "realtime, openai-insecure-api-key." }, "", null],
    [{ "sec-websocket-protocol": "realtime" }, "", null],
    // A header wins over the subprotocol (a server-side client sends both the same way).
    [{ authorization: "Bearer sk-h", "sec-websocket-protocol": "openai-insecure-api-key.sk-p" }, "", "sk-h"],
  ];
  for (const [headers, query, credential] of table) {
    assert.equal(credentialOf(new Headers(headers), query), credential, JSON.stringify(headers));
  }
});
