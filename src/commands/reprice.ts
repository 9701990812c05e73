/** @module `kestrel reprice`: recompute stored costs with the current price table, recording its version. */
import { createPricer, type Pricer } from "../pricing/pricer.ts";
import type { CostUpdate } from "../store/store.ts";
import { isUnpriced } from "../usage/record.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { COMMON_FLAGS, filterFromFlags, parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";
import { repriceRecord } from "./report-reprice.ts";

export const REPRICE_HELP =
  `Usage: kestrel reprice [--since 30d] [--until DATE] [--unpriced-only] [--dry-run] [--db PATH | --store URL]
  Recomputes the cost of stored records from their token counts with the current prices.
  --unpriced-only   only records that had usage but no price (e.g. after adding a price for a custom model)
  --dry-run         count what would change, write nothing
  --since, --until, --provider, --model, --key-id, --user, --project, --outcome   as for kestrel usage
  Kept as they are: records with a provider-reported cost, and records the current table cannot price.
  OpenAI's response-level service tier is not stored, so those records are repriced at standard rates.
`;

/** `pricer` defaults to the built-in table; the CLI passes one with the --prices overrides applied. */
export async function runReprice(args: string[], io: CommandIo, pricer?: Pricer): Promise<number> {
  const fail = (message: string) => (io.err(`kestrel reprice: ${message}\n`), EXIT_USAGE);
  const flags = parseFlags(args, { ...COMMON_FLAGS, "unpriced-only": "switch", "dry-run": "switch" });
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(REPRICE_HELP), EXIT_OK);
  const filter = filterFromFlags(flags.value, io.now());
  if (!filter.ok) return fail(filter.message);
  const unpricedOnly = flags.value.switches.has("unpriced-only");
  const dryRun = flags.value.switches.has("dry-run");

  const opened = await openForCommand(flags.value, io, "reprice");
  if (!opened.ok) return (io.err(`kestrel reprice: ${opened.message}\n`), EXIT_FAILED);
  const { store, path } = opened;
  const prices = pricer ?? createPricer();
  const n = { examined: 0, updated: 0, changed: 0, newly: 0, reported: 0, noPrice: 0, noUsage: 0 };
  try {
    for await (const page of store.exportRows(filter.value)) {
      const updates: CostUpdate[] = [];
      for (const record of page) {
        if (unpricedOnly && !isUnpriced(record)) continue;
        n.examined++;
        const outcome = repriceRecord(record, prices);
        if (outcome.kind === "reported") n.reported++;
        else if (outcome.kind === "no_price") n.noPrice++;
        else if (outcome.kind === "no_usage") n.noUsage++;
        else if (outcome.kind === "update") {
          updates.push(outcome.update);
          if (outcome.costChanged) n.changed++;
          if (outcome.newlyPriced) n.newly++;
        }
      }
      // One short transaction per page: a running server's flusher waits milliseconds, not the whole run.
      if (!dryRun && updates.length > 0) await store.updateCosts(updates);
      n.updated += updates.length;
    }
  } catch (err) {
    io.err(
      `kestrel reprice: Repricing ${JSON.stringify(path)} failed: ${
        err instanceof Error ? err.message : String(err)
      }\n`,
    );
    return EXIT_FAILED;
  } finally {
    await store.close();
  }
  const num = (v: number) => v.toLocaleString("en-US");
  io.out(
    `${dryRun ? "Dry run (nothing written): would reprice" : "Repriced"} ${num(n.examined)} records with prices ` +
      `${prices.version}: ${num(n.updated)} updated (${num(n.changed)} cost changed, ${num(n.newly)} newly priced); ` +
      `kept ${num(n.reported)} provider-reported, ${num(n.noPrice)} with no current price; ${
        num(n.noUsage)
      } without usage\n`,
  );
  return EXIT_OK;
}
