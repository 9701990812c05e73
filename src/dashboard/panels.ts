/** @module The summary panels: totals, top 10, unpriced models, budgets, rate limits (units by kind: units.ts). */
import { html } from "htm/preact";
import type { BudgetView, Group, RateLimitView, Totals } from "./api.ts";
import { count, label, money, percent, time } from "./format.ts";

export function TotalsPanel(props: { total: Totals }) {
  const t = props.total;
  return html`<section class="cards" aria-label="Totals">
    <div class="card"><h3>Spend</h3><p class="big" data-testid="total-cost">${money(t.cost_usd)}</p>
      <p class="small">exact: <span data-testid="total-cost-exact">${t.cost_usd}</span> USD</p></div>
    <div class="card"><h3>Requests</h3><p class="big" data-testid="total-requests">${count(t.requests)}</p>
      <p class="small"><span data-testid="total-unpriced">${count(t.unpriced_requests)}</span> unpriced</p></div>
    <div class="card"><h3>Tokens</h3>
      <p class="big" data-testid="total-tokens">${count(t.input_tokens + t.output_tokens)}</p>
      <p class="small">${count(t.input_tokens)} in · ${count(t.output_tokens)} out</p></div>
    <div class="card"><h3>Cache-read share of input</h3>
      <p class="big" data-testid="cache-share">${percent(t.cache_read_tokens, t.input_tokens)}</p>
      <p class="small">${count(t.cache_read_tokens)} of ${count(t.input_tokens)} input tokens</p></div>
  </section>`;
}

export function TopTable(props: { groups: Group[]; total: Totals; dimension: string }) {
  const top = props.groups.slice(0, 10);
  const all = Number(props.total.cost_usd);
  return html`<section class="panel" aria-labelledby="top-h"><h2 id="top-h">Top 10 by cost (${props.dimension})</h2>
    ${
    top.length === 0 ? html`<p class="empty">No requests in this range.</p>` : html`<div class="scroll"><table data-testid="top-table">
      <thead><tr><th scope="col">${props.dimension}</th><th scope="col" class="num">Requests</th>
        <th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Share</th></tr></thead>
      <tbody>${top.map((g) =>
      html`<tr><td>${label(g.key)}</td><td class="num">${count(g.requests)}</td>
          <td class="num">${count(g.input_tokens + g.output_tokens)}</td>
          <td class="num" title=${g.cost_usd}>${money(g.cost_usd)}</td>
          <td class="num">${all === 0 ? "—" : `${((100 * Number(g.cost_usd)) / all).toFixed(1)} %`}</td></tr>`
    )}</tbody></table></div>`
  }</section>`;
}

export function Unpriced(props: { groups: Group[] }) {
  const seen = props.groups.filter((g) => g.unpriced_requests > 0);
  return html`<section class="panel" aria-labelledby="unpriced-h"><h2 id="unpriced-h">Unpriced models seen</h2>
    ${
    seen.length === 0
      ? html`<p class="empty">None: every request with usage in this range has a price.</p>`
      : html`<ul class="plain" data-testid="unpriced">${seen.map((g) =>
        html`<li><code>${label(g.key)}</code> — ${count(g.unpriced_requests)} request${g.unpriced_requests === 1 ? "" : "s"}</li>`
      )}</ul><p class="small">Their cost is unknown (never counted as $0). Add a price with <code>--prices</code>.</p>`
  }</section>`;
}

const scopeText = (scope: Record<string, string>) =>
  Object.entries(scope).map(([k, v]) => `${k}=${v}`).join(", ") || "everything";

function Meter(props: { used: number; limit: number; text: string }) {
  const share = props.limit > 0 ? Math.min(1, props.used / props.limit) : 0;
  const level = share >= 1 ? "full" : share >= 0.8 ? "high" : "ok";
  return html`<div class="meter-row"><meter min="0" max="1" low="0.8" high="0.99" optimum="0" value=${share}
    aria-label=${props.text} class=${level}></meter><span>${props.text} (${(share * 100).toFixed(0)} %)</span></div>`;
}

export function Budgets(props: { budgets: BudgetView[] | null }) {
  const list = props.budgets;
  return html`<section class="panel" aria-labelledby="budgets-h"><h2 id="budgets-h">Budgets</h2>
    ${
    list === null
      ? html`<p class="empty">Spend control is not available on this server.</p>`
      : list.length === 0
      ? html`<p class="empty">No budgets defined.</p>`
      : html`<ul class="plain" data-testid="budgets">${list.map((b) =>
        html`<li class="limit"><strong>${b.id}</strong> <span class="small">${scopeText(b.scope)} · ${b.window} · ${b.action}</span>
          ${b.limit_usd !== null && html`<${Meter} used=${Number(b.spent_usd)} limit=${Number(b.limit_usd)}
            text=${`${money(b.spent_usd)} of ${money(b.limit_usd)}`} />`}
          ${b.limit_tokens !== null && html`<${Meter} used=${b.spent_tokens} limit=${b.limit_tokens}
            text=${`${count(b.spent_tokens)} of ${count(b.limit_tokens)} tokens`} />`}
          <span class="small">resets ${b.resets_at === null ? "never (rolling or total)" : `${time(b.resets_at)} UTC`}</span></li>`
      )}</ul>`
  }</section>`;
}

export function RateLimits(props: { limits: RateLimitView[] | null }) {
  const list = props.limits;
  return html`<section class="panel" aria-labelledby="limits-h"><h2 id="limits-h">Rate limits</h2>
    ${
    list === null
      ? html`<p class="empty">Spend control is not available on this server.</p>`
      : list.length === 0
      ? html`<p class="empty">No rate limits defined.</p>`
      : html`<ul class="plain" data-testid="rate-limits">${list.map((l) => {
        const { requests, tokens, frees_at } = l.state;
        return html`<li class="limit"><strong>${l.id}</strong> <span class="small">${scopeText(l.scope)} · sliding 60 s</span>
          ${l.rpm !== null && html`<${Meter} used=${requests} limit=${l.rpm} text=${`${count(requests)} of ${count(l.rpm)} requests / min`} />`}
          ${l.tpm !== null && html`<${Meter} used=${tokens} limit=${l.tpm} text=${`${count(tokens)} of ${count(l.tpm)} tokens / min`} />`}
          ${frees_at && html`<div class="small">full: a request fits again at ${time(frees_at)} UTC</div>`}
        </li>`;
      })}</ul>`
  }</section>`;
}
