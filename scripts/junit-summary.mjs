// Totals JUnit reports from both runners into the one line CI reads: "N passed, N failed".
// A runner that exits non-zero without a reported failure (a file that fails to load) counts as one failure,
// and so does a failed type check: a red run never prints "0 failed".
import { existsSync, readFileSync } from "node:fs";

const [checkRc, ...runs] = process.argv.slice(2);
let passed = 0;
let failed = Number(checkRc) === 0 ? 0 : 1;
if (failed) console.log("type check failed (deno check)");
for (const run of runs) {
  const [name, rc, file] = run.split(":");
  const xml = existsSync(file) ? readFileSync(file, "utf8") : "";
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  let bad = 0;
  let skipped = 0;
  for (const c of cases) {
    if (/<(failure|error)\b/.test(c)) bad++;
    else if (/<skipped\b/.test(c)) skipped++;
  }
  const good = cases.length - bad - skipped;
  if (Number(rc) !== 0 && bad === 0) bad = 1;
  console.log(`${name}: ${good} passed, ${bad} failed${skipped ? `, ${skipped} skipped` : ""}`);
  passed += good;
  failed += bad;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
