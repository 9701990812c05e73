import assert from "node:assert/strict";
import { test } from "node:test";
import { RECORD_COLUMNS } from "../../src/store/columns.ts";
import { createExportFormatter, csvCell, csvRow, exportChunks } from "../../src/store/export-format.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { makeRecord } from "./helpers.ts";

const CELLS: [value: unknown, guard: boolean, expected: string][] = [
  [null, true, ""], // null is an empty cell
  ["plain", true, "plain"], // nothing to quote
  ["a,b", true, `"a,b"`], // comma → quoted
  ['say "hi"', true, `"say ""hi"""`], // quotes doubled inside quotes
  ["line\nbreak", true, `"line\nbreak"`], // LF kept inside quotes
  ["cr\r\nlf", true, `"cr\r\nlf"`], // CRLF kept inside quotes
  ['=HYPERLINK("x")', true, `"'=HYPERLINK(""x"")"`], // formula: apostrophe, then quoting
  ["+1", true, "'+1"], // plus sign would be evaluated
  ["-2+3", true, "'-2+3"], // minus too
  ["@SUM(A1)", true, "'@SUM(A1)"], // at sign (Lotus-style functions)
  ["\tcmd", true, "'\tcmd"], // leading tab
  ["\rcmd", true, `"'\rcmd"`], // leading CR: prefixed and quoted
  ["a=b", true, "a=b"], // only the first character matters
  ["-0.5", false, "-0.5"], // unguarded column (cost_usd) is left alone
  [42, true, "42"], // numbers are never guarded
  [-3, true, "-3"], // a negative number stays a number
  [12.5, true, "12.5"], // fractions as JS prints them
  [true, true, "true"], // booleans as words
  [false, true, "false"],
  [{ a: 1, b: "x,y" }, true, `"{""a"":1,""b"":""x,y""}"`], // JSON cells quoted when needed
  [["t1"], true, `"[""t1""]"`], // arrays are JSON
  ["zoë 李", true, "zoë 李"], // UTF-8 as is
];

for (const [value, guard, expected] of CELLS) {
  test(`csvCell(${JSON.stringify(value)}, guard ${guard}) → ${JSON.stringify(expected)}`, () => {
    assert.equal(csvCell(value, guard), expected);
  });
}

async function render(format: "csv" | "json" | "ndjson", records: UsageRecord[], pageSize = 2): Promise<string> {
  async function* pages() {
    for (let i = 0; i < records.length; i += pageSize) yield records.slice(i, i + pageSize);
  }
  let text = "";
  for await (const chunk of exportChunks(pages(), createExportFormatter(format))) text += chunk;
  return text;
}

const RECORDS = [makeRecord(1), makeRecord(2, { user: "=cmd|' /C calc'!A0", model: null }), makeRecord(3)];

test("CSV: BOM, header in contract order, CRLF after every row, guarded user cell", async () => {
  const text = await render("csv", RECORDS);
  assert.ok(text.startsWith("\uFEFFid,ts,request_id,"));
  const lines = text.slice(1).split("\r\n");
  assert.equal(lines[0], RECORD_COLUMNS.join(","));
  assert.equal(lines.length, RECORDS.length + 2); // header + rows + the empty string after the last CRLF
  assert.equal(lines.at(-1), "");
  assert.equal(lines[2], csvRow(RECORDS[1]!).slice(0, -2));
  assert.match(lines[2]!, /,'=cmd\|' \/C calc'!A0,/); // no comma or quote in it: apostrophe, no quotes
});

test("CSV of no records is the header alone", async () => {
  assert.equal(await render("csv", []), "\uFEFF" + RECORD_COLUMNS.join(",") + "\r\n");
});

test("JSON is one array, identical for any page size; empty is []", async () => {
  for (const pageSize of [1, 2, 10]) assert.deepEqual(JSON.parse(await render("json", RECORDS, pageSize)), RECORDS);
  assert.deepEqual(JSON.parse(await render("json", [])), []);
});

test("NDJSON is one record per line", async () => {
  const text = await render("ndjson", RECORDS);
  assert.ok(text.endsWith("}\n"));
  assert.deepEqual(text.trimEnd().split("\n").map((l) => JSON.parse(l)), RECORDS);
  assert.equal(await render("ndjson", []), "");
});
