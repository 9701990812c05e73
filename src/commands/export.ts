/** @module `kestrel export`: every matching record as CSV, JSON or NDJSON, streamed page by page. */
import type { UsageRecord } from "../usage/record.ts";
import { createExportFormatter, exportChunks } from "../store/export-format.ts";
import { parseFormat } from "../store/query-params.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { COMMON_FLAGS, filterFromFlags, parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";

export const EXPORT_HELP =
  `Usage: kestrel export --format csv|json|ndjson [--since 7d] [--until DATE] [--out FILE] [--db PATH | --store URL]
  --format     csv (default; UTF-8 with BOM, CRLF, for spreadsheets) | json (one array) | ndjson (one per line)
  --out        write to FILE instead of stdout
  --since, --until, --provider, --model, --key-id, --user, --project, --outcome   as for kestrel usage
`;

export async function runExport(args: string[], io: CommandIo): Promise<number> {
  const fail = (message: string) => (io.err(`kestrel export: ${message}\n`), EXIT_USAGE);
  const flags = parseFlags(args, { ...COMMON_FLAGS, format: "value", out: "value" });
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(EXPORT_HELP), EXIT_OK);
  const filter = filterFromFlags(flags.value, io.now());
  if (!filter.ok) return fail(filter.message);
  const format = parseFormat(flags.value.values.get("format"), "--format");
  if (!format.ok) return fail(format.message);
  const outPath = flags.value.values.get("out");
  const writeFile = io.writeFile;
  if (outPath !== undefined && writeFile === undefined) return fail(`Flag "--out" is not available here`);

  const opened = await openForCommand(flags.value, io, "export");
  if (!opened.ok) return (io.err(`kestrel export: ${opened.message}\n`), EXIT_FAILED);
  const { store, path } = opened;
  const where = filter.value;
  let count = 0;
  async function* counted(): AsyncGenerator<UsageRecord[]> {
    for await (const page of store.exportRows(where)) {
      count += page.length;
      yield page;
    }
  }
  try {
    let write = io.out;
    if (outPath !== undefined && writeFile !== undefined) {
      writeFile(outPath, "", false); // create or truncate, even for an empty export
      write = (chunk) => writeFile(outPath, chunk, true);
    }
    for await (const chunk of exportChunks(counted(), createExportFormatter(format.value))) write(chunk);
    if (outPath !== undefined) io.out(`Wrote ${count.toLocaleString("en-US")} records to ${JSON.stringify(outPath)}\n`);
    return EXIT_OK;
  } catch (err) {
    io.err(
      `kestrel export: Export from ${JSON.stringify(path)} failed: ${
        err instanceof Error ? err.message : String(err)
      }\n`,
    );
    return EXIT_FAILED;
  } finally {
    await store.close();
  }
}
