/**
 * @module `kestrel keys list|create|show|disable|enable|rotate|rm`: Kestrel keys in the store (SQLite or PostgreSQL),
 * the same rules as /api/keys (src/keys/manage.ts). A running server sees a change within a quarter second.
 */
import { createKey, KeyInputError, ownDefinitions, parseSpan, patchKey, rotateKey } from "../keys/manage.ts";
import { type KestrelKey, viewOf } from "../keys/types.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { type FlagKind, parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";

export const KEYS_HELP = `Usage: kestrel keys list [--format table|json] [--db PATH | --store URL]
       kestrel keys create NAME [--user U] [--project P] [--tags a,b] [--models 'gpt-4o*,claude-*']
                               [--providers openai,anthropic] [--expires 90d] [--rpm N] [--tpm N]
                               [--budget-usd 50 --window month] [--allow-attribution-headers] [--db PATH | --store URL]
       kestrel keys show|disable|enable|rm ID [--db PATH | --store URL]
       kestrel keys rotate ID [--grace 24h] [--db PATH | --store URL]
  create and rotate print the secret (ksk_…) once: it is never stored or shown again.
`;

const CREATE_FLAGS: Record<string, FlagKind> = {
  user: "value", project: "value", tags: "value", models: "value", providers: "value", expires: "value", rpm: "value",
  tpm: "value", "budget-usd": "value", window: "value", "allow-attribution-headers": "switch",
};
const SUBCOMMANDS = ["list", "create", "show", "disable", "enable", "rotate", "rm"];
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function table(keys: readonly KestrelKey[]): string {
  const columns: [string, (k: KestrelKey) => string][] = [
    ["id", (k) => k.id],
    ["name", (k) => k.name],
    ["prefix", (k) => k.prefix],
    ["user", (k) => k.user ?? "-"],
    ["project", (k) => k.project ?? "-"],
    ["models", (k) => k.models.join(",") || "(any)"],
    ["providers", (k) => k.providers.join(",") || "(any)"],
    ["expires", (k) => (k.expires_at === null ? "never" : new Date(k.expires_at).toISOString())],
    ["state", (k) => (k.disabled ? "disabled" : "enabled")],
  ];
  const cells = keys.map((k) => columns.map(([, cell]) => cell(k).replace(CONTROL, "?")));
  const header = columns.map(([h]) => h);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd() + "\n";
  return line(header) + cells.map(line).join("");
}

export async function runKeys(args: string[], io: CommandIo, now: () => number = Date.now): Promise<number> {
  const fail = (message: string, code = EXIT_USAGE) => (io.err(`kestrel keys: ${message}\n`), code);
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
    io.out(KEYS_HELP);
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (!SUBCOMMANDS.includes(sub)) return fail(`Unknown subcommand ${JSON.stringify(sub)}: use ${SUBCOMMANDS.join(", ")}`);
  const target = sub !== "list" && rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift()! : null;
  if (sub !== "list" && target === null && !rest.includes("--help")) return fail(`${sub} needs ${sub === "create" ? "a NAME" : "an ID"}`);
  const spec: Record<string, FlagKind> = {
    db: "value",
    store: "value",
    ...(sub === "list" ? { format: "value" } : {}),
    ...(sub === "create" ? CREATE_FLAGS : {}),
    ...(sub === "rotate" ? { grace: "value" } : {}),
  };
  const flags = parseFlags(rest, spec);
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(KEYS_HELP), EXIT_OK);
  const values = flags.value.values;
  const format = values.get("format") ?? "table";
  if (format !== "table" && format !== "json") return fail(`Invalid --format ${JSON.stringify(format)}: use table or json`);

  const opened = await openForCommand(flags.value, io, "keys");
  if (!opened.ok) return fail(opened.message, EXIT_FAILED);
  const { store } = opened;
  try {
    const existing = async () => {
      const key = await store.keys.get(target!);
      if (key === null) throw new KeyInputError("id", `no Kestrel key ${JSON.stringify(target)}`);
      return key;
    };
    switch (sub) {
      case "list": {
        const keys = await store.keys.list();
        io.out(format === "json" ? JSON.stringify({ keys: keys.map(viewOf) }, null, 2) + "\n" : keys.length === 0 ? "No Kestrel keys\n" : table(keys));
        break;
      }
      case "create": {
        const body: Record<string, unknown> = { name: target };
        for (const [flag, field] of [["user", "user"], ["project", "project"], ["tags", "tags"], ["models", "models"], ["providers", "providers"], ["expires", "expires"], ["rpm", "rpm"], ["tpm", "tpm"], ["budget-usd", "budget_usd"], ["window", "window"]]) {
          const v = values.get(flag!);
          if (v !== undefined) body[field!] = v;
        }
        if (flags.value.switches.has("allow-attribution-headers")) body.allow_attribution_headers = true;
        const created = await createKey(body, now());
        await store.keys.put(created.key);
        if (created.budget !== null) await store.control.putBudget(created.budget);
        if (created.rateLimit !== null) await store.control.putRateLimit(created.rateLimit);
        io.out(`Created ${created.key.id} (${created.key.name})${created.budget ? `, budget ${created.budget.id}` : ""}${created.rateLimit ? `, rate limit ${created.rateLimit.id}` : ""}\n`);
        io.out(`Secret (shown once): ${created.secret}\n`);
        break;
      }
      case "show":
        io.out(JSON.stringify(viewOf(await existing()), null, 2) + "\n");
        break;
      case "disable":
      case "enable":
        await store.keys.put(patchKey(await existing(), { disabled: sub === "disable" }, now()));
        io.out(`${sub === "disable" ? "Disabled" : "Enabled"} ${target}\n`);
        break;
      case "rotate": {
        const grace = values.get("grace");
        const rotated = await rotateKey(await existing(), grace === undefined ? 0 : parseSpan(grace, "--grace"), now());
        await store.keys.put(rotated.key);
        io.out(`Rotated ${target}${grace ? `; the old secret works for ${grace}` : "; the old secret no longer works"}\n`);
        io.out(`Secret (shown once): ${rotated.secret}\n`);
        break;
      }
      case "rm":
        if (!(await store.keys.remove(target!))) throw new KeyInputError("id", `no Kestrel key ${JSON.stringify(target)}`);
        // The budget and rate limit its create made go with it; its records stay.
        await store.control.deleteBudget(ownDefinitions(target!).budget);
        await store.control.deleteRateLimit(ownDefinitions(target!).rateLimit);
        io.out(`Removed ${target}\n`);
        break;
    }
    return EXIT_OK;
  } catch (err) {
    if (err instanceof KeyInputError) return fail(err.message.replace(/^(\w+):/, (_, f: string) => `--${f.replaceAll("_", "-")}:`), EXIT_FAILED);
    return fail(`Cannot ${sub}: ${err instanceof Error ? err.message : String(err)}`, EXIT_FAILED);
  } finally {
    await store.close();
  }
}
