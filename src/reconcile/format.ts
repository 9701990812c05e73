/** @module The reconciliation report as an aligned text table, as CSV (one line per row, day facts repeated) and as JSON. */
import { csvCell } from "../store/export-format.ts";
import { COMPARED, type Report, type ReportRow } from "./report.ts";

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (v: string) => v.replace(CONTROL, "?");
const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);
const money = (v: string | null) => (v === null ? "—" : `$${v}`);
const pair = (k: number | null, p: number | null) => `${k === null ? "—" : k.toLocaleString("en-US")} / ${p === null ? "—" : p.toLocaleString("en-US")}`;

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + "\n";
}

/** Text columns (`left`) padded at the end, numbers at the start. */
function table(header: readonly string[], rows: readonly (readonly string[])[], left: readonly number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ").trimEnd() + "\n";
  return line(header) + widths.map((w) => "-".repeat(w)).join("  ") + "\n" + rows.map(line).join("");
}

const keyText = (r: ReportRow) => clean(r.provider_key_id ?? r.key_id ?? (r.class === "uncovered" ? "(no key)" : "(unlinked)"));

export function renderTable(report: Report): string {
  let out = "";
  for (const p of report.providers) {
    out += `${p.provider}: ${p.linked_keys} Kestrel key${p.linked_keys === 1 ? "" : "s"} linked to the provider's keys\n`;
    for (const note of p.notes) out += `  note: ${clean(note)}\n`;
    for (const d of p.days) {
      if (d.pulled_at === null) {
        out += `\n${d.date}  not pulled from the provider  Kestrel ${money(d.kestrel_usd)}\n`;
        continue;
      }
      if (d.rows.length === 0 && d.unattributed.length === 0) {
        out += `\n${d.date}  no usage on either side\n`;
        continue;
      }
      out += `\n${d.date}  coverage ${pct(d.coverage)}  Kestrel ${money(d.kestrel_usd)}  billed ${money(d.provider_usd)}` +
        `  drift ${money(d.drift_usd)}  uncovered ${money(d.uncovered_usd)}${d.complete ? "" : "  (day not complete)"}\n`;
      if (d.rows.length > 0) {
        out += table(
          ["model", "key", "class", "Kestrel", "billed", "priced", "input K / P", "output K / P", "detail"],
          d.rows.map((r) => [
            clean(r.model),
            keyText(r),
            r.class,
            money(r.kestrel_usd),
            money(r.provider_usd),
            money(r.provider_priced_usd),
            pair(r.tokens.input_tokens.kestrel, r.tokens.input_tokens.provider),
            pair(r.tokens.output_tokens.kestrel, r.tokens.output_tokens.provider),
            clean(r.detail ?? ""),
          ]),
          [0, 1, 2, 8],
        ).replace(/^(?=.)/gm, "  ");
      }
      for (const u of d.unattributed) out += `  unattributed: ${clean(u.line)} ${money(u.provider_usd)}\n`;
    }
    out += "\n";
  }
  if (report.providers.length === 0) out += "No provider to reconcile: set OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY\n";
  out += `Tolerance: $${report.tolerance.usd} or ${report.tolerance.percent}% per row; prices ${report.price_version}\n`;
  return out;
}

const CSV_HEAD = [
  "provider", "date", "coverage", "day_kestrel_usd", "day_provider_usd", "model", "key_id", "provider_key_id", "project", "class",
  "kestrel_usd", "provider_usd", "provider_priced_usd", "kestrel_requests", "provider_requests",
  ...COMPARED.flatMap((t) => [`kestrel_${t}`, `provider_${t}`]), "detail",
];

/** Rows only (day facts repeated on each), CRLF like the export; a pulled day without rows is one line of day facts. */
export function renderCsv(report: Report): string {
  const cell = (v: string | number | null, text = true) => csvCell(v, text);
  let out = CSV_HEAD.join(",") + "\r\n";
  for (const p of report.providers) {
    for (const d of p.days) {
      const day = [cell(p.provider), cell(d.date), cell(d.coverage, false), cell(d.kestrel_usd, false), cell(d.provider_usd, false)];
      const rows: (ReportRow | null)[] = d.rows.length === 0 ? [null] : d.rows;
      for (const r of rows) {
        const fields = r === null ? CSV_HEAD.slice(day.length).map(() => "") : [
          cell(r.model), cell(r.key_id), cell(r.provider_key_id), cell(r.project), cell(r.class),
          cell(r.kestrel_usd, false), cell(r.provider_usd, false), cell(r.provider_priced_usd, false),
          cell(r.requests.kestrel, false), cell(r.requests.provider, false),
          ...COMPARED.flatMap((t) => [cell(r.tokens[t].kestrel, false), cell(r.tokens[t].provider, false)]),
          cell(r.detail),
        ];
        out += [...day, ...fields].join(",") + "\r\n";
      }
    }
  }
  return out;
}
