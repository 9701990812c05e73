import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runExport } from "../../src/commands/export.ts";
import { runReprice } from "../../src/commands/reprice.ts";
import { runUsage } from "../../src/commands/usage.ts";
import { createStore } from "../../src/store/store.ts";
import { drivers, makeRecord, withTempDir } from "../store/helpers.ts";
import { fakeIo } from "./cli-io.ts";

const { open } = (await drivers())[0]!;
const NOW = Date.parse("2026-11-21T00:00:00.000Z");

async function withDb(fn: (path: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const store = createStore(open(path));
    store.add(makeRecord(0, { model: "gpt-4o", cost_pico: 1_500_000_000_000, input_tokens: 1200, output_tokens: 30 }));
    store.add(makeRecord(1, { model: "gpt-4o", cost_pico: 250_000_000, input_tokens: 10, output_tokens: 5 }));
    store.add(makeRecord(2, { model: "claude-sonnet-4-5", cost_pico: 3, input_tokens: 7, output_tokens: 1_000_000 }));
    store.add(
      makeRecord(3, {
        model: null,
        cost_pico: null,
        priced: false,
        input_tokens: null,
        output_tokens: null,
        cache_read_tokens: null,
        cache_write_tokens: null,
        reasoning_tokens: null,
      }),
    );
    await store.close();
    await fn(path);
  });
}

test("usage: aligned table by model, totals last", async () => {
  await withDb(async (path) => {
    const f = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path], f.io), 0);
    assert.equal(f.err(), "");
    assert.equal(
      f.out(),
      [
        "model              requests  input     output  cache read  cache write  reasoning      cost (USD)  unpriced",
        "-----------------  --------  -----  ---------  ----------  -----------  ---------  --------------  --------",
        "gpt-4o                    2  1,210         35           1            1          1         1.50025         0",
        "claude-sonnet-4-5         1      7  1,000,000           2            2          2  0.000000000003         0",
        "(none)                    1      0          0           0            0          0               0         1",
        "-----------------  --------  -----  ---------  ----------  -----------  ---------  --------------  --------",
        "total                     4  1,217  1,000,035           3            3          3  1.500250000003         1",
        "",
      ].join("\n"),
    );
  });
});

test("usage: json and csv formats, group by day, the default --db from io", async () => {
  await withDb(async (path) => {
    const json = fakeIo(open, NOW, { defaultDb: path });
    assert.equal(await runUsage(["--format", "json", "--group-by=day"], json.io), 0);
    const report = JSON.parse(json.out());
    assert.deepEqual(report.groups.map((g: { key: string }) => g.key), ["2026-11-20"]);
    assert.equal(report.total.cost_usd, "1.500250000003");
    const csv = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--format", "csv", "--group-by", "user"], csv.io), 0);
    assert.equal(
      csv.out(),
      "user,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd,unpriced_requests\r\n" +
        "alice,2,1207,1000030,2,2,2,1.500000000003,0\r\n" +
        "bob,2,10,5,1,1,1,0.00025,1\r\n",
    );
  });
});

test("usage: an empty range says so", async () => {
  await withDb(async (path) => {
    const f = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--since", "2030-01-01"], f.io), 0);
    assert.equal(f.out(), "No requests in this range\n");
  });
});

const BAD_FLAGS: [run: typeof runUsage, args: string[], message: string][] = [
  [runUsage, ["--bogus"], `kestrel usage: Unknown flag "--bogus"`], // unknown flag
  [runUsage, ["--since"], `kestrel usage: Flag "--since" needs a value`], // missing value at the end
  [runUsage, ["--since", "--db", "x"], `kestrel usage: Flag "--since" needs a value`], // a flag is not a value
  [runUsage, ["--since="], `kestrel usage: Flag "--since" needs a value`], // empty value
  [runUsage, ["today"], `kestrel usage: Unexpected argument "today"`], // positional
  [
    runUsage,
    ["--since", "soon"],
    `kestrel usage: Invalid --since "soon": use a date (2026-11-27), a datetime (2026-11-27T10:00Z) or an age (90m, 24h, 7d)`,
  ],
  [runUsage, ["--since", "1d", "--until", "2d"], `kestrel usage: --since "1d" is not before --until "2d"`],
  [
    runUsage,
    ["--group-by", "week"],
    `kestrel usage: Invalid --group-by "week": use one of day, hour, provider, model, key_id, user, project`,
  ],
  [runUsage, ["--format", "xml"], `kestrel usage: Invalid --format "xml": use one of table, json, csv`],
  [
    runUsage,
    ["--outcome", "fine"],
    `kestrel usage: Invalid --outcome "fine": use one of ok, upstream_error, client_aborted, upstream_aborted, timeout, client_timeout, blocked, error`,
  ],
  [runExport, ["--format", "xlsx"], `kestrel export: Invalid --format "xlsx": use one of csv, json, ndjson`],
  [runExport, ["--group-by", "day"], `kestrel export: Unknown flag "--group-by"`], // usage-only flag
  [runReprice, ["--dry-run=yes"], `kestrel reprice: Flag "--dry-run" takes no value`], // switch with a value
];

for (const [run, args, message] of BAD_FLAGS) {
  test(`bad flags ${JSON.stringify(args)} → exit 2 with one line`, async () => {
    const f = fakeIo(open, NOW);
    assert.equal(await run(args, f.io), 2);
    assert.equal(f.err(), message + "\n");
    assert.equal(f.out(), "");
  });
}

test("export --out without file access is a usage error; --help prints help", async () => {
  const f = fakeIo(open, NOW, { files: false });
  assert.equal(await runExport(["--out", "x.csv"], f.io), 2);
  assert.equal(f.err(), `kestrel export: Flag "--out" is not available here\n`);
  const h = fakeIo(open, NOW);
  assert.equal(await runUsage(["--help"], h.io), 0);
  assert.match(h.out(), /^Usage: kestrel usage/);
});

test("a file Kestrel never wrote is refused with exit 1 (wrong --db)", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "other.db");
    for (const run of [runUsage, runExport, runReprice]) {
      const f = fakeIo(open, NOW);
      assert.equal(await run(["--db", path], f.io), 1);
      assert.match(
        f.err(),
        /^kestrel (usage|export|reprice): No Kestrel usage data in ".*other\.db" \(check --db\)\n$/,
      );
    }
  });
});

test("export --out writes the file (truncating first) and reports the count", async () => {
  await withDb(async (path) => {
    const f = fakeIo(open, NOW);
    f.files.set("out.ndjson", "stale content\n");
    assert.equal(await runExport(["--db", path, "--format", "ndjson", "--out", "out.ndjson"], f.io), 0);
    assert.equal(f.out(), `Wrote 4 records to "out.ndjson"\n`);
    const lines = (f.files.get("out.ndjson") ?? "").trimEnd().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), [0, 1, 2, 3].map((i) => makeRecord(i).id));
    // An empty export still creates (truncates) the file.
    const g = fakeIo(open, NOW);
    g.files.set("empty.ndjson", "stale");
    assert.equal(
      await runExport(["--db", path, "--format", "ndjson", "--since", "2030-01-01", "--out", "empty.ndjson"], g.io),
      0,
    );
    assert.equal(g.files.get("empty.ndjson"), "");
  });
});

test("the CLI reads while a server store holds the file open and writes", async () => {
  await withDb(async (path) => {
    const server = createStore(open(path), { flushIntervalMs: 1 });
    for (let i = 10; i < 2010; i++) server.add(makeRecord(i));
    const f = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--format", "json"], f.io), 0);
    const seen = JSON.parse(f.out()).total.requests;
    assert.ok(seen >= 4 && seen <= 2004);
    await server.close();
    const g = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--format", "json"], g.io), 0);
    assert.equal(JSON.parse(g.out()).total.requests, 2004);
  });
});
