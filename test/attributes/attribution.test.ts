// Which credential a request is fingerprinted by (src/attributes/attribution.ts), the realtime forms included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { credentialOf, cutText, tagsOf, userOf } from "../../src/attributes/attribution.ts";

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

test("labels are cut on code points: a user or tag cut at 200 never ends in half a surrogate pair (issue 20 item 24)", () => {
  const emoji = "😀"; // two UTF-16 units
  const user = `${"u".repeat(199)}${emoji}tail`;
  const cut = userOf(new Headers(), { user })!; // a header holds bytes only; the body's `user` is text

  assert.equal(cut, "u".repeat(199));
  assert.ok(!/[\uD800-\uDBFF]$/.test(cut));
  assert.equal(cutText(`${"a".repeat(198)}${emoji}b`, 200), `${"a".repeat(198)}${emoji}`);
  // Tags: canonical — trimmed, cut, de-duplicated and sorted, so one set is one value wherever it is grouped.
  assert.deepEqual(tagsOf(new Headers({ "x-kestrel-tags": ` night, batch ,night,,${"t".repeat(250)}` })), [
    "batch", "night", "t".repeat(200),
  ]);
});
