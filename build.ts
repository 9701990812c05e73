/**
 * Builds the single executable: `bun build.ts` → dist/kestrel (bun build --compile, minified, with a source map).
 *   --target bun-linux-arm64|bun-linux-x64-musl|bun-darwin-arm64|…   another platform (downloads its base binary
 *                                                                   from the npm registry: needs network)
 *   --outfile PATH                                                  where to write it
 *   --deno                                                          `deno compile` instead (downloads denort from
 *                                                                   Deno's servers: needs network, untested offline)
 * The dashboard module (src/dashboard/assets.gen.ts) must match src/dashboard/ (`npm run build` regenerates it first). The version is package.json's plus the git short commit. After a host build the binary is smoke-run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? null : args[i + 1] ?? null;
};
const target = option("--target");
const deno = args.includes("--deno");
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

if (deno) {
  run(`${bin}/deno`, ["compile", "-A", "--unstable-no-legacy-abort", "--no-check", "--output", outfile, "src/entry/deno.ts"]);
} else {
  run(`${bin}/bun`, [
    "build",
    "--compile",
    "--minify",
    "--sourcemap",
    `--define`,
    `KESTREL_COMMIT=${JSON.stringify(commit)}`,
    ...(target ? [`--target=${target}`] : []),
    "src/entry/bun.ts",
    "--outfile",
    outfile,
  ]);
}
if (!target) process.stdout.write(run(outfile, ["--version"]));
console.log(`built ${outfile} (${commit})`);
