// Totals JUnit reports from both runners into the one line CI reads: "N passed, N failed, N skipped".
// A run passes only if every runner proved it ran: each of these counts as one failure of that runner —
// a missing, empty or cut-off report; a report with no test that ran (zero cases, or all skipped); an exit code
// other than 0 without a reported failure (a file that fails to load). A failed type check is one failure too.
// So a red run, or one that tested nothing, never prints "0 failed".
import { existsSync, readFileSync } from "node:fs";

const [checkRc, ...runs] = process.argv.slice(2);
let passed = 0;
let failed = Number(checkRc) === 0 ? 0 : 1;
let skipped = 0;
if (failed) console.log("type check failed (deno check)");
for (const run of runs) {
  const [name, rc, ...rest] = run.split(":");
  const file = rest.join(":");
  const xml = existsSync(file) ? readFileSync(file, "utf8") : "";
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  let bad = 0;
  let skips = 0;
  for (const c of cases) {
    if (/<(failure|error)\b/.test(c)) bad++;
    else if (/<skipped\b/.test(c)) skips++;
  }
  const good = cases.length - bad - skips;
  let problem = "";
  if (xml.trim() === "") problem = `no report at ${file} (exit code ${rc})`;
  else if (!/<\/testsuites>\s*$/.test(xml)) problem = `report ${file} is incomplete`;
  else if (good + bad === 0) problem = "ran no test";
  if (problem !== "" && bad === 0) bad = 1;
  let note = "";
  if (problem === "" && Number(rc) !== 0 && bad === 0) {
    bad = 1;
    note = ` (exit code ${rc} without a reported failure)`;
  }
  console.log(`${name}: ${problem === "" ? "" : `${problem}: `}${good} passed, ${bad} failed, ${skips} skipped${note}`);
  passed += good;
  failed += bad;
  skipped += skips;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
