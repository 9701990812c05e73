// Property: a usage report served from the rollups (day and hour levels for whole days and hours, the quarter-hour
// rollup and raw rows at the edges) equals the sums over the raw records, exactly, on every store: random record sets
// written through the store's own flusher (so the rollups are written the way serve writes them), random filters,
// ranges (aligned to days, hours, quarter hours, unaligned, open) and groupings. The expected report is summed here
// in TypeScript from the records themselves, not by the store. The sets cross several UTC days.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { RequestFilter } from "../../src/store/filter.ts";
import { TOKEN_FIELDS, type UsageReport, usageFromRows } from "../../src/store/queries.ts";
import { GROUP_BYS, type Grouping, TIME_GROUPS } from "../../src/store/query-params.ts";
import { rollupCovers, usageSources } from "../../src/store/usage-query.ts";
import type { Row } from "../../src/store/db.ts";
import { isUnpriced, type Outcome, type UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { backends } from "../store/backends.ts";
import { idFor, makeRecord } from "../store/helpers.ts";
import { runs } from "./_runs.ts";

const BASE = Date.UTC(2026, 10, 20, 0, 0, 0);
const WINDOW = 8 * 3_600_000; // each record set lives in its own 8 hours
const Q = 15 * 60_000;
const H = 3_600_000;
const DAY = 86_400_000;

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const tokens = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 1_000_000 }));
const recordArb = fc.record({
  offset: fc.oneof(fc.integer({ min: 0, max: WINDOW - 1 }), fc.integer({ min: 0, max: 31 }).map((q) => q * Q)),
  provider: pick(["openai", "anthropic"]),
  model: pick([null, "gpt-4o", "claude-sonnet-4-5"]),
  key_id: pick([null, "k1", "k2"]),
  user: pick([null, "alice", "bob"]),
  project: pick([null, "p1"]),
  tags: pick([[], ["a"], ["a", "b"]]),
  outcome: pick<Outcome>(["ok", "upstream_error", "blocked"]),
  usage_source: pick(["reported", "none"] as const),
  priced: fc.boolean(),
  cost_pico: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 2 ** 52 })),
  counts: fc.array(tokens, { minLength: TOKEN_FIELDS.length, maxLength: TOKEN_FIELDS.length }),
});
const GROUPINGS: Grouping[] = [
  ...GROUP_BYS,
  ...TIME_GROUPS.flatMap((t) => GROUP_BYS.filter((g) => g !== "day" && g !== "hour").map((g) => [t, g] as const)),
];
/**
 * A bound: none, a quarter hour, or any millisecond, inside (or just around) the set's window (offsets from its
 * start); or an hour or a UTC day anywhere over the sets written so far (`at`: from BASE), so ranges span days.
 */
const bound = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -2, max: 34 }).map((q) => q * Q),
  fc.integer({ min: -Q, max: WINDOW + Q }),
  fc.integer({ min: -2, max: 80 }).map((h) => ({ at: h * H })),
  fc.integer({ min: -1, max: 4 }).map((d) => ({ at: d * DAY })),
  fc.integer({ min: 0, max: 4 * DAY }).map((ms) => ({ at: ms })),
);
const queryArb = fc.record({
  grouping: pick(GROUPINGS),
  since: bound,
  until: bound,
  provider: pick([undefined, "openai"]),
  model: pick([undefined, "gpt-4o"]),
  user: pick([undefined, "alice"]),
  outcome: pick<Outcome | undefined>([undefined, "ok"]),
});

type Spec = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;
type QuerySpec = typeof queryArb extends fc.Arbitrary<infer T> ? T : never;

let serial = 0;
function recordOf(spec: Spec, base: number): UsageRecord {
  const i = serial++;
  const ms = base + spec.offset;
  const r = makeRecord(i, {
    id: idFor(i, ms),
    ts: new Date(ms).toISOString(),
    provider: spec.provider,
    model: spec.model,
    requested_model: spec.model,
    key_id: spec.key_id,
    user: spec.user,
    project: spec.project,
    tags: spec.tags,
    outcome: spec.outcome,
    usage_source: spec.usage_source,
    priced: spec.priced,
    cost_pico: spec.cost_pico,
  });
  TOKEN_FIELDS.forEach((f, k) => (r[f] = spec.counts[k] ?? null));
  return r;
}

function filterOf(q: QuerySpec, base: number): RequestFilter | null {
  const f: RequestFilter = {};
  for (const k of ["provider", "model", "user", "outcome"] as const) if (q[k] !== undefined) Object.assign(f, { [k]: q[k] });
  const at = (b: number | { at: number }) => (typeof b === "number" ? base + b : BASE + b.at);
  if (q.since !== null) f.since = new Date(at(q.since)).toISOString();
  if (q.until !== null) f.until = new Date(at(q.until)).toISOString();
  return f.since !== undefined && f.until !== undefined && f.since >= f.until ? null : f;
}

/** The report summed from the records, in the row shape the stores' SQL gives (usageFromRows orders it). */
function expected(records: readonly UsageRecord[], filter: RequestFilter, grouping: Grouping): UsageReport {
  const [first, second] = typeof grouping === "string" ? [grouping, null] : grouping;
  const keyOf = (r: UsageRecord, by: string) =>
    by === "day" ? r.ts.slice(0, 10) : by === "hour" ? r.ts.slice(0, 13) : (r[by as keyof UsageRecord] as string | null) ?? null;
  const rows = new Map<string, Row>();
  for (const r of records) {
    if (filter.since !== undefined && r.ts < filter.since) continue;
    if (filter.until !== undefined && r.ts >= filter.until) continue;
    if ((["provider", "model", "user", "outcome"] as const).some((k) => filter[k] !== undefined && r[k] !== filter[k])) continue;
    const key = keyOf(r, first);
    const grp = second === null ? null : keyOf(r, second);
    const id = JSON.stringify([key, grp]);
    let row = rows.get(id);
    if (row === undefined) {
      row = { key, grp, requests: 0, cost_hi: 0n, cost_lo: 0n, unpriced_requests: 0 };
      for (const f of TOKEN_FIELDS) row[f] = 0;
      rows.set(id, row);
    }
    row.requests = (row.requests as number) + 1;
    for (const f of TOKEN_FIELDS) row[f] = (row[f] as number) + (r[f] ?? 0);
    row.cost_lo = (row.cost_lo as bigint) + BigInt(r.cost_pico ?? 0);
    if (isUnpriced(r)) row.unpriced_requests = (row.unpriced_requests as number) + 1;
  }
  return usageFromRows([...rows.values()], grouping);
}

for (const backend of await backends()) {
  testNeeding(`${backend.name}: usage from the rollup equals the raw records' sums`, backend.missing, async () => {
    const open = await backend.database();
    const store = open({ flushIntervalMs: 5 });
    const all: UsageRecord[] = [];
    const coarse = new Set<string>(); // the first table each report read: every level must have served some
    let set = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(recordArb, { maxLength: 60 }), fc.array(queryArb, { minLength: 1, maxLength: 8 }), async (specs, queries) => {
          const base = BASE + set++ * WINDOW;
          for (const spec of specs) {
            const r = recordOf(spec, base);
            all.push(r);
            store.add(r);
          }
          await store.flush();
          for (const q of queries) {
            const filter = filterOf(q, base);
            if (filter === null) continue;
            assert.equal(rollupCovers(filter, q.grouping), true);
            coarse.add(usageSources(filter, q.grouping)[0]!);
            assert.deepEqual(await store.usage(filter, q.grouping), expected(all, filter, q.grouping), JSON.stringify({ filter, grouping: q.grouping }));
          }
        }),
        runs(25),
      );
      for (const table of ["usage_rollup_day", "usage_rollup_hour", "usage_rollup"]) assert.ok(coarse.has(table), table);
    } finally {
      await store.close();
    }
  });
}
