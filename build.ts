/**
 * Builds the single executable: `bun build.ts` → dist/kestrel (bun build --compile, minified, with a source map).
 *   --target bun-linux-arm64|bun-linux-x64-musl|bun-darwin-arm64|…   another platform (downloads its base binary
 *                                                                   from the npm registry: needs network)
 *   --outfile PATH                                                  where to write it
 *   --deno                                                          `deno compile` instead (downloads denort from
 *                                                                   Deno's servers: needs network, untested offline)
 *   --release [--outdir DIR]                                        every platform in RELEASE_TARGETS into dist/release/
 *                                                                   as kestrel-<version>-<os>-<arch>[.exe], plus SHA256SUMS
 *                                                                   (cross targets need network, as --target)
 * The dashboard module (src/dashboard/assets.gen.ts) must match src/dashboard/ (`npm run build` regenerates it first).
 * The version is package.json's plus the git short commit. After a host build the binary is smoke-run
 * (scripts/smoke.ts: --version, serve, one metered request, SIGTERM).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { COMPILE_FLAGS } from "./scripts/compile-flags.ts";
import { smokeRun } from "./scripts/smoke.ts";

/** Bun target → the release file's platform part; the order is the order of SHA256SUMS. */
export const RELEASE_TARGETS: readonly (readonly [string, string])[] = [
  ["bun-linux-x64", "linux-x64"],
  ["bun-linux-arm64", "linux-arm64"],
  ["bun-linux-x64-musl", "linux-x64-musl"],
  ["bun-darwin-arm64", "darwin-arm64"],
  ["bun-darwin-x64", "darwin-x64"],
  ["bun-windows-x64", "windows-x64"],
];

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? null : args[i + 1] ?? null;
};
const target = option("--target");
const deno = args.includes("--deno");
const release = args.includes("--release");
const outfile = option("--outfile") ?? (deno ? "dist/kestrel-deno" : target ? `dist/kestrel-${target.replace(/^bun-/, "")}` : "dist/kestrel");

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status ?? r.signal})`);
  return r.stdout;
}

// Self-checks: every routed provider has a metering spec and vice versa, and only the Bun entry is bundled.
const { PROVIDER_IDS } = await import("./src/resolve/routes.ts");
const { PROVIDERS } = await import("./src/providers/registry.ts");
const specIds = PROVIDERS.map((p: { id: string }) => p.id).sort();
if (JSON.stringify(specIds) !== JSON.stringify([...PROVIDER_IDS])) {
  throw new Error(`Provider registry ${specIds.join(",")} differs from the routing table ${PROVIDER_IDS.join(",")}`);
}
const entrySource = readFileSync("src/entry/bun.ts", "utf8");
if (entrySource.includes("deno.ts") || entrySource.includes("sqlite-node")) throw new Error("The Bun entry must not import Deno code");
for (const file of readdirSync("src/pricing/data")) {
  if (file.endsWith(".json") && !/"generated"\s*:/.test(readFileSync(`src/pricing/data/${file}`, "utf8"))) {
    throw new Error(`Price data ${file} has no generation date`);
  }
}

let commit = "nogit";
try {
  commit = run("git", ["rev-parse", "--short", "HEAD"]).trim();
} catch {
  // building from an export without .git
}
const bin = "node_modules/.bin";
// The dashboard is embedded as a generated, committed module: a stale one stops the build rather than being rewritten
// here, so a test that runs build.ts cannot hide a stale module from the freshness test (test/routes/dashboard.test.ts).
run(`${bin}/bun`, ["scripts/build-dashboard.ts", "--check"]);

function compile(target: string | null, out: string): void {
  run(`${bin}/bun`, [
    "build",
    "--compile",
    ...COMPILE_FLAGS,
    `--define`,
    `KESTREL_COMMIT=${JSON.stringify(commit)}`,
    ...(target ? [`--target=${target}`] : []),
    "src/entry/bun.ts",
    // The store worker (src/entry/bun.ts starts it by this file's URL) is embedded as an entry point of its own.
    "src/entry/store-worker-bun.ts",
    "--outfile",
    out,
  ]);
}

if (release) {
  const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
  const dir = option("--outdir") ?? "dist/release";
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}/maps`, { recursive: true });
  const host = `${process.platform}-${process.arch}`;
  let sums = "";
  let hostFile: string | null = null;
  for (const [target, platform] of RELEASE_TARGETS) {
    const name = `kestrel-${version}-${platform}${platform.startsWith("windows") ? ".exe" : ""}`;
    compile(target, `${dir}/${name}`);
    // Source maps aside (one per chunk: --splitting), so that dist/release/kestrel-* is exactly what a release publishes.
    mkdirSync(`${dir}/maps/${name}`);
    for (const map of readdirSync(dir).filter((f) => f.endsWith(".map"))) renameSync(`${dir}/${map}`, `${dir}/maps/${name}/${map}`);
    const sha = createHash("sha256").update(readFileSync(`${dir}/${name}`)).digest("hex");
    // Two spaces: the format `sha256sum -c SHA256SUMS` reads.
    sums += `${sha}  ${name}\n`;
    console.log(`${name}  ${statSync(`${dir}/${name}`).size} bytes  ${sha}`);
    if (platform === host) hostFile = `${dir}/${name}`;
  }
  writeFileSync(`${dir}/SHA256SUMS`, sums);
  if (hostFile === null) console.log(`no release target for this host (${host}): smoke run skipped`);
  else console.log(`smoke run ok: ${(await smokeRun(hostFile)).version}`);
} else if (deno) {
  run(`${bin}/deno`, ["compile", "-A", "--unstable-no-legacy-abort", "--no-check", "--include", "src/entry/store-worker-deno.ts", "--output", outfile, "src/entry/deno.ts"]);
  console.log(`built ${outfile} (${commit})`);
} else {
  compile(target, outfile);
  if (!target) console.log(`smoke run ok: ${(await smokeRun(outfile)).version}`);
  console.log(`built ${outfile} (${commit})`);
}
