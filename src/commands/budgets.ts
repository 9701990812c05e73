/** @module `kestrel budgets …` and `kestrel rate-limits …`: spend-control definitions in the store (SQLite or PostgreSQL). */
import { DefinitionError, parseBudget, parseRateLimit } from "../control/definitions.ts";
import type { Budget, RateLimit, Scope } from "../control/types.ts";
import type { Store } from "../store/store.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { type FlagKind, type Flags, parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";

export const BUDGETS_HELP = `Usage: kestrel budgets list [--format table|json] [--db PATH | --store URL]
       kestrel budgets set ID --window month --limit-usd 50 [--scope project=team-a] [--limit-tokens N]
                              [--action block|alert] [--alert-at 0.5,0.8,1] [--timezone Europe/Paris]
                              [--unpriced allow|block] [--db PATH | --store URL] [--create]
       kestrel budgets rm ID [--db PATH | --store URL]
  set replaces the whole definition (flags not given take their defaults); a running server picks it up within 2 s.
  --create   start a new store when none is there yet (otherwise a wrong --db or --store is refused)
  --scope    KEY=VALUE[,KEY=VALUE] (repeatable): key_id, user, project, provider, model, kestrel_key, tag; none = everything
  --window   day | week | month | total | a rolling length: 90m, 24h, 7d
`;

export const RATE_LIMITS_HELP = `Usage: kestrel rate-limits list [--format table|json] [--db PATH | --store URL]
       kestrel rate-limits set ID [--scope user=alice] [--rpm N] [--tpm N] [--db PATH | --store URL] [--create]
       kestrel rate-limits rm ID [--db PATH | --store URL]
  Requests (rpm) and tokens (tpm) per minute, sliding; set replaces the whole definition.
  --create   start a new store when none is there yet (otherwise a wrong --db or --store is refused)
  --scope    KEY=VALUE[,KEY=VALUE] (repeatable): key_id, user, project, provider, model, kestrel_key, tag; none = everything
`;

/** What differs between the two commands. */
interface Kind<T extends { id: string; scope: Scope }> {
  command: string;
  noun: string;
  help: string;
  setFlags: Readonly<Record<string, FlagKind>>;
  /** Flag values → the JSON the parser reads (only what was given: the parser fills in defaults). */
  fromFlags(values: Map<string, string>): Record<string, unknown>;
  parse(value: unknown): T;
  list(store: Store): Promise<T[]>;
  put(store: Store, value: T): Promise<void>;
  remove(store: Store, id: string): Promise<boolean>;
  columns: readonly [header: string, cell: (v: T) => string][];
}

/** `"12"` → 12; anything else is passed through for the parser to refuse with its field name. */
const integer = (v: string): unknown => (/^\d+$/.test(v) ? Number(v) : v);

const scopeText = (scope: Scope) =>
  Object.entries(scope).map(([k, v]) => `${k}=${v}`).join(",") || "(all)";
const orDash = (v: string | number | null) => (v === null ? "-" : String(v));

const BUDGET_KIND: Kind<Budget> = {
  command: "budgets",
  noun: "budget",
  help: BUDGETS_HELP,
  setFlags: {
    window: "value",
    "limit-usd": "value",
    "limit-tokens": "value",
    action: "value",
    "alert-at": "value",
    timezone: "value",
    unpriced: "value",
  },
  fromFlags(values) {
    const out: Record<string, unknown> = {};
    const copy = (flag: string, field: string, convert: (v: string) => unknown = (v) => v) => {
      const v = values.get(flag);
      if (v !== undefined) out[field] = convert(v);
    };
    copy("window", "window");
    copy("limit-usd", "limit_usd");
    copy("limit-tokens", "limit_tokens", integer);
    copy("action", "action");
    copy("alert-at", "alert_at", (v) => v.split(",").map((x) => (x.trim() !== "" && Number.isFinite(Number(x)) ? Number(x) : x)));
    copy("timezone", "timezone");
    copy("unpriced", "unpriced");
    return out;
  },
  parse: parseBudget,
  list: (store) => store.control.listBudgets(),
  put: (store, b) => store.control.putBudget(b),
  remove: (store, id) => store.control.deleteBudget(id),
  columns: [
    ["id", (b) => b.id],
    ["scope", (b) => scopeText(b.scope)],
    ["window", (b) => b.window],
    ["limit USD", (b) => orDash(b.limit_usd)],
    ["limit tokens", (b) => orDash(b.limit_tokens)],
    ["action", (b) => b.action],
    ["alert at", (b) => b.alert_at.join(",") || "-"],
    ["timezone", (b) => b.timezone],
    ["unpriced", (b) => b.unpriced],
  ],
};

const RATE_LIMIT_KIND: Kind<RateLimit> = {
  command: "rate-limits",
  noun: "rate limit",
  help: RATE_LIMITS_HELP,
  setFlags: { rpm: "value", tpm: "value" },
  fromFlags(values) {
    const out: Record<string, unknown> = {};
    for (const key of ["rpm", "tpm"]) {
      const v = values.get(key);
      if (v !== undefined) out[key] = integer(v);
    }
    return out;
  },
  parse: parseRateLimit,
  list: (store) => store.control.listRateLimits(),
  put: (store, l) => store.control.putRateLimit(l),
  remove: (store, id) => store.control.deleteRateLimit(id),
  columns: [
    ["id", (l) => l.id],
    ["scope", (l) => scopeText(l.scope)],
    ["rpm", (l) => orDash(l.rpm)],
    ["tpm", (l) => orDash(l.tpm)],
  ],
};

/** Control characters in a stored value would break alignment or the terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function renderTable<T>(rows: readonly T[], columns: Kind<{ id: string; scope: Scope }>["columns"]): string {
  const cells = rows.map((r) => columns.map(([, cell]) => cell(r as never).replace(CONTROL, "?")));
  const header = columns.map(([h]) => h);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i] as number)).join("  ").trimEnd() + "\n";
  return line(header) + cells.map(line).join("");
}

/** `--scope` may repeat (parseFlags keeps only the last value), so its values are taken out first. */
function takeScopes(args: readonly string[]): { scopes: string[]; rest: string[] } {
  const scopes: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--scope") {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("--")) throw new DefinitionError("scope", "Flag \"--scope\" needs a value");
      scopes.push(next);
      i++;
    } else if (arg.startsWith("--scope=")) scopes.push(arg.slice("--scope=".length));
    else rest.push(arg);
  }
  return { scopes, rest };
}

function scopeFromFlags(values: readonly string[]): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const pair of values.flatMap((v) => v.split(","))) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new DefinitionError("scope", `Invalid --scope ${JSON.stringify(pair)}: use KEY=VALUE`);
    scope[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return scope;
}

/** A parser field (`limit_tokens`, `scope.team`) → the flag that set it, for the one-line error. */
const flagOf = (field: string) => `--${field.split(".")[0]!.replaceAll("_", "-")}`;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const runBudgets = (args: string[], io: CommandIo) => run(BUDGET_KIND, args, io);
export const runRateLimits = (args: string[], io: CommandIo) => run(RATE_LIMIT_KIND, args, io);

async function run<T extends { id: string; scope: Scope }>(kind: Kind<T>, args: string[], io: CommandIo): Promise<number> {
  const prefix = `kestrel ${kind.command}`;
  const fail = (message: string) => (io.err(`${prefix}: ${message}\n`), EXIT_USAGE);
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
    io.out(kind.help);
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (sub !== "list" && sub !== "set" && sub !== "rm") {
    return fail(`Unknown subcommand ${JSON.stringify(sub)}: use list, set or rm`);
  }
  let id: string | null = null;
  if (sub !== "list") {
    id = rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift() as string : null;
    if (id === null && !rest.includes("--help") && !rest.includes("-h")) return fail(`${sub} needs an ID`);
  }

  let scopes: string[] = [];
  let flagArgs = rest;
  if (sub === "set") {
    try {
      ({ scopes, rest: flagArgs } = takeScopes(rest));
    } catch (err) {
      return fail(messageOf(err));
    }
  }
  const spec: Record<string, FlagKind> = { db: "value", store: "value", ...(sub === "list" ? { format: "value" } : {}) };
  const flags = parseFlags(flagArgs, sub === "set" ? { ...spec, ...kind.setFlags, create: "switch" } : spec);
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(kind.help), EXIT_OK);
  const format = flags.value.values.get("format") ?? "table";
  if (format !== "table" && format !== "json") return fail(`Invalid --format ${JSON.stringify(format)}: use table or json`);

  let definition: T | null = null;
  if (sub === "set") {
    try {
      definition = kind.parse({ id, ...kind.fromFlags(flags.value.values), scope: scopeFromFlags(scopes) });
    } catch (err) {
      if (err instanceof DefinitionError) return fail(`Invalid ${flagOf(err.field)}: ${err.message}`);
      throw err;
    }
  }

  // `set --create` may start the store (definitions written before the server first starts); without it a wrong
  // --db or --store is refused rather than "saved" where no server reads.
  const creatable = sub === "set";
  const create = creatable && flags.value.switches.has("create");
  const opened = await openForCommand(flags.value, io, kind.command, { create, creatable });
  if (!opened.ok) return (io.err(`${prefix}: ${opened.message}\n`), EXIT_FAILED);
  const { store, path } = opened;
  try {
    if (sub === "list") {
      const all = await kind.list(store);
      const key = kind.command.replace("-", "_");
      if (format === "json") io.out(JSON.stringify({ [key]: all }, null, 2) + "\n");
      else io.out(all.length === 0 ? `No ${kind.noun}s defined\n` : renderTable(all, kind.columns as never));
    } else if (sub === "set") {
      await kind.put(store, definition as T);
      io.out(`Saved ${kind.noun} ${JSON.stringify(id)}: ${JSON.stringify(definition)}\n`);
    } else {
      if (!(await kind.remove(store, id as string))) {
        io.err(`${prefix}: No ${kind.noun} ${JSON.stringify(id)} in ${JSON.stringify(path)}\n`);
        return EXIT_FAILED;
      }
      io.out(`Removed ${kind.noun} ${JSON.stringify(id)}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    io.err(`${prefix}: Cannot ${sub} in ${JSON.stringify(path)}: ${messageOf(err)}\n`);
    return EXIT_FAILED;
  } finally {
    await store.close();
  }
}
