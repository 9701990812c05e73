/**
 * @module `kestrel reconcile`: pull the providers' usage and cost reports (admin keys from OPENAI_ADMIN_KEY /
 * ANTHROPIC_ADMIN_KEY), store them, and compare them with Kestrel's records (docs/architecture.md §19).
 */
import { ConfigError, parseConfig } from "../config.ts";
import { describeError } from "../redact.ts";
import { dayRange } from "../reconcile/days.ts";
import { renderCsv, renderJson, renderTable } from "../reconcile/format.ts";
import { DEFAULT_TOLERANCE, parseTolerance } from "../reconcile/report.ts";
import { adminClients, ADMIN, compare, DEFAULT_WINDOW_DAYS, daysToPull, pullDays, storedProviders } from "../reconcile/run.ts";
import { isReconciled, RECONCILED, type ReconciledProvider } from "../reconcile/types.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { loadPricer, takePricesFlag } from "./prices.ts";
import { parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";

export const RECONCILE_HELP =
  `Usage: kestrel reconcile [--provider openai|anthropic] [--since 7d] [--until DATE] [--format table|json|csv] [--db PATH | --store URL]
  Pulls the providers' usage and cost reports (the last --window days again every time, plus days never pulled),
  stores them, and compares them with Kestrel's records per day, model and key.
  Admin keys: OPENAI_ADMIN_KEY, ANTHROPIC_ADMIN_KEY (never logged). The admin API is asked at the provider's
  --upstream NAME=URL / KESTREL_UPSTREAM_<NAME> / config "upstream" origin when one is set.
  --window N          days re-pulled every run, today included (default ${DEFAULT_WINDOW_DAYS})
  --no-fetch          compare what is stored, pull nothing
  --tolerance-usd X   a row matches when money differs by at most X USD (default ${DEFAULT_TOLERANCE.usd})…
  --tolerance-pct P   …or by at most P percent; tokens by at most P percent (default ${DEFAULT_TOLERANCE.percent})
  --prices FILE       price overrides, as for serve
`;

const FORMATS = ["table", "json", "csv"] as const;

export interface ReconcileDeps {
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
  fetch: typeof globalThis.fetch;
}

/** `--upstream` and `--config` out of the arguments: parseConfig gives them the same precedence as serve. */
function takeConfigFlags(args: readonly string[]): { config: string[]; rest: string[] } {
  const config: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const name = /^--(upstream|config)(=|$)/.exec(arg);
    if (name === null) rest.push(arg);
    else if (name[2] === "=") config.push(arg);
    else config.push(arg, args[++i] ?? "");
  }
  return { config, rest };
}

export async function runReconcile(args: string[], io: CommandIo, deps: ReconcileDeps): Promise<number> {
  const fail = (message: string, code = EXIT_USAGE) => (io.err(`kestrel reconcile: ${message}\n`), code);
  let upstreams: Readonly<Record<string, string>>;
  let pricer;
  let rest: string[];
  try {
    const taken = takeConfigFlags(args);
    const prices = takePricesFlag(taken.rest, deps.env);
    rest = prices.rest;
    upstreams = parseConfig({ args: taken.config, env: deps.env, readFile: deps.readFile }).upstreams;
    pricer = loadPricer(prices.file, deps.readFile);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
  const flags = parseFlags(rest, {
    provider: "value", since: "value", until: "value", format: "value", window: "value", "no-fetch": "switch",
    "tolerance-usd": "value", "tolerance-pct": "value", db: "value", store: "value",
  });
  if (!flags.ok) return fail(flags.message);
  const values = flags.value.values;
  if (flags.value.help) return (io.out(RECONCILE_HELP), EXIT_OK);
  const only = values.get("provider") ?? null;
  if (only !== null && !isReconciled(only)) return fail(`Invalid --provider ${JSON.stringify(only)}: use one of ${RECONCILED.join(", ")}`);
  const format = values.get("format") ?? "table";
  if (!(FORMATS as readonly string[]).includes(format)) return fail(`Invalid --format ${JSON.stringify(format)}: use one of ${FORMATS.join(", ")}`);
  const windowText = values.get("window") ?? String(DEFAULT_WINDOW_DAYS);
  if (!/^[1-9]\d{0,2}$/.test(windowText)) return fail(`Invalid --window ${JSON.stringify(windowText)}: use a whole number of days from 1 to 999`);
  const tolerance = parseTolerance(values.get("tolerance-usd") ?? DEFAULT_TOLERANCE.usd, values.get("tolerance-pct") ?? DEFAULT_TOLERANCE.percent);
  if (typeof tolerance === "string") return fail(tolerance);
  const now = io.now();
  const range = dayRange(values.get("since"), values.get("until"), now);
  if (!range.ok) return fail(range.message.replace(/^Invalid (since|until)\b/, "Invalid --$1"));
  const { fromDay, toDay } = range;

  const opened = await openForCommand(flags.value, io, "reconcile");
  if (!opened.ok) return fail(opened.message, EXIT_FAILED);
  const { store } = opened;
  let failed = false;
  try {
    const clients = flags.value.switches.has("no-fetch") ? [] : adminClients(deps.env, upstreams, deps.fetch, only as ReconciledProvider | null);
    const notes: Partial<Record<ReconciledProvider, string[]>> = {};
    for (const client of clients) {
      try {
        const [start, end] = await daysToPull(store, client.provider, fromDay, toDay, now, Number(windowText));
        notes[client.provider] = await pullDays(client, store, start, end, now);
      } catch (err) {
        failed = true;
        io.err(`kestrel reconcile: ${describeError(err)}\n`);
        notes[client.provider] = [`pull failed, stored rows shown: ${describeError(err)}`];
      }
    }
    const stored = await storedProviders(store, fromDay, toDay);
    const providers = RECONCILED.filter((p) => (only === null || p === only) && (stored.includes(p) || clients.some((c) => c.provider === p)));
    if (only !== null && providers.length === 0) {
      return fail(`Nothing stored for ${only} in this range and ${ADMIN[only as ReconciledProvider].env} is not set`, EXIT_FAILED);
    }
    if (providers.length === 0) {
      return fail(`Nothing to reconcile: set ${RECONCILED.map((p) => ADMIN[p].env).join(" or ")} (see README "Reconcile with your bill")`, EXIT_FAILED);
    }
    const report = await compare({ store, pricer, providers, fromDay, toDay, tolerance, now, notes });
    io.out(format === "json" ? renderJson(report) : format === "csv" ? renderCsv(report) : renderTable(report));
    return failed ? EXIT_FAILED : EXIT_OK;
  } catch (err) {
    return fail(`Cannot reconcile: ${describeError(err)}`, EXIT_FAILED);
  } finally {
    await store.close();
  }
}
