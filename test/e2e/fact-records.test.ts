// The live path (issue 25): the main thread hands the store worker facts, the worker makes the records. What the
// usage log shows of a record is made on the main thread before the hand-over, so it must be what is stored, byte
// for byte: every JSON log line (the whole record) against the stored record, for every replayable fixture (JSON
// and streamed, errors, no usage), a refused upstream (no upstream request id: Kestrel's own), unicode and a huge
// model name; and the text line's request id against the stored one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { startFixtureMock } from "../_helpers/fixture-mock.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import type { Mock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { recordTagged } from "../_helpers/records.ts";
import { MANIFEST, ROUTES } from "../providers/_fixture-table.ts";

let mock: Mock;
let json: Kestrel;
let text: Kestrel;
/** A port nothing listens on: the exchange ends in an error with no upstream answer. */
const REFUSED = "http://127.0.0.1:9";

before(async () => {
  mock = await startFixtureMock();
  const upstreams = PROVIDER_IDS.filter((id) => id !== "mistral").flatMap((id) => ["--upstream", `${id}=${mock.url}`]);
  [json, text] = await Promise.all([
    startKestrel([...upstreams, "--upstream", `mistral=${REFUSED}`, "--log-format", "json"]),
    startKestrel([...upstreams, "--upstream", `mistral=${REFUSED}`]),
  ]);
});

after(async () => {
  await json.stop();
  await text.stop();
  await mock.close();
});

function clientPath(provider: string, upstreamPath: string): string {
  if (provider === "aws-bedrock") return `/aws-bedrock/bedrock-runtime/us-east-1${upstreamPath}`;
  if (provider === "google-vertex-ai") return `/google-vertex-ai${upstreamPath.slice(3)}`;
  return `/${provider}${upstreamPath}`;
}

const cases = MANIFEST.filter((e) =>
  !(e.file.endsWith(".chunks.txt") && e.provider_api !== "bedrock-converse") && !e.provider_api.startsWith("azure-openai")
);

/** Every exchange of the spread, sent to `k`, each tagged with its index. */
async function sendAll(k: Kestrel, prefix: string): Promise<string[]> {
  const tags: string[] = [];
  const send = async (path: string, headers: Record<string, string>, body: unknown) => {
    const tag = `${prefix}-${tags.length}`;
    tags.push(tag);
    const res = await fetch(`${k.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-kestrel-tags": tag, authorization: "Bearer sk-test-0001", ...headers },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
  };
  for (const entry of cases) {
    const route = ROUTES[entry.file.slice(0, entry.file.indexOf("/"))]!;
    await send(`${clientPath(route.provider, entry.streaming ? route.stream : route.json)}${route.query ?? ""}`, { "x-test-fixture": entry.file }, {
      model: "modèle-🦅-\ud800",
      stream: entry.streaming,
      ...(entry.streaming ? { stream_options: { include_usage: true } } : {}),
    });
  }
  await send("/openai/v1/chat/completions", { "x-test-fixture": "429:openai-responses/openai-error.1.json" }, { model: "m".repeat(100_000) });
  await send("/mistral/v1/chat/completions", {}, { model: "mistral-small", messages: [] });
  return tags;
}

/**
 * SQLite keeps text as UTF-8, where a lone surrogate (the request's model here) becomes U+FFFD; the log line keeps
 * its JSON escape. So it was before facts too: compared as the store keeps it.
 */
const asStored = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "string" ? x.toWellFormed() : x));

const stored = async (k: Kestrel, id: string): Promise<UsageRecord> => {
  const res = await fetch(`${k.url}/api/requests/${id}`);
  assert.equal(res.status, 200, `record ${id}`);
  return await res.json() as UsageRecord;
};

test("every JSON usage line is its stored record, byte for byte", async () => {
  const tags = await sendAll(json, "j");
  await recordTagged(json.url, tags.at(-1)!);
  let lines: Record<string, unknown>[] = [];
  await until("a usage line per exchange", () => {
    lines = json.lines.filter((l) => l.includes('"request_id"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return lines.length >= tags.length;
  });
  assert.equal(lines.length, tags.length);
  for (const line of lines) {
    const record = await stored(json, line.id as string);
    for (const [key, value] of Object.entries(record)) {
      assert.equal(asStored(line[key]), JSON.stringify(value), `${(record.tags as string[])[0]} ${key}`);
    }
  }
  const refused = lines.find((l) => l.provider === "mistral")!;
  assert.match(refused.request_id as string, /^req_[0-9a-z]{26}$/);
  assert.equal(refused.outcome, "error");
});

test("every text usage line shows its stored record's request id", async () => {
  const tags = await sendAll(text, "t");
  await recordTagged(text.url, tags.at(-1)!);
  await until("a usage line per exchange", () => text.lines.filter((l) => l.includes("API Usage - Request: ")).length >= tags.length);
  const shown = text.lines.filter((l) => l.includes("API Usage - Request: ")).map((l) => /Request: (\S+),/.exec(l)![1]!);
  const res = await fetch(`${text.url}/api/requests?limit=1000`);
  const { requests } = await res.json() as { requests: UsageRecord[] };
  const byTag = new Map(requests.map((r) => [r.tags[0], r.request_id]));
  assert.deepEqual(shown, tags.map((t) => byTag.get(t)));
  assert.ok(shown.some((id) => /^req_[0-9a-z]{26}$/.test(id)), "one made by Kestrel");
});
