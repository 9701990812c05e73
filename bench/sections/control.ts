/** @module Section "control": the pre-forward spend check with 1,000 budgets (bench/control-check.ts, pinned). */
import { BUN, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";

/** Target from the spend-control issue: the check a request pays before it is forwarded. */
const TARGET_NS = 2000;

export async function controlSection(quick: boolean): Promise<SectionResult> {
  const out = await run("1", BUN, ["bench/control-check.ts", ...(quick ? ["--quick"] : [])]);
  const rows = out.split("\n").flatMap((line) => {
    const m = /^(.+?)\s+(\d+) ns\/(check|settle)/.exec(line);
    return m ? [{ label: m[1]!.trim(), ns: Number(m[2]), what: m[3]! }] : [];
  });
  if (rows.length < 4) throw new Error(`control-check printed ${rows.length} figures:\n${out}`);
  const withBudgets = rows.filter((r) => r.what === "check" && r.label.startsWith("1,000"));
  const worst = Math.max(...withBudgets.map((r) => r.ns));
  return {
    title: "Spend control: the pre-forward check",
    markdown: [
      table(["case", "median ns per call"], rows.map((r) => [r.what === "settle" ? r.label : `check: ${r.label}`, String(r.ns)])),
      "",
      "`Control.check` runs on every proxied request before it is forwarded (Bun, one thread pinned to cpu1,",
      "1,024 distinct requests cycled); budgets are found through maps keyed by scope values, never a scan.",
      "`settle` runs when the exchange finishes, off the request's critical path.",
    ].join("\n"),
    targets: [{
      target: "pre-forward budget check ≤ 2 µs per request with 1,000 budgets",
      measured: `${worst} ns (worst of: none match / 5 budgets + 1 rate limit match)`,
      met: worst <= TARGET_NS,
    }],
  };
}
