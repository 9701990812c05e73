/** /api/requests, /api/usage, /api/export and the CLI usage / export agree on the same data. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runExport } from "../../src/commands/export.ts";
import { runUsage } from "../../src/commands/usage.ts";
import { usd } from "../../src/pricing/money.ts";
import { RECORD_COLUMNS } from "../../src/store/columns.ts";
import { GROUP_BYS } from "../../src/store/query-params.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { UNIT_FIELDS } from "../../src/usage/types.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { drivers, makeRecord, withTempDir } from "../store/helpers.ts";
import { mountApi, NOW, sampleRecords, seededStore } from "../store/seed.ts";

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  return rows;
}

// Spread over three days and several hours, more than one listing page and one export page.
const RECORDS: UsageRecord[] = [
  ...sampleRecords(),
  ...Array.from(
    { length: 1200 },
    (_, i) => makeRecord(1000 + i, { ts: new Date(Date.parse("2026-11-18T00:00:00Z") + i * 197_000).toISOString() }),
  ),
];

const FILTERS: [name: string, query: string, flags: string[]][] = [
  ["everything", "", []],
  ["relative since", "since=2d", ["--since", "2d"]],
  ["absolute window", "since=2026-11-18T06:00Z&until=2026-11-19", [
    "--since",
    "2026-11-18T06:00Z",
    "--until",
    "2026-11-19",
  ]],
  ["user and provider", "user=bob&provider=openai", ["--user", "bob", "--provider", "openai"]],
  ["key and outcome", "key_id=key_2&outcome=ok", ["--key-id", "key_2", "--outcome", "ok"]],
  ["model and project", "model=gpt-4o&project=web", ["--model", "gpt-4o", "--project", "web"]],
];

for (const { name: driver, open, test } of await drivers()) {
  for (const [name, query, flags] of FILTERS) {
    test(`${driver}: API and CLI agree (${name})`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "k.db");
        const store = await seededStore(open(path), RECORDS); // the "server" keeps its connection open
        const app = mountApi(store);
        const get = async (p: string) => {
          const res = await app.request(p);
          assert.equal(res.status, 200, p);
          // The bytes as sent: Response.text() would drop the CSV's BOM.
          return new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
        };
        const q = query === "" ? "" : `&${query}`;

        // Every page of /api/requests, oldest first.
        const listed: UsageRecord[] = [];
        for (let before = "";;) {
          const page = JSON.parse(await get(`/api/requests?limit=333${q}${before}`));
          listed.push(...page.requests);
          if (page.next_before === null) break;
          before = `&before=${encodeURIComponent(page.next_before)}`;
        }
        listed.reverse();
        assert.ok(listed.length > 0);

        // Every export format, by HTTP and by CLI: identical bytes, same records as the listing.
        for (const format of ["json", "ndjson", "csv"] as const) {
          const http = await get(`/api/export?format=${format}${q}`);
          const cli = fakeIo(open, NOW);
          assert.equal(await runExport(["--db", path, "--format", format, ...flags], cli.io), 0);
          assert.equal(cli.err(), "");
          // Not assert.equal: its diff of two 400 KB strings buries the message.
          assert.ok(cli.out() === http, `${format} differs between CLI and HTTP`);
          if (format === "json") assert.deepEqual(JSON.parse(http), listed);
          if (format === "ndjson") assert.deepEqual(http.trimEnd().split("\n").map((l) => JSON.parse(l)), listed);
          if (format === "csv") {
            assert.ok(http.startsWith("\uFEFF"));
            const rows = parseCsv(http.slice(1)); // after the BOM
            assert.deepEqual(rows[0], [...RECORD_COLUMNS]);
            assert.deepEqual(rows.slice(1).map((r) => r[0]), listed.map((r) => r.id));
            const cost = RECORD_COLUMNS.indexOf("cost_pico");
            assert.deepEqual(
              rows.slice(1).map((r) => r[cost]),
              listed.map((r) => (r.cost_pico === null ? "" : String(r.cost_pico))),
            );
          }
        }

        // Usage for every grouping: HTTP = CLI json, and the totals are the sums of the exported records.
        const pico = listed.reduce((s, r) => s + BigInt(r.cost_pico ?? 0), 0n);
        const tokens = (f: keyof UsageRecord) => listed.reduce((s, r) => s + ((r[f] as number | null) ?? 0), 0);
        for (const groupBy of [...GROUP_BYS, "hour,model", "day,user"]) {
          const http = JSON.parse(await get(`/api/usage?group_by=${groupBy}${q}`));
          const cli = fakeIo(open, NOW);
          assert.equal(await runUsage(["--db", path, "--format", "json", "--group-by", groupBy, ...flags], cli.io), 0);
          assert.deepEqual(JSON.parse(cli.out()), http, `usage by ${groupBy}`);
          assert.deepEqual(http.total, {
            requests: listed.length,
            input_tokens: tokens("input_tokens"),
            output_tokens: tokens("output_tokens"),
            cache_read_tokens: tokens("cache_read_tokens"),
            cache_write_tokens: tokens("cache_write_tokens"),
            reasoning_tokens: tokens("reasoning_tokens"),
            cache_write_1h_tokens: tokens("cache_write_1h_tokens"),
            audio_input_tokens: tokens("audio_input_tokens"),
            audio_output_tokens: tokens("audio_output_tokens"),
            ...Object.fromEntries(UNIT_FIELDS.map((f) => [f, tokens(f)])),
            cost_usd: usd(pico),
            unpriced_requests: listed.filter((r) => !r.priced).length,
          });
          assert.equal(http.groups.reduce((s: number, g: { requests: number }) => s + g.requests, 0), listed.length);
        }
        await store.close();
      });
    });
  }
}
