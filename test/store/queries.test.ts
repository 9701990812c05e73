import assert from "node:assert/strict";
import { usd } from "../../src/pricing/money.ts";
import type { RequestFilter } from "../../src/store/filter.ts";
import { GROUP_BYS } from "../../src/store/query-params.ts";
import type { Store } from "../../src/store/store.ts";
import { isUnpriced, type UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { backends, type OpenStore } from "./backends.ts";
import { makeRecord } from "./helpers.ts";

const N = 60;
const RECORDS = Array.from({ length: N }, (_, i) => makeRecord(i));

async function seeded(database: () => Promise<OpenStore>): Promise<Store> {
  const store = (await database())();
  for (const r of RECORDS) store.add(r);
  await store.flush();
  return store;
}

async function listAll(store: Store, filter: RequestFilter, limit: number): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  let before: { ts: string; id: string } | null = null;
  for (;;) {
    const page = await store.listRequests(filter, { limit, before });
    out.push(...page.requests);
    if (page.next_before === null) return out;
    before = { ts: page.next_before.slice(0, 24), id: page.next_before.slice(24) };
  }
}

const FILTERS: [filter: RequestFilter, keep: (r: UsageRecord) => boolean][] = [
  [{}, () => true], // everything
  [{ provider: "anthropic" }, (r) => r.provider === "anthropic"], // provider
  [{ model: "gpt-4o" }, (r) => r.model === "gpt-4o"], // model
  [{ key_id: "key_1" }, (r) => r.key_id === "key_1"], // key
  [{ user: "alice" }, (r) => r.user === "alice"], // user
  [{ project: "web" }, (r) => r.project === "web"], // project (nulls excluded)
  [{ outcome: "ok" }, () => true], // outcome: all ok
  [{ outcome: "timeout" }, () => false], // outcome: none
  [{ since: RECORDS[10]!.ts }, (_r) => _r.ts >= RECORDS[10]!.ts], // since is inclusive
  [{ until: RECORDS[10]!.ts }, (r) => r.ts < RECORDS[10]!.ts], // until is exclusive
  [
    { since: RECORDS[5]!.ts, until: RECORDS[25]!.ts, user: "bob" },
    (r) => r.ts >= RECORDS[5]!.ts && r.ts < RECORDS[25]!.ts && r.user === "bob",
  ], // combined
];

for (const { name, missing, database } of await backends()) {
  const test = (title: string, fn: () => Promise<void>) => testNeeding(title, missing, fn);

  for (const [filter, keep] of FILTERS) {
    test(`${name}: listing newest first with filter ${JSON.stringify(filter)}, across pages`, async () => {
      const store = await seeded(database);
      const expected = RECORDS.filter(keep).reverse();
      for (const limit of [1, 7, 1000]) assert.deepEqual(await listAll(store, filter, limit), expected);
      await store.close();
    });
  }

  test(`${name}: next_before is null on the last page and a cursor row may share its ts`, async () => {
    const store = (await database())();
    const ts = "2026-11-27T10:00:00.000Z";
    for (let i = 0; i < 5; i++) store.add(makeRecord(i, { ts })); // same ts: the id breaks the tie
    await store.flush();
    const first = await store.listRequests({}, { limit: 2, before: null });
    assert.equal(first.next_before, ts + makeRecord(3).id);
    const ids = (await listAll(store, {}, 2)).map((r) => r.id);
    assert.deepEqual(ids, [4, 3, 2, 1, 0].map((i) => makeRecord(i).id));
    assert.equal((await store.listRequests({}, { limit: 5, before: null })).next_before, null);
    await store.close();
  });

  for (const groupBy of GROUP_BYS) {
    test(`${name}: usage by ${groupBy} sums exactly what the records hold`, async () => {
      const store = await seeded(database);
      const report = await store.usage({}, groupBy);
      const keyOf = (r: UsageRecord): string | null =>
        groupBy === "day" ? r.ts.slice(0, 10) : groupBy === "hour" ? `${r.ts.slice(0, 13)}:00Z` : r[groupBy];
      const expected = new Map<string | null, UsageRecord[]>();
      for (const r of RECORDS) expected.set(keyOf(r), [...(expected.get(keyOf(r)) ?? []), r]);
      assert.equal(report.groups.length, expected.size);
      for (const g of report.groups) {
        const rs = expected.get(g.key) ?? [];
        const sum = (f: keyof UsageRecord) => rs.reduce((s, r) => s + ((r[f] as number | null) ?? 0), 0);
        assert.deepEqual(g, {
          key: g.key,
          requests: rs.length,
          input_tokens: sum("input_tokens"),
          output_tokens: sum("output_tokens"),
          cache_read_tokens: sum("cache_read_tokens"),
          cache_write_tokens: sum("cache_write_tokens"),
          reasoning_tokens: sum("reasoning_tokens"),
          cache_write_1h_tokens: sum("cache_write_1h_tokens"),
          audio_input_tokens: sum("audio_input_tokens"),
          audio_output_tokens: sum("audio_output_tokens"),
          characters: sum("characters"),
          audio_ms: sum("audio_ms"),
          images: sum("images"),
          search_queries: sum("search_queries"),
          request_fees: sum("request_fees"),
          compute_ms: sum("compute_ms"),
          cost_usd: usd(BigInt(sum("cost_pico"))),
          unpriced_requests: rs.filter(isUnpriced).length,
        });
      }
      assert.equal(report.total.requests, N);
      assert.equal(report.total.cost_usd, usd(BigInt(RECORDS.reduce((s, r) => s + (r.cost_pico ?? 0), 0))));
      await store.close();
    });
  }

  test(`${name}: usage ordering: chronological by time, else by cost; null keys last`, async () => {
    const store = (await database())();
    store.add(makeRecord(1, { model: "cheap", cost_pico: 10 }));
    store.add(makeRecord(2, { model: "dear", cost_pico: 1000 }));
    store.add(makeRecord(3, { model: null, cost_pico: 5000, ts: "2026-01-01T00:00:00.000Z" }));
    store.add(makeRecord(4, { model: "free", cost_pico: null, priced: false }));
    await store.flush();
    assert.deepEqual((await store.usage({}, "model")).groups.map((g) => g.key), [null, "dear", "cheap", "free"]);
    assert.deepEqual((await store.usage({}, "day")).groups.map((g) => g.key), ["2026-01-01", "2026-11-20"]);
    assert.equal((await store.usage({}, "model")).total.unpriced_requests, 1);
    await store.close();
  });

  test(`${name}: unpriced counts usage without a price, never a record without usage (UNPRICED_SQL)`, async () => {
    const store = (await database())();
    const noUsage = {
      cost_pico: null, priced: false, usage_source: "none", input_tokens: null, output_tokens: null, total_tokens: null,
    } as const;
    store.add(makeRecord(1, { model: "m", cost_pico: null, priced: false })); // usage, no price: unpriced
    store.add(makeRecord(2, { model: "m", ...noUsage, outcome: "blocked", status: 429 })); // refused: no usage
    store.add(makeRecord(3, { model: "m", ...noUsage, outcome: "upstream_error", status: 500 })); // error: no usage
    store.add(makeRecord(4, { model: "m", cost_pico: null, priced: false, usage_source: "estimated" })); // cut: unpriced
    await store.flush();
    const report = await store.usage({}, "model");
    assert.deepEqual([report.groups[0]?.requests, report.groups[0]?.unpriced_requests, report.total.unpriced_requests], [4, 2, 2]);
    await store.close();
  });

  test(`${name}: cost sums beyond 2^63 pico-USD stay exact`, async () => {
    const store = (await database())();
    const each = Number.MAX_SAFE_INTEGER; // ≈ 9,007 USD per record, the largest exact per-record cost
    const count = 1100; // 1100 × (2^53 − 1) > 2^63: a plain SQL SUM would overflow
    for (let i = 0; i < count; i++) store.add(makeRecord(i, { cost_pico: each }));
    await store.flush();
    const report = await store.usage({}, "provider");
    assert.equal(report.total.cost_usd, usd(BigInt(each) * BigInt(count)));
    assert.equal(report.total.cost_usd, "9907919.1802150901");
    await store.close();
  });

  test(`${name}: an empty store reports zeros`, async () => {
    const store = (await database())();
    assert.deepEqual(await store.usage({}, "day"), {
      groups: [],
      total: {
        requests: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        cache_write_1h_tokens: 0,
        audio_input_tokens: 0,
        audio_output_tokens: 0,
        characters: 0,
        audio_ms: 0,
        images: 0,
        search_queries: 0,
        request_fees: 0,
        compute_ms: 0,
        cost_usd: "0",
        unpriced_requests: 0,
      },
    });
    assert.deepEqual(await store.listRequests({}, { limit: 10, before: null }), { requests: [], next_before: null });
    await store.close();
  });

  test(`${name}: exportRows pages oldest first and covers every record once`, async () => {
    const store = (await database())({ exportPageSize: 7 });
    for (const r of RECORDS) store.add(r);
    await store.flush();
    const pages: number[] = [];
    const seen: UsageRecord[] = [];
    for await (const page of store.exportRows({})) {
      pages.push(page.length);
      seen.push(...page);
    }
    assert.deepEqual(seen, RECORDS);
    assert.deepEqual(pages, [...Array(8).fill(7), 4]);
    await store.close();
  });

  test(`${name}: usage by hour,model: one row per bucket and model, summing to the one-level answer`, async () => {
    const store = await seeded(database);
    const two = await store.usage({}, ["hour", "model"]);
    const one = await store.usage({}, "model");
    assert.deepEqual(two.total, one.total);
    for (const g of one.groups) {
      const rows = two.groups.filter((r) => r.group === g.key);
      assert.equal(rows.reduce((s, r) => s + r.requests, 0), g.requests);
      assert.ok(rows.every((r) => r.key === "2026-11-20T12:00Z"));
    }
    await store.close();
  });

  test(`${name}: getRequest finds one record by id, null for an unknown id`, async () => {
    const store = await seeded(database);
    assert.deepEqual(await store.getRequest(RECORDS[7]!.id), RECORDS[7]);
    assert.equal(await store.getRequest("nope"), null);
    await store.close();
  });

  test(`${name}: updateCosts replaces cost fields and counts only existing records`, async () => {
    const store = await seeded(database);
    const v2 = { cost_usd: "1.5", cost_pico: 1_500_000_000_000, cost_breakdown: { input: "1.5" }, price_version: "v2" };
    const changed = await store.updateCosts([
      { id: RECORDS[3]!.id, ...v2, priced: true },
      { id: RECORDS[4]!.id, cost_usd: null, cost_pico: null, cost_breakdown: null, priced: false, price_version: null },
      { id: "missing", ...v2, priced: true },
    ]);
    assert.equal(changed, 2);
    assert.deepEqual(await store.getRequest(RECORDS[3]!.id), { ...RECORDS[3]!, ...v2 });
    const four = await store.getRequest(RECORDS[4]!.id);
    assert.equal(four?.priced, false);
    assert.equal(four?.cost_pico, null);
    // Every rollup level took the old costs out and the new ones in: reports from each add up to the records.
    const costs = RECORDS.map((r, i) => (i === 3 ? v2.cost_pico : i === 4 ? 0 : r.cost_pico ?? 0));
    const expected = usd(costs.reduce((a, b) => a + BigInt(b), 0n));
    for (const grouping of ["model", "hour", "user"] as const) {
      const report = await store.usage({}, grouping);
      assert.equal(report.total.cost_usd, expected, grouping);
      assert.equal(report.total.unpriced_requests, RECORDS.filter((r, i) => i === 4 || (i !== 3 && isUnpriced(r))).length, grouping);
    }
    await store.close();
  });
}
