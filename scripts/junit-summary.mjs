// Totals JUnit reports from both runners into the one line CI reads: "N passed, N failed, N skipped".
// A run passes only if every runner proved it ran: each of these counts as one failure of that runner —
// a missing, empty or cut-off report; a report with no test that ran (zero cases, or all skipped); an exit code
// other than 0 without a reported failure (a file that fails to load). A failed type check is one failure too.
// So a red run, or one that tested nothing, never prints "0 failed".
// Every test file runs on both runtimes, so each test must be registered on one as often as on the other (a test
// that cannot run on one is registered there too, skipped with its reason): a test name whose counts differ is one
// failure, named with its counts. Compared by name, not by file: Deno's report names the file that called test()
// (a helper such as test/_helpers/host.ts), Bun's the file that ran. Compared only when every report is whole.
import { existsSync, readFileSync } from "node:fs";

const attr = (attrs, name) => new RegExp(`\\s${name}="([^"]*)"`).exec(attrs)?.[1];

/**
 * Test cases per name (XML entities left as they are: both runners escape alike). A name's ` [skipped: …]` or
 * ` [missing: …]` tail (test/_helpers/host.ts testNeeding) is left out: the same test, run on one runtime and
 * registered skipped on the other.
 */
function casesByName(xml) {
  const counts = new Map();
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>[\s\S]*?<\/testcase>)/g)) {
    const name = (attr(m[1], "name") ?? "").replace(/ \[(skipped|missing): [^\]]*\]$/, "");
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

const [checkRc, ...runs] = process.argv.slice(2);
let passed = 0;
let failed = Number(checkRc) === 0 ? 0 : 1;
let skipped = 0;
/** Each runner's cases per file, when its report is whole. */
const registered = [];
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
  if (problem === "") registered.push({ name, tests: casesByName(xml) });
  console.log(`${name}: ${problem === "" ? "" : `${problem}: `}${good} passed, ${bad} failed, ${skips} skipped${note}`);
  passed += good;
  failed += bad;
  skipped += skips;
}
if (registered.length === runs.length && runs.length > 1) {
  const names = [...new Set(registered.flatMap((r) => [...r.tests.keys()]))].sort();
  for (const test of names) {
    const counts = registered.map((r) => r.tests.get(test) ?? 0);
    if (counts.every((n) => n === counts[0])) continue;
    failed++;
    console.log(`test counts differ: "${test}" is registered ${registered.map((r, i) => `${counts[i]} on ${r.name}`).join(", ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
