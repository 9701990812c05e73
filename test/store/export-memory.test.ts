/**
 * A million-row CSV export streams in flat memory: rows are read by keyset pages and written as the reader
 * pulls, so neither the heap nor RSS grows with the row count. (~400 MB of CSV pass through the stream.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { COLUMN_SQL } from "../../src/store/columns.ts";
import { configure, migrate } from "../../src/store/schema.ts";
import { createStore } from "../../src/store/store.ts";
import { runtimeDriver, withTempDir } from "./helpers.ts";
import { mountApi } from "./seed.ts";

const ROWS = 1_000_000;
const MB = 1024 * 1024;

/**
 * A full collection before each sample, so the numbers show what is retained, not how lazy the collector is
 * (without it V8 lets ~250 MB of dead page strings pile up on Deno before a major GC).
 */
function collector(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  return typeof gc === "function" ? gc : () => {};
}

/** One INSERT … SELECT over a recursive counter: ~1 M rows in a few seconds, no JS per row. */
const FILL_SQL = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS - 1})
INSERT INTO requests (${COLUMN_SQL})
SELECT printf('01J%023d', i), strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + i, 'unixepoch'), 'req_' || i, 'openai',
  'gpt-4o', 'POST', '/v1/chat/completions', 200, 'ok', i % 2, 1234, 56, 1000 + i % 977, 200 + i % 131,
  1200 + i % 977 + i % 131, i % 7, 0, 0, i % 5, NULL, NULL, NULL, 'reported',
  '{"prompt_tokens":' || (1000 + i % 977) || ',"completion_tokens":' || (200 + i % 131) || '}',
  '0.00435', 4350000000, '{"input":"0.0025","output":"0.00185"}', 1, 'litellm-2026-07-24+k1',
  'k_' || (i % 10), 'user-' || (i % 100), 'web', '["a","b"]', NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'gpt-4o', NULL, NULL, NULL, NULL, NULL, NULL
FROM seq`;

test(
  `CSV export of ${ROWS.toLocaleString("en-US")} rows streams with bounded memory`,
  { timeout: 120_000 },
  async () => {
    const { open } = await runtimeDriver();
    await withTempDir(async (dir) => {
      const path = join(dir, "big.db");
      const setup = open(path);
      configure(setup);
      migrate(setup);
      // Secondary indexes other than (ts, id) only slow the fill; the export walks requests_ts.
      setup.exec(`DROP INDEX requests_model_ts; DROP INDEX requests_key_id_ts; DROP INDEX requests_user_ts;
      DROP INDEX requests_project_ts`);
      setup.transaction(() => setup.exec(FILL_SQL));
      setup.close();

      const gc = collector();
      const store = createStore(open(path));
      const res = await mountApi(store).request("/api/export?format=csv");
      const reader = res.body!.getReader();
      let bytes = 0;
      let chunks = 0;
      let newlines = 0;
      let baseline = { heap: 0, rss: 0 };
      let peak = { heap: 0, rss: 0 };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes += value.length;
        for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) newlines++;
        chunks++;
        if (chunks % 50 === 0) {
          gc();
          const m = process.memoryUsage();
          // The first samples (pages warm, JIT settled) are the baseline; growth is measured from there.
          if (chunks === 50) baseline = { heap: m.heapUsed, rss: m.rss };
          peak = { heap: Math.max(peak.heap, m.heapUsed), rss: Math.max(peak.rss, m.rss) };
        }
      }
      await store.close();
      assert.equal(newlines, ROWS + 1); // header + one line per row
      const growth = { heap: (peak.heap - baseline.heap) / MB, rss: (peak.rss - baseline.rss) / MB };
      console.log(
        `exported ${(bytes / MB).toFixed(0)} MB in ${chunks} chunks; heap growth ${growth.heap.toFixed(1)} MB, ` +
          `RSS growth ${growth.rss.toFixed(1)} MB`,
      );
      // Flat: the growth is a small fraction of what passed through, and would be ~bytes if rows accumulated.
      assert.ok(bytes > 300 * MB);
      assert.ok(growth.heap < 64, `heap grew ${growth.heap.toFixed(1)} MB`);
      assert.ok(growth.rss < 128, `RSS grew ${growth.rss.toFixed(1)} MB`);
    });
  },
);
