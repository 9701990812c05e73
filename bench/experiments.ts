/**
 * Where Kestrel's time goes: `bun bench/experiments.ts [--seconds 3] [--rounds 2] [--only a,b] [--big-mb 20]`.
 * Runs every variant of bench/lib/variants.ts (a scratch copy of src/ with one piece switched off) on Bun
 * against the same mock, beside bare, and prints: requests/s at 16 and 64 connections (wrk, rounds
 * interleaved), sequential added latency (p50 vs direct), and one long stream's wall time, each against
 * bare and the unmodified baseline copy; plus bare with one change at a time (bench/bare-probe.ts; skip with
 * `--no-probes`). Writes bench/.work/experiments.md. Does not touch src/.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { BODY, type Contender, configureMock, FETCH_CAP_ENV, startMock } from "./lib/contenders.ts";
import { createLoadGen, type LoadResult } from "./lib/load.ts";
import { BUN, CPU, DENO, killAllSync, ROOT, run, start, stopAll } from "./lib/proc.ts";
import { table } from "./lib/report.ts";
import { fmt, fmtDelta, fmtSummary, median, pairwise, percentile, summarize } from "./lib/stats.ts";
import { materialize, VARIANTS } from "./lib/variants.ts";
import { runClient } from "./sections/sequential.ts";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? fallback : argv[i + 1] ?? fallback;
};
const SECONDS = Number(flag("--seconds", "3"));
const ROUNDS = Number(flag("--rounds", "2"));
const BIG_MB = Number(flag("--big-mb", "20"));
const ONLY = argv.includes("--only") ? flag("--only", "").split(",") : null;
const LEVELS = [16, 64];
/** Skip the socket measurements: only CPU µs per request in-process (bench/child/request-cost.ts). */
const IN_PROCESS_ONLY = argv.includes("--in-process-only");
const COST_N = Number(flag("--cost-n", "15000"));
/** Only the long stream (issue 25's stream-path options): no in-process cost, no wrk, no sequential run. */
const BIG_ONLY = argv.includes("--big-only");
/** Run the variants on Deno (`deno run -A --unstable-no-legacy-abort`, as bench/run.ts's Deno contender). */
const ON_DENO = argv.includes("--deno");

process.on("exit", killAllSync);
process.on("SIGINT", () => process.exit(130));

const work = `${ROOT}bench/.work/variants`;
mkdirSync(work, { recursive: true });
const gen = createLoadGen({});
const mock = await startMock(`${ROOT}bench/.work`);
const AUTH = { "authorization": "Bearer sk-bench-0123456789abcdef", "content-type": "application/json" };
const chat = "/v1/chat/completions";
const bare = await start({
  name: "bare",
  cmd: BUN,
  args: ["bench/bare-proxy.ts", "--upstream", mock.url],
  cpu: CPU.proxy,
  log: `${ROOT}bench/.work/bare-x.log`,
  env: FETCH_CAP_ENV,
  ready: /listening on (http:\/\/[\w.:]+)/,
});
const targets: (Contender & { what: string })[] = [
  { key: "direct", label: "direct", what: "the mock", endpoint: mock.url + chat, headers: AUTH, proc: null },
  { key: "bare", label: "bare", what: "bench/bare-proxy.ts", endpoint: bare.url + chat, headers: AUTH, proc: bare },
];
const stale: string[] = [];
/** `--with NAME`: that variant's patches added to every chosen one (baseline too), e.g. `--with no-meter` to price
 * stream wrappers without the meter's constant share. */
const WITH = argv.includes("--with") ? VARIANTS.find((v) => v.name === flag("--with", "")) : undefined;
if (argv.includes("--with") && WITH === undefined) throw new Error(`--with: no variant ${flag("--with", "")}`);
const chosen = VARIANTS.filter((v) => (ONLY === null || v.name === "baseline" || ONLY.includes(v.name)) && v !== WITH)
  .map((v) => WITH ? { ...v, what: `${v.what} + ${WITH.name}`, patches: [...WITH.patches, ...v.patches] } : v);
const dirs = new Map<string, string>();
for (const v of chosen) {
  const dir = materialize(v, work);
  if (typeof dir === "string") dirs.set(v.name, dir);
  else stale.push(`${v.name} (${dir.stale})`);
}

/** CPU µs per request in-process, no sockets: median of the child's rounds, for Kestrel and for bare. */
interface Cost {
  kestrel: number;
  /** The main thread's share (the event loop). */
  kestrelMain: number;
  bare: number;
}
const costs: Record<string, Record<"json" | "stream", Cost>> = {};
for (const v of chosen.filter((v) => dirs.has(v.name) && !BIG_ONLY)) {
  costs[v.name] = { json: { kestrel: NaN, kestrelMain: NaN, bare: NaN }, stream: { kestrel: NaN, kestrelMain: NaN, bare: NaN } };
  for (const kind of ["json", "stream"] as const) {
    const out = await run(CPU.proxy, BUN, ["bench/child/request-cost.ts", `${dirs.get(v.name)}/src`, String(COST_N), kind]);
    const rounds = (JSON.parse(out) as { rounds: Cost[] }).rounds;
    costs[v.name]![kind] = {
      kestrel: median(rounds.map((r) => r.kestrel)),
      kestrelMain: median(rounds.map((r) => r.kestrelMain)),
      bare: median(rounds.map((r) => r.bare)),
    };
  }
}
const costRows = chosen.filter((v) => costs[v.name]).map((v) => {
  const c = costs[v.name]!;
  const b = costs.baseline;
  const delta = (x: number, y: number | undefined) => (y === undefined || v.name === "baseline" ? "" : fmt(x - y, 1));
  return [
    `\`${v.name}\``,
    v.what,
    fmt(c.json.kestrel, 1),
    delta(c.json.kestrel, b?.json.kestrel),
    fmt(c.json.kestrelMain, 1),
    fmt(c.stream.kestrel, 1),
    delta(c.stream.kestrel, b?.stream.kestrel),
    fmt(c.stream.kestrelMain, 1),
  ];
});
const bareCost = costs.baseline ?? Object.values(costs)[0];
const costMd = [
  `CPU µs per request in one process, no sockets (bench/child/request-cost.ts, ${COST_N.toLocaleString("en-US")} requests × 3`,
  "rounds, 64 in flight, median): the request path from `serve()` with an in-memory upstream, records committed to",
  `SQLite and logged to /dev/null. Bare handler for scale: ${fmt(bareCost?.json.bare ?? NaN, 1)} µs (JSON),`,
  `${fmt(bareCost?.stream.bare ?? NaN, 1)} µs (12-event stream).`,
  "",
  table(["variant", "what changes", "JSON µs", "Δ vs baseline", "of which main thread", "stream µs", "Δ vs baseline", "of which main thread"], costRows),
].join("\n");
console.log(costMd);
if (IN_PROCESS_ONLY) {
  writeFileSync(`${ROOT}bench/.work/experiments.md`, costMd + "\n");
  process.exit(0);
}

for (const v of chosen.filter((v) => dirs.has(v.name))) {
  const dir = dirs.get(v.name)!;
  const proc = await start({
    name: v.name,
    cmd: ON_DENO ? DENO : BUN,
    args: [...(ON_DENO ? ["run", "-A", "--unstable-no-legacy-abort", `${dir}/src/entry/deno.ts`] : [`${dir}/src/entry/bun.ts`]), "serve", "--port", "0", "--db", `${dir}/k.db`, "--upstream", `openai=${mock.url}`],
    cpu: CPU.proxy,
    log: `${dir}/kestrel.log`,
    env: FETCH_CAP_ENV,
    ready: /listening on (http:\/\/[\w.:]+)/,
  });
  targets.push({ key: v.name, label: v.name, what: v.what, endpoint: `${proc.url}/openai${chat}`, headers: AUTH, proc });
}
/** Bare with one change (bench/bare-probe.ts): prices single decisions without Kestrel around them. */
const PROBES: [string, string][] = [
  ["wrap", "bare + `new Response(up.body, init)`"],
  ["pull", "bare + JS pull stream around up.body"],
  ["buffer", "bare + await arrayBuffer() → Response(bytes)"],
  ["ctrl", "bare + own AbortController"],
  ["readbody", "bare + request body read first (as Kestrel)"],
  ["readbody,buffer", "readbody + buffered response"],
  ["readbody,pull", "readbody + pull stream"],
];
if (!argv.includes("--no-probes")) {
  for (const [flags, what] of PROBES) {
    const proc = await start({
      name: `probe-${flags}`,
      cmd: BUN,
      args: ["bench/bare-probe.ts", "--upstream", mock.url],
      cpu: CPU.proxy,
      log: `${work}/probe-${flags}.log`,
      env: { ...FETCH_CAP_ENV, FLAGS: flags },
      ready: /listening on (http:\/\/[\w.:]+)/,
    });
    targets.push({ key: `bare+${flags.replace(",", "+")}`, label: flags, what, endpoint: proc.url + chat, headers: AUTH, proc });
  }
}
const proxies = targets.filter((t) => t.key !== "direct");
console.log(`${proxies.length - 1} variants + bare; ${gen.version}; ${ROUNDS} rounds × ${SECONDS} s per level`);
if (stale.length) console.log(`stale (src changed, not measured): ${stale.join("; ")}`);

await configureMock(mock, { events: 12, gapMs: 0, streamBytes: 0 });
const job = (t: Contender, connections: number, seconds: number) => ({
  url: t.endpoint,
  headers: t.headers,
  body: BODY.json,
  connections,
  seconds,
});
if (!BIG_ONLY) for (const t of proxies) await gen.run(job(t, 16, 1));
const rps: Record<string, Record<number, LoadResult[]>> = {};
for (const t of proxies) rps[t.key] = Object.fromEntries(LEVELS.map((l) => [l, []]));
for (let r = 0; r < (BIG_ONLY ? 0 : ROUNDS); r++) {
  for (const level of LEVELS) {
    const order = proxies.map((_, i) => proxies[(i + r) % proxies.length]!);
    for (const t of order) rps[t.key]![level]!.push(await gen.run(job(t, level, SECONDS)));
  }
}

const seq = BIG_ONLY ? [] : await runClient(targets, BODY.json, { rounds: 3, perRound: 100, warmup: 10, expectUsage: false });
await configureMock(mock, { streamBytes: BIG_MB * 1e6 });
const big = await runClient(proxies, BODY.stream, { rounds: BIG_ONLY ? ROUNDS : 3, perRound: 1, warmup: 1, expectUsage: true });
await configureMock(mock, { streamBytes: 0 });
await stopAll();
// The variants' databases grow by hundreds of MB; their logs stay for inspection.
for (const dir of dirs.values()) for (const f of ["k.db", "k.db-wal", "k.db-shm"]) rmSync(`${dir}/${f}`, { force: true });

const series = (key: string, level: number) => rps[key]![level]!.map((x) => x.rps);
const ratio = (a: number[], b: number[]) => summarize(pairwise(a, b, (x, y) => x / y));
const added = (key: string) =>
  summarize(seq.map((round) => percentile(round[key]!.map((s) => s.ttlb), 50) - median(round.direct!.map((s) => s.ttlb))));
const wall = (key: string) => big.map((round) => round[key]![0]!.ttlb);
if (BIG_ONLY) {
  const bigRows = proxies.map((t) => [
    `\`${t.key}\``,
    t.what,
    fmtSummary(summarize(wall(t.key)), 0),
    fmtSummary(ratio(wall(t.key), wall("bare")), 2, "×"),
    t.key === "bare" || t.key === "baseline" ? "" : fmtSummary(ratio(wall(t.key), wall("baseline")), 2, "×"),
  ]);
  const bigMd = [
    `Long stream only: ${BIG_MB} MB SSE through each variant of src/ on ${ON_DENO ? "Deno" : `Bun ${process.versions.bun ?? ""}`}`,
    `(bare is bench/bare-proxy.ts on Bun), pinned to cpu${CPU.proxy}; ${ROUNDS} rounds, contenders interleaved in each round.`,
    "",
    table(["variant", "what changes", `${BIG_MB} MB stream ms`, "× bare", "× baseline"], bigRows),
    stale.length ? `\nStale variants (src changed): ${stale.join("; ")}` : "",
  ].join("\n");
  console.log(bigMd);
  writeFileSync(`${ROOT}bench/.work/experiments.md`, bigMd + "\n");
  process.exit(0);
}
const rows = proxies.map((t) => [
  `\`${t.key}\``,
  t.what,
  ...LEVELS.flatMap((l) => [
    fmtSummary(summarize(series(t.key, l)), 0),
    fmtSummary(ratio(series(t.key, l), series("bare", l)), 2, "×"),
    t.key.startsWith("bare") || t.key === "baseline" || !rps.baseline ? "" : fmtSummary(ratio(series(t.key, l), series("baseline", l)), 2, "×"),
  ]),
  fmtDelta(added(t.key), 3),
  fmtSummary(summarize(wall(t.key)), 0),
  fmtSummary(ratio(wall(t.key), wall("bare")), 2, "×"),
]);
const md = [
  costMd,
  "",
  `Variants of src/ (bench/lib/variants.ts), each Kestrel from source on Bun ${process.versions.bun ?? ""} pinned to`,
  `cpu${CPU.proxy}; ${gen.version}, ${ROUNDS} rounds × ${SECONDS} s per level, rotated order; sequential: 3 × 100`,
  `non-streaming requests interleaved; long stream: ${BIG_MB} MB SSE, 3 rounds.`,
  "",
  table([
    "variant",
    "what changes",
    ...LEVELS.flatMap((l) => [`rps c=${l}`, "× bare", "× baseline"]),
    "seq. added p50",
    `${BIG_MB} MB stream ms`,
    "× bare",
  ], rows),
  stale.length ? `\nStale variants (src changed): ${stale.join("; ")}` : "",
].join("\n");
console.log(md);
writeFileSync(`${ROOT}bench/.work/experiments.md`, md + "\n");
console.log(`\nwrote bench/.work/experiments.md (${fmt(performance.now() / 1000, 0)} s)`);
process.exit(0);
