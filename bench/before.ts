/**
 * @module The hot path's figures before, beside this run's (section "Before and now" of BENCHMARKS.md).
 * `issue12`: BENCHMARKS.md at commit 2bb4acb, when issue 12 was filed (no per-thread CPU then; CPU per request was
 * read from /proc over a wrk run). `issue25`: the full run at commit 4b1cc4c, the figures issue 25 was filed with
 * (its sections 1–5 are that run's tables). Kept by hand; `now` is looked up in this run's targets by `match`, the
 * start of a target's text. Targets are issue 25's.
 */
import { table, type TargetRow } from "./lib/report.ts";

interface Before {
  figure: string;
  target: string;
  issue12: string;
  issue25: string;
  match: string;
}

const BEFORE: Before[] = [
  { figure: "event-loop CPU per small JSON request (64 conn.)", target: "≤ 1.5× bare", issue12: "≈ 3× (whole process)", issue25: "3.81× (3.60–3.91)", match: "event-loop CPU per request" },
  { figure: "whole-process CPU per small JSON request (64 conn.)", target: "≤ 2× bare", issue12: "≈ 3×", issue25: "3.10× (2.92–3.20)", match: "whole-process CPU per request" },
  { figure: "requests/s, 1 connection", target: "—", issue12: "0.71× (0.65–0.75)", issue25: "0.62× (0.60–0.65)", match: "concurrent RPS ≥ 0.9× bare (1 conn." },
  { figure: "requests/s, 16 connections, proxy on one core", target: "≥ 0.6× bare", issue12: "0.42× (0.39–0.45)", issue25: "0.33× (0.31–0.35)", match: "concurrent RPS ≥ 0.6× bare (16 conn." },
  { figure: "requests/s, 64 connections, proxy on one core", target: "≥ 0.6× bare", issue12: "0.41× (0.37–0.42)", issue25: "0.33× (0.31–0.35)", match: "concurrent RPS ≥ 0.6× bare (64 conn." },
  { figure: "requests/s, 16 connections, proxy on two cores", target: "≥ 0.8× bare", issue12: "not measured", issue25: "not measured", match: "concurrent RPS ≥ 0.8× bare (16 conn." },
  { figure: "requests/s, 64 connections, proxy on two cores", target: "≥ 0.8× bare", issue12: "not measured", issue25: "not measured", match: "concurrent RPS ≥ 0.8× bare (64 conn." },
  { figure: "requests/s vs Portkey, 64 connections", target: "≥ 3×", issue12: "not measured", issue25: "2.32× (2.24–2.42)", match: "concurrent RPS ≥ 3× Portkey (64 conn." },
  { figure: "sequential added latency p50, over bare", target: "≤ bare + 0.1 ms", issue12: "+0.303 ms (+0.249 to +0.552)", issue25: "+0.164 ms (+0.122 to +0.198)", match: "sequential added latency ≤ bare's" },
  { figure: "sequential p99, over bare's p99", target: "≤ bare's p99 + 0.5 ms", issue12: "not measured", issue25: "not computed (added p99 over direct: Kestrel +2.201, bare +2.231 ms)", match: "sequential p99 ≤ bare's p99" },
  { figure: "stream TTFE over bare, client asks for usage", target: "≤ bare + 0.1 ms", issue12: "≈ +0.3 ms", issue25: "+0.397 ms (+0.286 to +0.424)", match: "stream TTFE ≤ bare's + 0.1 ms (client" },
  { figure: "stream TTFE over bare, include_usage injected", target: "≤ bare + 0.1 ms", issue12: "≈ +0.3 ms (not split then)", issue25: "+0.381 ms (+0.285 to +0.628)", match: "stream TTFE ≤ bare's + 0.1 ms, with" },
  { figure: "100 MB SSE stream wall time", target: "≤ 1.25× bare", issue12: "1.71× (1.18–2.16)", issue25: "1.78× (1.60–2.04)", match: "100 MB stream wall time" },
  { figure: "RSS with 1,000 open streams", target: "≤ 1.5× bare", issue12: "2.0× (114.1 vs 57.2 MB)", issue25: "2.28× (129.6 vs 56.9 MB)", match: "RSS with 1,000 open streams ≤" },
  { figure: "meter vs eventsource-parser + JSON.parse, OpenAI", target: "≥ 4×", issue12: "2.3× (1.6–2.9)", issue25: "2.6× (1.7–2.9)", match: "meter ≥ 4×" },
  { figure: "meter vs eventsource-parser + JSON.parse, Anthropic", target: "≥ 2.5×", issue12: "1.1×", issue25: "1.3× (1.1–1.6)", match: "meter ≥ 2.5×" },
  { figure: "binary cold start to the first proxied answer", target: "≤ 100 ms", issue12: "not measured", issue25: "198–248 ms to /health; --version 92 ms", match: "binary cold start" },
  { figure: "records/s into SQLite", target: "keep ≥ 50 k", issue12: "84,852 /s", issue25: "88,324 /s", match: "≥ 50,000 records/s into SQLite" },
];

export function beforeAndNow(targets: TargetRow[]): string {
  const rows = BEFORE.map((b) => {
    const now = targets.find((t) => t.target.startsWith(b.match));
    return [b.figure, b.target, b.issue12, b.issue25, now?.measured ?? "not measured in this run"];
  });
  return [
    "## Before and now (issues 12 and 25, hot path)",
    "",
    table(["figure", "target (issue 25)", "issue 12 filed: 2bb4acb", "issue 25 filed: 4b1cc4c", "now (this run)"], rows),
  ].join("\n");
}
