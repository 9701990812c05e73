/** @module `kestrel usage`: totals by day, hour, provider, model, key, user or project, from the SQLite file. */
import { parseGrouping } from "../store/query-params.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { COMMON_FLAGS, filterFromFlags, parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";
import { renderUsageCsv, renderUsageTable } from "./report-table.ts";

export const USAGE_HELP =
  `Usage: kestrel usage [--since 7d] [--until DATE] [--group-by model] [--format table|json|csv] [--db PATH | --store URL]
  --group-by   day | hour | provider | model | key_id | user | project (default model), or a time then a
               field: hour,model  day,project
  --since      start, inclusive: 2026-11-01, 2026-11-01T10:00Z, or an age: 90m, 24h, 7d, 2w
  --until      end, exclusive (a date includes its whole day)
  --provider, --model, --key-id, --user, --project, --outcome   keep only matching records
`;

const FORMATS = ["table", "json", "csv"] as const;

export async function runUsage(args: string[], io: CommandIo): Promise<number> {
  const fail = (message: string) => (io.err(`kestrel usage: ${message}\n`), EXIT_USAGE);
  const flags = parseFlags(args, { ...COMMON_FLAGS, "group-by": "value", format: "value" });
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(USAGE_HELP), EXIT_OK);
  const filter = filterFromFlags(flags.value, io.now());
  if (!filter.ok) return fail(filter.message);
  const groupBy = parseGrouping(flags.value.values.get("group-by"), "--group-by");
  if (!groupBy.ok) return fail(groupBy.message);
  const format = flags.value.values.get("format") ?? "table";
  if (!(FORMATS as readonly string[]).includes(format)) {
    return fail(`Invalid --format ${JSON.stringify(format)}: use one of ${FORMATS.join(", ")}`);
  }

  const opened = await openForCommand(flags.value, io, "usage");
  if (!opened.ok) return (io.err(`kestrel usage: ${opened.message}\n`), EXIT_FAILED);
  const { store, path } = opened;
  try {
    const report = await store.usage(filter.value, groupBy.value);
    if (format === "json") io.out(JSON.stringify(report, null, 2) + "\n");
    else if (format === "csv") io.out(renderUsageCsv(report, groupBy.value));
    else io.out(renderUsageTable(report, groupBy.value));
    return EXIT_OK;
  } catch (err) {
    io.err(`kestrel usage: Cannot read ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  } finally {
    await store.close();
  }
}
