// Over real sockets: usage a provider reports that cannot be read (negative, a string, past 2^53, nested 100k
// deep, megabytes long) is recorded as unknown with the field named, never as zero, and the sums stay integers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { recordTagged } from "../_helpers/records.ts";

const HUGE = 100_000;

let mock: Mock;
let k: Kestrel;

before(async () => {
  mock = await startMock((req, res) => {
    const usage = JSON.parse(String(req.headers["x-usage"] ?? "{}")) as unknown;
    res.writeHead(200, { "content-type": "application/json" });
    if (req.headers["x-case"] === "deep") {
      res.end(`{"model":"gpt-4o-mini","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"x":${"[".repeat(HUGE)}${"]".repeat(HUGE)}}}`);
    } else if (req.headers["x-case"] === "large") {
      res.end(JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, x: "a".repeat(5_000_000) } }));
    } else {
      res.end(JSON.stringify({ model: "gpt-4o-mini", usage }));
    }
  });
  k = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await k.stop();
  await mock.close();
});

async function send(tag: string, headers: Record<string, string>): Promise<Response> {
  return await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", headers: { "x-kestrel-tags": tag, ...headers }, body: "{}" });
}

async function healthy(url: string): Promise<void> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "Healthy");
}

const BAD_USAGE: [string, unknown, RegExp][] = [
  ["negative count", { prompt_tokens: -5, completion_tokens: 4, total_tokens: -1 }, /prompt_tokens/],
  ["count as a string", { prompt_tokens: 3, completion_tokens: "4", total_tokens: 7 }, /completion_tokens/],
  ["1e308", { prompt_tokens: 1e308, completion_tokens: 4, total_tokens: 1e308 }, /prompt_tokens/],
  ["2^53 + 1", { prompt_tokens: 9007199254740993, completion_tokens: 4, total_tokens: 7 }, /prompt_tokens/],
  ["non-integer", { prompt_tokens: 3.5, completion_tokens: 4, total_tokens: 7.5 }, /prompt_tokens/],
  ["nested detail", { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: -2 } }, /cached_tokens/],
];

for (const [name, usage, field] of BAD_USAGE) {
  test(`unreadable usage (${name}) is unknown, not zero, and says which field`, async () => {
    const tag = `t-bad-${name.replace(/\W+/g, "-")}`;
    const res = await send(tag, { "x-usage": JSON.stringify(usage) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const r = await recordTagged(k.url, tag);
    assert.equal(r.outcome, "ok");
    assert.equal(r.usage_source, "none");
    assert.equal(r.input_tokens, null);
    assert.equal(r.total_tokens, null);
    assert.equal(r.cost_pico, null);
    assert.match(r.usage_error!, field);
  });
}

test("/api/usage sums stay exact integers after hostile usage", async () => {
  const res = await fetch(`${k.url}/api/usage?group_by=provider`);
  assert.equal(res.status, 200);
  const body = await res.json() as { total: Record<string, unknown> };
  for (const key of ["input_tokens", "output_tokens"]) {
    assert.ok(Number.isSafeInteger(body.total[key]), `${key} = ${body.total[key]}`);
  }
});

test("a usage_native nested 100k deep is recorded with a truncated marker", async () => {
  const res = await send("t-deep", { "x-case": "deep" });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const r = await recordTagged(k.url, "t-deep");
  assert.equal(r.total_tokens, 7);
  assert.equal(r.usage_source, "reported");
  assert.deepEqual(Object.keys(r.usage_native as object), ["kestrel_truncated"]);
  assert.match(r.usage_error!, /usage_native/);
  await healthy(k.url);
});

test("a 5 MB usage_native is not stored verbatim", async () => {
  const res = await send("t-large", { "x-case": "large" });
  assert.equal(res.status, 200);
  assert.equal((await res.arrayBuffer()).byteLength > 5_000_000, true);
  const r = await recordTagged(k.url, "t-large");
  assert.equal(r.total_tokens, 7);
  assert.ok(JSON.stringify(r.usage_native).length < 100_000);
  assert.deepEqual(Object.keys(r.usage_native as object), ["kestrel_truncated"]);
  assert.match(r.usage_error!, /usage_native/);
});
