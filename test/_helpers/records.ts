/** Sending tagged requests to a running Kestrel and reading their stored records back through its API. */
import assert from "node:assert/strict";
import type { UsageRecord } from "../../src/usage/record.ts";
import { until } from "./poll.ts";

/** Waits until the record of the request tagged `tag` is stored (the flusher batches), and returns it. */
export async function recordTagged(url: string, tag: string): Promise<UsageRecord> {
  let found: UsageRecord | undefined;
  await until(`the record tagged ${tag}`, async () => {
    const res = await fetch(`${url}/api/requests?limit=1000`);
    const { requests } = await res.json() as { requests: UsageRecord[] };
    found = requests.find((r) => r.tags.includes(tag));
    return found !== undefined;
  }, { everyMs: 25 });
  return found!;
}

/** POSTs `body` as JSON tagged `tag` (with a placeholder provider key), expects 200, and returns the answer's bytes. */
export async function postTagged(url: string, path: string, tag: string, body: unknown): Promise<Uint8Array> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kestrel-tags": tag, authorization: "Bearer sk-test" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return new Uint8Array(await res.arrayBuffer());
}
