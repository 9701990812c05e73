// Header hygiene towards the client (src/forward/headers.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientResponseHeaders } from "../../src/forward/headers.ts";

test("an upstream cannot set Kestrel's own x-kestrel-* answer headers (issue 20 item 16)", () => {
  const upstream = new Headers({
    "content-type": "application/json",
    "x-kestrel-budget-remaining-usd": "1000000",
    "x-kestrel-anything": "x",
    "x-request-id": "req_1",
  });
  const out = clientResponseHeaders(upstream, false, true);
  assert.equal(out.get("x-kestrel-budget-remaining-usd"), null);
  assert.equal(out.get("x-kestrel-anything"), null);
  assert.equal(out.get("x-request-id"), "req_1");
});
