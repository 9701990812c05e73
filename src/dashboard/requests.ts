/// <reference lib="dom" />
/** @module Recent requests with filters, and one request opened in full (GET /api/requests/:id). */
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, query, type RequestPage, type RequestRecord } from "./api.ts";
import { OUTCOMES } from "../usage/record.ts";
import { isUnpriced } from "../usage/record.ts";
import { count, label, money, ms, time } from "./format.ts";
import { markLoaded, markLoading } from "./ready.ts";
import { COST_NAMES, UNIT_NAMES, unitValue } from "./units.ts";
import { UNIT_FIELDS } from "../usage/types.ts";

const FIELDS = ["provider", "model", "user", "project"] as const;
export type Filters = Record<(typeof FIELDS)[number] | "outcome", string>;
export const NO_FILTERS: Filters = { provider: "", model: "", user: "", project: "", outcome: "" };

const tokens = (r: RequestRecord) =>
  r.input_tokens === null && r.output_tokens === null ? null : (r.input_tokens ?? 0) + (r.output_tokens ?? 0);

export function RequestList(props: {
  range: Record<string, string | null>;
  /** Changes when the user asks for fresh data. */
  refresh: number;
  known: Record<string, string[]>;
  onError(err: unknown): void;
  onOpen(id: string): void;
}) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [page, setPage] = useState<RequestPage | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (before: string | null, previous: RequestRecord[]) => {
    setLoading(true);
    markLoading("requests");
    try {
      const next = await getJson<RequestPage>(`/api/requests${query({ ...props.range, ...filters, limit: "50", before })}`);
      setPage({ requests: [...previous, ...next.requests], next_before: next.next_before });
      markLoaded("requests");
    } catch (err) {
      props.onError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(null, []), [JSON.stringify(props.range), JSON.stringify(filters), props.refresh]);

  const submit = (e: Event) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const clear = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
  };
  const field = (name: (typeof FIELDS)[number]) =>
    html`<div class="field"><label for=${`f-${name}`}>${name}</label><input id=${`f-${name}`} name=${name}
      list=${`known-${name}`} value=${draft[name]} autocomplete="off"
      onInput=${(e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })} />
      <datalist id=${`known-${name}`}>${(props.known[name] ?? []).map((v) => html`<option value=${v} />`)}</datalist></div>`;

  return html`<section class="panel wide" aria-labelledby="requests-h"><h2 id="requests-h">Recent requests</h2>
    <form class="filters" onSubmit=${submit} aria-label="Filter requests">
      ${FIELDS.map(field)}
      <div class="field"><label for="f-outcome">outcome</label><select id="f-outcome" name="outcome" value=${draft.outcome}
        onChange=${(e: Event) => setDraft({ ...draft, outcome: (e.target as HTMLSelectElement).value })}>
        <option value="">any</option>${OUTCOMES.map((o) => html`<option value=${o}>${o}</option>`)}</select></div>
      <div class="buttons"><button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick=${clear}>Clear</button></div>
    </form>
    ${
    page === null ? html`<p class="empty">Loading…</p>` : page.requests.length === 0
      ? html`<p class="empty">No requests match.</p>`
      : html`<div class="scroll"><table class="requests" data-testid="requests">
      <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Provider</th><th scope="col">Model</th>
        <th scope="col">User</th><th scope="col">Project</th><th scope="col">Outcome</th>
        <th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Duration</th></tr></thead>
      <tbody>${page.requests.map((r) =>
        html`<tr data-id=${r.id}><td><button type="button" class="link" onClick=${() => props.onOpen(r.id)}
            aria-label=${`Open request ${r.id}`}>${time(r.ts)}</button></td>
          <td>${r.provider}</td><td>${label(r.model)}</td><td>${label(r.user)}</td><td>${label(r.project)}</td>
          <td><span class=${`outcome ${r.outcome}`}>${r.outcome}</span> <span class="small">${r.status}</span></td>
          <td class="num">${count(tokens(r))}</td>
          <td class="num">${r.priced ? money(r.cost_usd) : isUnpriced(r) ? html`<span class="small">unpriced</span>` : "—"}</td>
          <td class="num">${ms(r.duration_ms)}</td></tr>`
      )}</tbody></table></div>`
  }
    ${
    page?.next_before &&
    html`<button type="button" class="secondary" disabled=${loading}
      onClick=${() => load(page.next_before, page.requests)}>Load more</button>`
  }</section>`;
}

/** Token fields in the order the record defines them; the units that are not tokens follow (UNIT_FIELDS). */
const TOKEN_ROWS = [
  "input_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "audio_input_tokens",
  "output_tokens",
  "reasoning_tokens",
  "audio_output_tokens",
  "total_tokens",
  "web_search_requests",
] as const;
const UNIT_ROWS = UNIT_FIELDS;

const cell = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "number" ? count(v) : String(v));

export function RequestDetail(props: { id: string; onClose(): void; onError(err: unknown): void }) {
  const [record, setRecord] = useState<RequestRecord | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    setRecord(null);
    getJson<RequestRecord>(`/api/requests/${encodeURIComponent(props.id)}`).then(setRecord, props.onError);
  }, [props.id]);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: "start" });
  }, [record]);
  const r = record;
  const breakdown = (r?.cost_breakdown ?? null) as Record<string, string> | null;
  return html`<section class="panel wide detail" aria-labelledby="detail-h" data-testid="detail">
    <div class="row"><h2 id="detail-h" tabindex="-1" ref=${heading}>Request ${props.id}</h2>
      <button type="button" class="secondary" onClick=${props.onClose}>Close</button></div>
    ${
    r === null ? html`<p class="empty">Loading…</p>` : html`<div class="detail-grid">
      <div><h3>Request</h3><dl>
        <dt>Time</dt><dd>${time(r.ts)} UTC</dd>
        <dt>Provider</dt><dd>${r.provider}</dd><dt>Model</dt><dd>${label(r.model)}</dd>
        <dt>Call</dt><dd><code>${r.method} ${r.path}</code></dd>
        <dt>Outcome</dt><dd>${r.outcome} (${r.status})${r.streaming ? ", streamed" : ""}</dd>
        <dt>Key</dt><dd>${label(r.key_id)}</dd><dt>User</dt><dd>${label(r.user)}</dd>
        <dt>Project</dt><dd>${label(r.project)}</dd>
        <dt>Tags</dt><dd>${Array.isArray(r.tags) && r.tags.length > 0 ? r.tags.join(", ") : "—"}</dd>
        ${r.usage_error && html`<dt>Note</dt><dd>${String(r.usage_error)}</dd>`}</dl></div>
      <div><h3>Timings</h3><dl><dt>Duration</dt><dd>${ms(r.duration_ms)}</dd>
        <dt>First byte</dt><dd>${ms(r.ttfb_ms)}</dd></dl>
        <h3>Usage <span class="small">(${String(r.usage_source)})</span></h3>
        <table class="kv"><tbody>${TOKEN_ROWS.map((f) =>
      html`<tr><th scope="row">${f.replace(/_/g, " ")}</th><td class="num">${cell(r[f])}</td></tr>`
    )}${UNIT_ROWS.map((f) => html`<tr><th scope="row">${UNIT_NAMES[f]}</th><td class="num">${unitValue(f, r[f])}</td></tr>`)}
        </tbody></table></div>
      <div><h3>Cost</h3><dl><dt>Total</dt><dd data-testid="detail-cost">${
      r.priced ? `${r.cost_usd} USD` : isUnpriced(r) ? "unpriced (no price for this model)" : "none (no usage to price)"
    }</dd><dt>Price table</dt><dd>${cell(r.price_version)}</dd></dl>
        ${
      breakdown && html`<table class="kv" data-testid="breakdown"><caption>Breakdown (USD)</caption><tbody>${
        Object.entries(breakdown).map(([k, v]) =>
          html`<tr data-class=${k}><th scope="row">${COST_NAMES[k] ?? k.replace(/_/g, " ")}</th><td class="num">${v}</td></tr>`
        )
      }</tbody></table>`
    }</div>
      <div class="native"><h3>Native usage</h3><pre>${
      r.usage_native === null ? "—" : JSON.stringify(r.usage_native, null, 2)
    }</pre></div></div>`
  }</section>`;
}
