/** @module argv → serve | usage | export | reprice | reconcile | prices | budgets | rate-limits | keys | provider-keys | check-config | health | --help | --version. Runtime calls go through `Runtime`. */
import { ConfigError, flagName, OPTIONS, StartupError } from "./config.ts";
import type { CommandIo } from "./commands/io.ts";
import { redact } from "./redact.ts";
import type { Runtime } from "./runtime.ts";
import { VERSION } from "./version.ts";

// Each command's modules load when it runs (in the binary, a chunk each: docs/architecture.md §16): `--version`
// never parses the server, `serve` never parses the reports.

const HELP = `Kestrel — a transparent AI-API gateway that meters every response into exact tokens and cost.

Usage:
  kestrel [serve] [options]     start the gateway (default)
  kestrel usage [options]       usage report from the database (--since 7d --group-by model --format table|json|csv)
  kestrel export [options]      export records (--format csv|json|ndjson --since 30d --out FILE)
  kestrel reprice [options]     recompute stored costs with the current price table (--since …)
  kestrel prices [MODEL]        effective prices and where each came from (--prices FILE)
  kestrel reconcile [options]   compare with the providers' own usage and cost reports (--provider openai --since 7d)
  kestrel budgets …             spend budgets: list | set ID --window month --limit-usd 50 --scope project=a | rm ID
  kestrel rate-limits …         rate limits: list | set ID --scope user=alice --rpm 60 --tpm 100000 | rm ID
  kestrel keys …                Kestrel keys: list | create NAME | show | disable | enable | rotate | rm ID
  kestrel provider-keys …       provider secrets, encrypted in the store: list | set P --from-env VAR | rm P | rotate-master
  kestrel check-config [options] the configuration serve would use, where each value came from (secrets masked)
  kestrel health [--url URL]    exit 0 when a running Kestrel answers /health (container health checks)
  kestrel --version | --help

Serve options (flag > environment > --config file > default):
${OPTIONS.map((o) => `  --${flagName(o.key).padEnd(20)} ${o.env.padEnd(28)} ${o.help}${shownDefault(o.key, o.fallback)}`).join("\n")}
  --upstream NAME=URL    KESTREL_UPSTREAM_<NAME>      send provider NAME to another scheme://host[:port], path mapping kept
  --alert-webhook URL    KESTREL_ALERT_WEBHOOK        POST spend alerts as JSON to URL (repeatable; the variable comma-separated)
  --config FILE          KESTREL_CONFIG               JSON file with the same keys ("port": 8080, "upstream": {"openai": "…"}),
                                                      plus "budgets", "rate_limits" and "alerts" (see README)
`;

/** Defaults as a user would type them: `10s`, `on`. */
function shownDefault(key: string, value: unknown): string {
  if (value === null) return "";
  if (typeof value === "boolean") return ` (default ${value ? "on" : "off"})`;
  if (key.endsWith("Ms") && typeof value === "number") return ` (default ${value / 1000}s)`;
  return ` (default ${value})`;
}

function commandIo(rt: Runtime): CommandIo {
  return {
    openDb: (path, options) => rt.openDb(path, options),
    out: (text) => rt.writeOutSync(text),
    err: (text) => rt.writeErr(text),
    now: () => Date.now(),
    writeFile: (path, chunk, append) => rt.writeTextFile(path, chunk, append),
    defaultDb: rt.env.KESTREL_DB || "./kestrel.db",
    ...(rt.env.KESTREL_STORE ? { defaultStore: rt.env.KESTREL_STORE } : {}),
  };
}

export async function main(rt: Runtime): Promise<void> {
  const [first, ...rest] = rt.args;
  const out = (text: string) => rt.writeOut(new TextEncoder().encode(text));
  try {
    switch (first) {
      case "--help":
      case "-h":
      case "help":
        await out(HELP);
        return rt.exit(0);
      case "--version":
      case "-v":
      case "version":
        await out(`kestrel ${VERSION} (${rt.name} ${rt.version})\n${(await import("./pricing/version.ts")).priceVersionLine()}\n`);
        return rt.exit(0);
      case "usage":
        return rt.exit(await (await import("./commands/usage.ts")).runUsage(rest, commandIo(rt)));
      case "export":
        return rt.exit(await (await import("./commands/export.ts")).runExport(rest, commandIo(rt)));
      case "reprice": {
        const [{ loadPricer, takePricesFlag }, { runReprice }] = await Promise.all([import("./commands/prices.ts"), import("./commands/reprice.ts")]);
        const { file, rest: args } = takePricesFlag(rest, rt.env);
        return rt.exit(await runReprice(args, commandIo(rt), loadPricer(file, (p) => rt.readTextFile(p))));
      }
      case "reconcile":
        return rt.exit(
          await (await import("./commands/reconcile.ts")).runReconcile(rest, commandIo(rt), { env: rt.env, readFile: (p) => rt.readTextFile(p), fetch: rt.fetch ?? globalThis.fetch }),
        );
      case "prices":
        return rt.exit(await (await import("./commands/prices.ts")).runPrices(rest, commandIo(rt), (path) => rt.readTextFile(path), rt.env));
      case "budgets":
        return rt.exit(await (await import("./commands/budgets.ts")).runBudgets(rest, commandIo(rt)));
      case "rate-limits":
        return rt.exit(await (await import("./commands/budgets.ts")).runRateLimits(rest, commandIo(rt)));
      case "keys":
        return rt.exit(await (await import("./commands/keys.ts")).runKeys(rest, commandIo(rt)));
      case "provider-keys":
        return rt.exit(await (await import("./commands/provider-keys.ts")).runProviderKeys(rest, commandIo(rt), { env: rt.env, readFile: (p) => rt.readTextFile(p) }));
      case "check-config":
        return rt.exit(await (await import("./commands/check-config.ts")).runCheckConfig(rest, commandIo(rt), rt.env, (p) => rt.readTextFile(p)));
      case "health":
        return rt.exit(await (await import("./commands/health.ts")).runHealth(rest, commandIo(rt), rt.env, globalThis.fetch));
      case "serve":
        return await (await import("./serve.ts")).serve(rt, rest);
      default:
        return await (await import("./serve.ts")).serve(rt, rt.args);
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      rt.writeErr(`kestrel: ${redact(err.message)}\n`); // a bad --upstream can quote a URL with userinfo
      return rt.exit(err instanceof ConfigError ? 2 : 1);
    }
    throw err;
  }
}
