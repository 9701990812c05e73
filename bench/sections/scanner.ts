/** @module Section 1: scanner + usage extraction MB/s vs eventsource-parser + JSON.parse, one thread. */
import { BUN, CPU, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmt, fmtSummary, pairwise, summarize } from "../lib/stats.ts";

interface CaseResult {
  bytes: number;
  chunks: number;
  events: number;
  rates: { meter: number[]; scanner: number[]; baseline: number[] };
}

const NAMES: Record<string, string> = {
  chat: "OpenAI chat stream (openai-text.sse deltas)",
  anthropic: "Anthropic Messages stream (anthropic-text + compaction deltas)",
};

export async function scannerSection(opts: { mb: number; rounds: number }): Promise<SectionResult> {
  const out = await run(CPU.proxy, BUN, ["bench/child/scanner.ts", String(opts.mb), String(opts.rounds)]);
  const data = JSON.parse(out) as Record<string, CaseResult>;
  const rows: string[][] = [];
  const ratios: Record<string, ReturnType<typeof summarize>> = {};
  const meterRates: Record<string, ReturnType<typeof summarize>> = {};
  for (const key of ["chat", "anthropic"]) {
    const c = data[key]!;
    const ratio = summarize(pairwise(c.rates.meter, c.rates.baseline, (a, b) => a / b));
    const scanRatio = summarize(pairwise(c.rates.scanner, c.rates.baseline, (a, b) => a / b));
    ratios[key] = ratio;
    meterRates[key] = summarize(c.rates.meter);
    rows.push([
      NAMES[key]!,
      `${fmt(c.bytes / 1e6, 1)} MB, ${c.events.toLocaleString("en-US")} events, ${c.chunks} chunks`,
      fmtSummary(summarize(c.rates.meter), 0),
      fmtSummary(summarize(c.rates.scanner), 0),
      fmtSummary(summarize(c.rates.baseline), 0),
      fmtSummary(ratio, 1, "×"),
      fmtSummary(scanRatio, 1, "×"),
    ]);
  }
  const markdown = [
    table(
      [
        "stream",
        "size",
        "Kestrel meter MB/s (scanner + accumulator)",
        "scanner alone MB/s",
        "baseline MB/s (eventsource-parser + TextDecoder + JSON.parse)",
        "meter / baseline",
        "scanner / baseline",
      ],
      rows,
    ),
    "",
    `${opts.rounds} rounds (after 2 warm-up runs), one thread pinned to cpu${CPU.proxy}; each round runs the three`,
    "readers back to back over the same chunk buffers; ratios are per round. The meter is `createMeter(\"sse\", acc)`",
    "with the registry's accumulator (`openai` chat, `anthropic` messages); its usage is checked against the fixture.",
  ].join("\n");
  const chat = ratios.chat!;
  const chatRate = meterRates.chat!;
  return {
    title: "1. Scanner and usage extraction",
    markdown,
    targets: [
      {
        target: "scanner + usage ≥ 20× eventsource-parser + JSON.parse (long chat stream)",
        measured: fmtSummary(chat, 1, "×"),
        met: chat.median >= 20,
      },
      {
        target: "meter ≥ 4× eventsource-parser + JSON.parse (OpenAI stream)",
        measured: fmtSummary(chat, 1, "×"),
        met: chat.median >= 4,
      },
      {
        target: "meter ≥ 2.5× eventsource-parser + JSON.parse (Anthropic stream)",
        measured: fmtSummary(ratios.anthropic!, 1, "×"),
        met: ratios.anthropic!.median >= 2.5,
      },
      {
        target: "scanner + usage ≥ 2 GB/s (long chat stream)",
        measured: fmtSummary(chatRate, 0, " MB/s"),
        met: chatRate.median >= 2000,
      },
    ],
  };
}
