/// <reference lib="dom" />
/** @module The reconciliation panel (docs/architecture.md §19): coverage per day and provider, then the largest differences. */
import { html } from "htm/preact";
import type { ReconcileReport, ReconcileRow } from "./api.ts";
import { label, money } from "./format.ts";

interface Difference {
  date: string;
  provider: string;
  row: ReconcileRow;
  /** For ordering only (display: the exact texts). */
  size: number;
}

/** How far a row is off: Kestrel's cost against the provider's bill (or the provider's usage at Kestrel's prices). */
function sizeOf(r: ReconcileRow): number {
  const theirs = Number(r.provider_usd ?? r.provider_priced_usd ?? 0);
  return Math.abs(Number(r.kestrel_usd ?? 0) - theirs);
}

export function Reconciliation(props: { report: ReconcileReport | null }) {
  const report = props.report;
  const head = html`<h2 id="reconcile-h">Reconciliation with the providers' bills</h2>`;
  if (report === null) {
    return html`<section class="panel wide" aria-labelledby="reconcile-h">${head}<p class="empty">Not available on this server.</p></section>`;
  }
  const days = report.providers.flatMap((p) => p.days.filter((d) => d.pulled_at !== null).map((d) => ({ provider: p.provider, d })));
  if (days.length === 0) {
    return html`<section class="panel wide" aria-labelledby="reconcile-h">${head}<p class="empty">Nothing pulled from the providers in this
      range. Run <code>kestrel reconcile</code>, or serve with <code>--reconcile-interval 6h</code> and an admin key
      (<code>OPENAI_ADMIN_KEY</code>, <code>ANTHROPIC_ADMIN_KEY</code>).</p></section>`;
  }
  const off: Difference[] = report.providers.flatMap((p) =>
    p.days.flatMap((d) => d.rows.filter((r) => r.class !== "match").map((row) => ({ date: d.date, provider: p.provider, row, size: sizeOf(row) })))
  ).sort((a, b) => b.size - a.size).slice(0, 10);
  return html`<section class="panel wide" aria-labelledby="reconcile-h">${head}
    <div class="scroll"><table class="bars" data-testid="coverage">
      <thead><tr><th scope="col">Day</th><th scope="col">Provider</th><th scope="col">Coverage</th><th scope="col"></th>
        <th scope="col" class="num">Kestrel</th><th scope="col" class="num">Billed</th><th scope="col" class="num">Drift</th>
        <th scope="col" class="num">Uncovered</th></tr></thead>
      <tbody>${days.map(({ provider, d }) =>
    html`<tr><th scope="row">${d.date}${d.complete ? "" : " *"}</th><td>${provider}</td>
          <td class="bar-cell"><span class="bar" style=${`width:${(d.coverage ?? 0) * 100}%`}></span></td>
          <td class="num">${d.coverage === null ? "—" : `${(d.coverage * 100).toFixed(1)} %`}</td>
          <td class="num" title=${d.kestrel_usd}>${money(d.kestrel_usd)}</td>
          <td class="num" title=${d.provider_usd ?? ""}>${money(d.provider_usd)}</td>
          <td class="num" title=${d.drift_usd}>${money(d.drift_usd)}</td>
          <td class="num" title=${d.uncovered_usd}>${money(d.uncovered_usd)}</td></tr>`
  )}</tbody></table></div>
    <p class="small">Coverage: billed spend that went through Kestrel. * the provider may still add to this day.
      A row matches within $${report.tolerance.usd} or ${report.tolerance.percent} %.</p>
    <h3>Largest differences</h3>
    ${
    off.length === 0 ? html`<p class="empty">None: every row matches.</p>` : html`<div class="scroll"><table data-testid="differences">
      <thead><tr><th scope="col">Day</th><th scope="col">Provider</th><th scope="col">Model</th><th scope="col">Key</th>
        <th scope="col">Class</th><th scope="col" class="num">Kestrel</th><th scope="col" class="num">Billed</th><th scope="col">Why</th></tr></thead>
      <tbody>${off.map(({ date, provider, row }) =>
      html`<tr><td>${date}</td><td>${provider}</td><td><code>${row.model}</code></td>
          <td>${label(row.provider_key_id ?? row.key_id)}</td><td>${row.class.replace("_", " ")}</td>
          <td class="num" title=${row.kestrel_usd ?? ""}>${money(row.kestrel_usd)}</td>
          <td class="num" title=${row.provider_usd ?? ""}>${money(row.provider_usd)}</td><td class="small">${row.detail ?? ""}</td></tr>`
    )}</tbody></table></div>`
  }</section>`;
}
