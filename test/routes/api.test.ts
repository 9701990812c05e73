import assert from "node:assert/strict";
import { test } from "node:test";
import { drivers } from "../store/helpers.ts";
import { mountApi, sampleRecords, seededStore } from "../store/seed.ts";

const { open } = (await drivers())[0]!;

const ACCESS: [
  name: string,
  access: { adminToken: string | null; loopbackOnly: boolean },
  auth: string | null,
  status: number,
  code: string | null,
][] = [
  ["loopback, no token: open", { adminToken: null, loopbackOnly: true }, null, 200, null],
  ["non-loopback, no token: refused", { adminToken: null, loopbackOnly: false }, null, 403, "admin_token_required"],
  [
    "non-loopback, no token, a bearer sent anyway: still refused",
    { adminToken: null, loopbackOnly: false },
    "Bearer x",
    403,
    "admin_token_required",
  ],
  ["token set, none sent", { adminToken: "s3cret", loopbackOnly: true }, null, 401, "unauthorized"],
  ["token set, wrong token", { adminToken: "s3cret", loopbackOnly: true }, "Bearer s3cre", 401, "unauthorized"],
  ["token set, longer token", { adminToken: "s3cret", loopbackOnly: true }, "Bearer s3cret2", 401, "unauthorized"],
  ["token set, other scheme", { adminToken: "s3cret", loopbackOnly: true }, "Basic s3cret", 401, "unauthorized"],
  ["token set, right token", { adminToken: "s3cret", loopbackOnly: true }, "Bearer s3cret", 200, null],
  ["token set, scheme in lower case", { adminToken: "s3cret", loopbackOnly: true }, "bearer s3cret", 200, null],
  ["token set, non-loopback, right token", { adminToken: "s3cret", loopbackOnly: false }, "Bearer s3cret", 200, null],
];

for (const [name, access, auth, status, code] of ACCESS) {
  test(`access: ${name} → ${status}`, async () => {
    const store = await seededStore(open(":memory:"), []);
    const app = mountApi(store, access);
    for (const path of ["/api/requests", "/api/usage", "/api/export"]) {
      const res = await app.request(path, auth === null ? {} : { headers: { authorization: auth } });
      assert.equal(res.status, status, path);
      if (code !== null) {
        assert.equal((await res.json()).error.code, code);
        if (status === 401) assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="kestrel"');
      } else await res.arrayBuffer();
    }
    await store.close();
  });
}

// DNS rebinding: a page at attacker.example re-pointed to 127.0.0.1 reaches the loopback port with its own Host.
const HOSTS: [host: string, access: { adminToken: string | null }, auth: string | null, status: number][] = [
  ["localhost", { adminToken: null }, null, 200],
  ["localhost:5501", { adminToken: null }, null, 200],
  ["LOCALHOST:5501", { adminToken: null }, null, 200],
  ["127.0.0.1:5501", { adminToken: null }, null, 200],
  ["127.1.2.3", { adminToken: null }, null, 200],
  ["[::1]:5501", { adminToken: null }, null, 200],
  ["attacker.example", { adminToken: null }, null, 403],
  ["attacker.example:5501", { adminToken: null }, null, 403],
  ["localhost.attacker.example", { adminToken: null }, null, 403],
  ["127.0.0.1.nip.io", { adminToken: null }, null, 403],
  ["", { adminToken: null }, null, 403],
  // With a token the page would need the token too: any Host is fine.
  ["attacker.example", { adminToken: "s3cret" }, "Bearer s3cret", 200],
];

for (const [host, access, auth, status] of HOSTS) {
  test(`host: ${JSON.stringify(host)}${access.adminToken ? " with the admin token" : ", no token"} → ${status}`, async () => {
    const store = await seededStore(open(":memory:"), []);
    const app = mountApi(store, { ...access, loopbackOnly: true });
    for (const path of ["/api/requests", "/api/usage", "/api/export"]) {
      const res = await app.request(path, { headers: { host, ...(auth ? { authorization: auth } : {}) } });
      assert.equal(res.status, status, path);
      if (status === 403) assert.equal((await res.json()).error.code, "forbidden_host");
      else await res.arrayBuffer();
    }
    await store.close();
  });
}

const BAD: [query: string, message: RegExp][] = [
  ["/api/requests?limit=0", /^Invalid limit "0": use a whole number from 1 to 1000$/], // below range
  ["/api/requests?limit=1001", /^Invalid limit "1001"/], // above range
  ["/api/requests?limit=ten", /^Invalid limit "ten"/], // not a number
  ["/api/requests?before=zzz", /^Invalid before "zzz": pass the next_before value/], // not a cursor
  ["/api/requests?since=soon", /^Invalid since "soon": use a date/], // time
  ["/api/usage?until=2026-02-30", /^Invalid until "2026-02-30"/], // impossible date
  ["/api/usage?since=1h&until=2h", /^Since "1h" is not before until "2h"$/], // reversed range
  ["/api/usage?outcome=great", /^Invalid outcome "great": use one of ok, upstream_error/], // enum
  ["/api/usage?group_by=week", /^Invalid group_by "week": use one of day, hour, provider/], // enum
  ["/api/export?format=xml", /^Invalid format "xml": use one of csv, json, ndjson$/], // enum
  ["/api/requests?modle=gpt-4o", /^Unknown parameter "modle"$/], // typo must not widen the result
  ["/api/usage?limit=5", /^Unknown parameter "limit"$/], // listing-only parameter on usage
];

for (const [query, message] of BAD) {
  test(`bad query ${query} → 400 invalid_query`, async () => {
    const store = await seededStore(open(":memory:"), []);
    const res = await mountApi(store).request(query);
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "invalid_query");
    assert.match(body.error.message, message);
    await store.close();
  });
}

test("GET /api/requests: default page of 100, newest first, next_before walks the rest", async () => {
  const records = sampleRecords();
  const store = await seededStore(open(":memory:"), records);
  const app = mountApi(store);
  const first = await (await app.request("/api/requests")).json();
  assert.equal(first.requests.length, 100);
  assert.equal(first.requests[0].id, records.at(-1)!.id);
  const second = await (await app.request(`/api/requests?before=${encodeURIComponent(first.next_before)}`)).json();
  assert.equal(second.requests.length, records.length - 100);
  assert.equal(second.next_before, null);
  assert.deepEqual([...first.requests, ...second.requests], [...records].reverse());
  await store.close();
});

test("GET /api/requests filters, relative since against now()", async () => {
  const store = await seededStore(open(":memory:"));
  const app = mountApi(store); // now = 2026-11-21T00:00Z; only record 152 (03:00) is after it, all others before
  const body = await (await app.request("/api/requests?since=12h&provider=openai&user=bob&limit=1000")).json();
  assert.ok(body.requests.length > 0);
  for (const r of body.requests) assert.deepEqual([r.provider, r.user], ["openai", "bob"]);
  const none = await (await app.request("/api/requests?since=1m")).json();
  assert.deepEqual(none.requests.map((r: { id: string }) => r.id), [sampleRecords()[152]!.id]);
  await store.close();
});

test("GET /api/usage → { groups, total } with exact decimal cost", async () => {
  const store = await seededStore(open(":memory:"));
  const body = await (await mountApi(store).request("/api/usage?group_by=provider")).json();
  assert.deepEqual(body.groups.map((g: { key: string }) => g.key).sort(), ["anthropic", "gemini", "openai"]);
  assert.equal(body.total.requests, 153);
  assert.match(body.total.cost_usd, /^\d+(\.\d+)?$/);
  await store.close();
});

test("GET /api/export streams with download headers for each format", async () => {
  const store = await seededStore(open(":memory:"));
  const app = mountApi(store);
  const types: [format: string, type: string][] = [
    ["csv", "text/csv; charset=utf-8; header=present"],
    ["json", "application/json; charset=utf-8"],
    ["ndjson", "application/x-ndjson; charset=utf-8"],
  ];
  for (const [format, type] of types) {
    const res = await app.request(`/api/export?format=${format}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), type);
    assert.equal(res.headers.get("content-disposition"), `attachment; filename="kestrel-requests.${format}"`);
    assert.ok(res.body instanceof ReadableStream);
    assert.ok((await res.text()).length > 1000);
  }
  // The default format is CSV.
  assert.match((await app.request("/api/export")).headers.get("content-type") ?? "", /^text\/csv/);
  await store.close();
});

test("GET /api/export: a reader that cancels early ends the export cleanly", async () => {
  const store = await seededStore(
    open(":memory:"),
    Array.from({ length: 5000 }, (_, i) => sampleRecords()[i % 150]!).map((r, i) => ({ ...r, id: `${r.id}-${i}` })),
  );
  const res = await mountApi(store).request("/api/export?format=ndjson");
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  assert.ok(value && value.length > 0);
  await reader.cancel();
  // The store is still usable afterwards.
  assert.equal((await store.usage({}, "day")).total.requests, 5000);
  await store.close();
});

test("unknown /api route → 404 JSON; a failing store → 500 JSON", async () => {
  const store = await seededStore(open(":memory:"), []);
  const app = mountApi(store);
  const missing = await app.request("/api/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
  await store.close();
  for (const path of ["/api/usage", "/api/requests", "/api/export"]) {
    const failed = await app.request(path);
    assert.equal(failed.status, 500, path);
    assert.deepEqual(await failed.json(), {
      error: { code: "internal_error", message: "Usage query failed: Usage store is closed" },
    });
  }
});
