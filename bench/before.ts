/**
 * @module Issue 12's figures before the hot-path work, beside this run's (section "Before and now" of
 * BENCHMARKS.md). `issue`: BENCHMARKS.md at commit 2bb4acb, when the issue was filed (no per-thread CPU then; CPU
 * per request was read from /proc over a wrk run). `previous`: the full run at commit 5f79236, after spend
 * control, /metrics, the dashboard, PostgreSQL and the first half of this work. Kept by hand; `now` is looked
 * up in this run's targets by `match`, the start of a target's text.
 */
import { table, type TargetRow } from "./lib/report.ts";

interface Before {
  figure: string;
  target: string;
  issue: string;
  previous: string;
  match: string;
}

const BEFORE: Before[] = [
  { figure: "event-loop CPU per small JSON request (64 conn.)", target: "≤ 1.5× bare", issue: "≈ 3× (whole process)", previous: "6.07× (5.80–6.74)", match: "event-loop CPU per request" },
  { figure: "whole-process CPU per small JSON request (64 conn.)", target: "≤ 2× bare", issue: "≈ 3×", previous: "4.64× (4.36–5.19)", match: "whole-process CPU per request" },
  { figure: "requests/s, 1 connection", target: "—", issue: "0.71× (0.65–0.75)", previous: "0.38× (0.37–0.41)", match: "concurrent RPS ≥ 0.9× bare (1 conn.)" },
  { figure: "requests/s, 16 connections", target: "≥ 0.8× bare (stretch 0.9×)", issue: "0.42× (0.39–0.45)", previous: "0.25× (0.24–0.26)", match: "concurrent RPS ≥ 0.9× bare (16 conn.)" },
  { figure: "requests/s, 64 connections", target: "≥ 0.8× bare (stretch 0.9×)", issue: "0.41× (0.37–0.42)", previous: "0.22× (0.20–0.24)", match: "concurrent RPS ≥ 0.9× bare (64 conn.)" },
  { figure: "sequential added latency p50, over bare", target: "≤ bare + 0.1 ms", issue: "+0.303 ms (+0.249 to +0.552)", previous: "+0.321 ms (+0.242 to +0.570)", match: "sequential added latency ≤ bare's" },
  { figure: "stream TTFE over bare, include_usage injected", target: "≤ bare + 0.1 ms", issue: "≈ +0.3 ms (not split then)", previous: "+0.552 ms (+0.400 to +0.670)", match: "stream TTFE ≤ bare's" },
  { figure: "100 MB SSE stream wall time", target: "≤ 1.1× bare", issue: "1.71× (1.18–2.16)", previous: "1.69× (1.34–1.92)", match: "100 MB stream wall time" },
  { figure: "RSS with 1,000 open streams", target: "≤ 1.3× bare", issue: "2.0× (114.1 vs 57.2 MB)", previous: "2.63× (151.9 vs 57.8 MB)", match: "RSS with 1,000 open streams ≤" },
  { figure: "meter vs eventsource-parser + JSON.parse, OpenAI", target: "≥ 5×", issue: "2.3× (1.6–2.9)", previous: "2.6× (2.0–2.9)", match: "meter ≥ 5×" },
  { figure: "meter vs eventsource-parser + JSON.parse, Anthropic", target: "≥ 3×", issue: "1.1×", previous: "1.4× (1.0–1.5)", match: "meter ≥ 3×" },
  { figure: "records/s into SQLite", target: "keep ≥ 50 k", issue: "84,852 /s", previous: "87,867 /s", match: "≥ 50,000 records/s into SQLite" },
];

export function beforeAndNow(targets: TargetRow[]): string {
  const rows = BEFORE.map((b) => {
    const now = targets.find((t) => t.target.startsWith(b.match));
    return [b.figure, b.target, b.issue, b.previous, now?.measured ?? "not measured in this run"];
  });
  return [
    "## Before and now (issue 12, hot path)",
    "",
    table(["figure", "target", "before: 2bb4acb (issue filed)", "previous run: 5f79236", "now (this run)"], rows),
  ].join("\n");
}
