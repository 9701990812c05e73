/**
 * @module Section 2: added latency per request, one request at a time: per round, each contender's median and
 * p99 minus direct's (same round, interleaved request by request), then the median of rounds (min–max).
 */
import { BODY, type Contender, configureMock } from "../lib/contenders.ts";
import { BUN, CPU, type Proc, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmt, fmtDelta, percentile, summarize, type Summary } from "../lib/stats.ts";

interface Sample {
  ttfe: number;
  ttlb: number;
  bytes: number;
}
type Rounds = Record<string, Sample[]>[];

export interface SeqOptions {
  rounds: number;
  /** Requests per contender per round: non-streaming, streaming. */
  perRound: number;
  perRoundStream: number;
  warmup: number;
  /** Stream shape: events per response and the mock's pause between them. */
  events: number;
  gapMs: number;
}

export async function runClient(targets: Contender[], body: string, o: {
  rounds: number;
  perRound: number;
  warmup: number;
  expectUsage: boolean;
}): Promise<Rounds> {
  const job = { targets: targets.map((c) => ({ key: c.key, url: c.endpoint, headers: c.headers })), body, ...o };
  const out = await run(CPU.load, BUN, ["bench/seq-client.ts", JSON.stringify(job)]);
  return (JSON.parse(out) as { rounds: Rounds }).rounds;
}

/** Per round: percentile of `metric` for `key` minus the same for direct. */
function added(rounds: Rounds, key: string, metric: "ttfe" | "ttlb", p: number): Summary {
  return summarize(rounds.map((r) => {
    const of = (k: string) => percentile(r[k]!.map((s) => s[metric]), p);
    return of(key) - of("direct");
  }));
}

function absolute(rounds: Rounds, key: string, metric: "ttfe" | "ttlb", p: number): Summary {
  return summarize(rounds.map((r) => percentile(r[key]!.map((s) => s[metric]), p)));
}

export async function sequentialSection(mock: Proc, contenders: Contender[], o: SeqOptions): Promise<SectionResult> {
  await configureMock(mock, { events: o.events, gapMs: o.gapMs, streamBytes: 0, delayMs: 0 });
  const common = { rounds: o.rounds, warmup: o.warmup };
  const json = await runClient(contenders, BODY.json, { ...common, perRound: o.perRound, expectUsage: false });
  const stream = await runClient(contenders, BODY.stream, { ...common, perRound: o.perRoundStream, expectUsage: true });
  // The mock sends usage either way; Kestrel strips the chunk it asked for, so the client sees none from it.
  const injected = await runClient(contenders, BODY.streamInjected, { ...common, perRound: o.perRoundStream, expectUsage: false });

  const jsonRows = contenders.map((c) => [
    c.label,
    fmt(absolute(json, c.key, "ttlb", 50).median, 3),
    c.key === "direct" ? "—" : fmtDelta(added(json, c.key, "ttlb", 50), 3),
    c.key === "direct" ? "—" : fmtDelta(added(json, c.key, "ttlb", 99), 3),
  ]);
  const streamRows = contenders.map((c) => [
    c.label,
    fmt(absolute(stream, c.key, "ttfe", 50).median, 3),
    c.key === "direct" ? "—" : fmtDelta(added(stream, c.key, "ttfe", 50), 3),
    c.key === "direct" ? "—" : fmtDelta(added(stream, c.key, "ttfe", 99), 3),
    fmt(absolute(stream, c.key, "ttlb", 50).median, 3),
    c.key === "direct" ? "—" : fmtDelta(added(stream, c.key, "ttlb", 50), 3),
    c.key === "direct" ? "—" : fmtDelta(added(stream, c.key, "ttlb", 99), 3),
  ]);
  const kJson = added(json, "kestrel", "ttlb", 50);
  const bareJson = added(json, "bare", "ttlb", 50);
  const kOverBare = summarize(json.map((r) => {
    const p = (k: string) => percentile(r[k]!.map((s) => s.ttlb), 50);
    return p("kestrel") - p("bare");
  }));
  const kTtfe = added(stream, "kestrel", "ttfe", 50);
  const kTtfeInjected = added(injected, "kestrel", "ttfe", 50);
  /** Added TTFE p50 over bare's, per round: the figure the hot-path target is set in. */
  const overBare = (rounds: Rounds, metric: "ttfe" | "ttlb", p = 50) =>
    summarize(rounds.map((r) => percentile(r.kestrel!.map((s) => s[metric]), p) - percentile(r.bare!.map((s) => s[metric]), p)));
  const p99OverBare = overBare(json, "ttlb", 99);
  const injectedRows = contenders.map((c) => [
    c.label,
    fmt(absolute(injected, c.key, "ttfe", 50).median, 3),
    c.key === "direct" ? "—" : fmtDelta(added(injected, c.key, "ttfe", 50), 3),
    c.key === "direct" ? "—" : fmtDelta(added(injected, c.key, "ttfe", 99), 3),
  ]);
  const n = o.rounds * o.perRound;
  const markdown = [
    `Non-streaming chat completion (${n} requests per contender: ${o.rounds} rounds × ${o.perRound}, interleaved).`,
    "",
    table(["contender", "latency p50 (ms)", "added p50 vs direct", "added p99 vs direct"], jsonRows),
    "",
    `Streaming chat completion (${o.rounds} rounds × ${o.perRoundStream}), ${o.events} events ${o.gapMs} ms apart, usage chunk at the end (client asks`,
    "for it, so Kestrel injects nothing). TTFE = first chunk holding `data:`; TTLB = last byte.",
    "",
    table([
      "contender",
      "TTFE p50 (ms)",
      "TTFE added p50",
      "TTFE added p99",
      "TTLB p50 (ms)",
      "TTLB added p50",
      "TTLB added p99",
    ], streamRows),
    "",
    "The same stream when the client does not ask for usage: Kestrel adds `stream_options.include_usage` to the",
    "request and takes the usage chunk out of the answer (the others pass the request as it is).",
    "",
    table(["contender", "TTFE p50 (ms)", "TTFE added p50", "TTFE added p99"], injectedRows),
    "",
    `Kestrel − bare, TTFE p50: ${fmtDelta(overBare(stream, "ttfe"), 3)} (client asks for usage), ${fmtDelta(overBare(injected, "ttfe"), 3)} (Kestrel injects).`,
    "",
    `Kestrel − bare (non-streaming): p50 ${fmtDelta(kOverBare, 3)}, p99 ${fmtDelta(p99OverBare, 3)}; bare − direct: ${fmtDelta(bareJson, 3)}.`,
  ].join("\n");
  return {
    title: "2. Proxy, sequential: added latency",
    markdown,
    targets: [
      { target: "sequential added latency ≤ 0.25 ms (median, non-streaming)", measured: fmtDelta(kJson, 3), met: kJson.median <= 0.25 },
      {
        target: "sequential added latency ≤ bare's + 0.1 ms (docs/architecture.md §10)",
        measured: `${fmtDelta(kOverBare, 3)} over bare`,
        met: kOverBare.median <= 0.1,
      },
      {
        target: "sequential p99 ≤ bare's p99 + 0.5 ms (non-streaming)",
        measured: `${fmtDelta(p99OverBare, 3)} over bare's p99`,
        met: p99OverBare.median <= 0.5,
      },
      { target: "stream time-to-first-event added < 1 ms (median)", measured: fmtDelta(kTtfe, 3), met: kTtfe.median < 1 },
      {
        target: "stream TTFE ≤ bare's + 0.1 ms (client asks for usage)",
        measured: `${fmtDelta(overBare(stream, "ttfe"), 3)} over bare`,
        met: overBare(stream, "ttfe").median <= 0.1,
      },
      {
        target: "stream TTFE ≤ bare's + 0.1 ms, with include_usage injected",
        measured: `${fmtDelta(overBare(injected, "ttfe"), 3)} over bare (${fmtDelta(kTtfeInjected, 3)} over direct)`,
        met: overBare(injected, "ttfe").median <= 0.1,
      },
    ],
  };
}
