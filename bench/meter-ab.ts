/**
 * @module Two trees' SSE meters side by side in ONE process (issue 25, "Meter offsets" in BENCHMARKS.md):
 * `bun bench/meter-ab.ts BEFORE_DIR AFTER_DIR [MB] [ROUNDS]` (each DIR holds a `src/`; `deno run -A` works too).
 * Per round: the before meter, the after meter and the baseline (eventsource-parser + streaming TextDecoder +
 * JSON.parse of every event, as bench/child/scanner.ts) over the same chunks, in alternating order; ratios are per
 * round (adjacent runs), which resists a shared machine's load drift better than separate processes.
 */
import { createParser } from "eventsource-parser";
import { anthropicShape, buildStream, chatShape, chunk } from "./lib/bodies.ts";

const [BEFORE, AFTER] = [process.argv[2], process.argv[3]];
if (BEFORE === undefined || AFTER === undefined) throw new Error("usage: meter-ab.ts BEFORE_DIR AFTER_DIR [MB] [ROUNDS]");
const MB = Number(process.argv[4] ?? 16);
const ROUNDS = Number(process.argv[5] ?? 15);

// deno-lint-ignore no-explicit-any
type Tree = { createMeter: any; getProvider: any };
async function load(dir: string): Promise<Tree> {
  const { createMeter } = await import(`${dir}/src/meter/meter.ts`);
  const { getProvider } = await import(`${dir}/src/providers/registry.ts`);
  return { createMeter, getProvider };
}
const trees = { before: await load(BEFORE), after: await load(AFTER) };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

for (
  const [key, provider, path, shape] of [
    ["chat", "openai", "/v1/chat/completions", chatShape()],
    ["anthropic", "anthropic", "/v1/messages", anthropicShape()],
  ] as const
) {
  const bytes = buildStream(shape, MB * 1e6);
  const chunks = chunk(bytes);
  const facts = { provider, method: "POST", path, query: "", body: { model: "bench", stream: true }, headers: new Headers() };
  const meter = (t: Tree) => () => {
    const acc = t.getProvider(provider).createAccumulator(facts);
    acc.onResponse?.(200, new Headers({ "content-type": "text/event-stream" }));
    const m = t.createMeter("sse", acc);
    for (const part of chunks) m.push(part);
    if (m.end(true).usage?.output_tokens !== shape.usage.output) throw new Error(`${key}: usage mismatch`);
  };
  const baseline = () => {
    let output = -1;
    const decoder = new TextDecoder();
    const p = createParser({
      onEvent: (e) => {
        if (e.data === "[DONE]") return;
        const v = JSON.parse(e.data);
        const u = v.usage ?? v.message?.usage;
        if (u) output = u.completion_tokens ?? u.output_tokens ?? output;
      },
    });
    for (const part of chunks) p.feed(decoder.decode(part, { stream: true }));
    p.feed(decoder.decode());
    if (output !== shape.usage.output) throw new Error(`${key}: baseline usage mismatch`);
  };
  const runs: Record<string, () => void> = { before: meter(trees.before), after: meter(trees.after), baseline };
  for (const fn of Object.values(runs)) fn(), fn();
  const rates: Record<string, number[]> = { before: [], after: [], baseline: [] };
  const ratios: Record<string, number[]> = { before: [], after: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const got: Record<string, number> = {};
    for (const name of r % 2 === 0 ? ["before", "after", "baseline"] : ["baseline", "after", "before"]) {
      const t0 = performance.now();
      runs[name]!();
      got[name] = bytes.length / 1e3 / (performance.now() - t0);
      rates[name]!.push(got[name]!);
    }
    ratios.before!.push(got.before! / got.baseline!);
    ratios.after!.push(got.after! / got.baseline!);
  }
  const mbs = (name: string) => median(rates[name]!).toFixed(0);
  console.log(
    `${key}: MB/s before ${mbs("before")}, after ${mbs("after")}, baseline ${mbs("baseline")}; ` +
      `meter / baseline (median of per-round ratios) before ${median(ratios.before!).toFixed(2)}×, ` +
      `after ${median(ratios.after!).toFixed(2)}×`,
  );
}
