import assert from "node:assert/strict";
import { test } from "node:test";
import { recordToParams, RECORD_COLUMNS } from "../../src/store/columns.ts";
import type { Row } from "../../src/store/db.ts";
import { pagesAhead } from "../../src/store/pg/export-pages.ts";
import { makeRecord } from "./helpers.ts";

type Cursor = { ts: string; id: string } | null;

/** `n` rows as the store reads them back, oldest first, and a page function over them that logs its calls. */
function table(n: number) {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const params = recordToParams(makeRecord(i, { id: `r${String(i).padStart(3, "0")}` }));
    rows.push(Object.fromEntries(RECORD_COLUMNS.map((c, j) => [c, params[j]!])) as Row);
  }
  const asked: Cursor[] = [];
  const page = (size: number) => (after: Cursor) => {
    asked.push(after);
    const from = after === null ? 0 : rows.findIndex((r) => r.id === after.id) + 1;
    return Promise.resolve(rows.slice(from, from + size));
  };
  return { rows, asked, page };
}

test("pagesAhead reads every row once, in order, and stops on a short or empty page", async () => {
  for (const n of [0, 1, 6, 7]) {
    const { page, asked } = table(n);
    const ids: string[] = [];
    for await (const records of pagesAhead(page(3), 3)) ids.push(...records.map((r) => r.id));
    assert.deepEqual(ids, Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, "0")}`));
    // A full last page (6 rows) costs one empty page more, as pagesOf does.
    assert.equal(asked.length, Math.floor(n / 3) + 1);
  }
});

test("pagesAhead asks for the next page before handing out the current one", async () => {
  const { page, asked, rows } = table(7);
  const it = pagesAhead(page(3), 3)[Symbol.asyncIterator]();
  await it.next();
  assert.deepEqual(asked, [null, { ts: String(rows[2]!.ts), id: "r002" }]);
  await it.return(undefined); // a reader that leaves early: no more pages asked
  assert.equal(asked.length, 2);
});

test("a page that fails while the one before is still out rejects at its turn, never unhandled", async () => {
  const { page } = table(7);
  let calls = 0;
  const failing = (after: Cursor) => (++calls === 2 ? Promise.reject(new Error("server gone")) : page(3)(after));
  const it = pagesAhead(failing, 3)[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.length, 3);
  await new Promise((resolve) => setTimeout(resolve, 10)); // the rejection settles while the reader is away
  await assert.rejects(it.next(), /server gone/);
});
