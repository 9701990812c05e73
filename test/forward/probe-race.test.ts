// The connect probe exists to time out a fetch that cannot connect. Once fetch has its answer it evidently
// connected (a pooled connection, another address family): a probe timing out afterwards must not cut the stream.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProbeResult } from "../../src/forward/connect-probe.ts";
import { controlledBody, proxyWith, settle } from "./_proxy.ts";

test("a probe that times out after fetch has the headers leaves the stream alone", async () => {
  let probeDone!: (result: ProbeResult) => void;
  const probe = () => new Promise<ProbeResult>((resolve) => (probeDone = resolve));
  let upstream!: ReturnType<typeof controlledBody>;
  const fetch = ((_url: string, init: RequestInit) => {
    upstream = controlledBody(init.signal);
    return Promise.resolve(new Response(upstream.body, { headers: { "content-type": "text/event-stream" } }));
  }) as unknown as typeof globalThis.fetch;
  const { proxy, exchanges, stop } = proxyWith(fetch, probe);
  try {
    const res = await proxy.handle(new Request("http://kestrel.test/openai/v1/models"));
    assert.equal(res.status, 200);
    upstream.write("data: one\n\n");
    probeDone("timeout");
    await settle();
    upstream.write("data: two\n\n");
    upstream.close();
    assert.equal(await res.text(), "data: one\n\ndata: two\n\n");
    await settle();
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0]!.outcome, "ok");
  } finally {
    stop();
  }
});

test("a probe that times out before fetch answers still ends the request with 504", async () => {
  const probe = () => Promise.resolve<ProbeResult>("timeout");
  const fetch = ((_url: string, init: RequestInit) =>
    new Promise((_resolve, reject) => init.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))))
  ) as unknown as typeof globalThis.fetch;
  const { proxy, exchanges, stop } = proxyWith(fetch, probe);
  try {
    const res = await proxy.handle(new Request("http://kestrel.test/openai/v1/models"));
    assert.equal(res.status, 504);
    assert.equal((await res.json()).error.code, "upstream_timeout");
    assert.equal(exchanges[0]!.outcome, "timeout");
  } finally {
    stop();
  }
});
