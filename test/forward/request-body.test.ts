/**
 * Asking a streaming request for usage: the byte splice must mean exactly what parse + stringify meant, and keep
 * the client's bytes otherwise.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { lacksStreamUsage, withStreamUsage } from "../../src/forward/request-body.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the upstream receives, for a client body given as text. */
function asked(text: string): string {
  const bytes = encoder.encode(text);
  const json = JSON.parse(text) as Record<string, unknown>;
  assert.equal(lacksStreamUsage(json), true);
  const out = withStreamUsage(json, bytes);
  const body = out.body as Uint8Array;
  assert.equal(out.length, body.byteLength);
  return decoder.decode(body);
}

test("the member is spliced in before the closing brace; the client's bytes are kept", () => {
  const text = `{"model":"gpt-4o-mini", "stream": true,\n "messages":[{"role":"user","content":"}"}]}\n`;
  assert.equal(asked(text), `{"model":"gpt-4o-mini", "stream": true,\n "messages":[{"role":"user","content":"}"}],"stream_options":{"include_usage":true}}`);
});

test("numbers JSON cannot hold exactly reach the provider as the client wrote them", () => {
  const sent = asked(`{"stream":true,"seed":12345678901234567890,"temperature":1.0}`);
  assert.match(sent, /"seed":12345678901234567890,"temperature":1\.0,/);
});

test("a stream_options the client sent (null, or without include_usage) is rewritten, not duplicated", () => {
  for (const text of [`{"stream":true,"stream_options":null}`, `{"stream":true,"stream_options":{"x":1,"include_usage":false}}`]) {
    const sent = asked(text);
    assert.equal(sent.split("stream_options").length, 2, sent);
    assert.equal((JSON.parse(sent) as { stream_options: { include_usage: boolean } }).stream_options.include_usage, true);
  }
});

test("property: the spliced body parses to what parse + stringify produced", () => {
  const value = fc.jsonValue({ maxDepth: 3 });
  const body = fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 6 })
    .filter((o) => !Object.hasOwn(o, "stream_options") && !Object.hasOwn(o, "stream") && !Object.hasOwn(o, "__proto__"));
  fc.assert(
    fc.property(body, fc.constantFrom("", " ", "\n", "\r\n\t "), fc.boolean(), (members, trailing, pretty) => {
      const request = { ...members, stream: true };
      const text = JSON.stringify(request, null, pretty ? 2 : undefined) + trailing;
      const sent = JSON.parse(asked(text)) as unknown;
      assert.deepEqual(sent, JSON.parse(JSON.stringify({ ...request, stream_options: { include_usage: true } })));
    }),
    { numRuns: 300 },
  );
});
