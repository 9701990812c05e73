/// <reference lib="dom" />
/** @module The dashboard (docs/architecture.md §14): range and grouping controls, then every panel, from /api. */
import { html, render } from "htm/preact";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { type BudgetView, getJson, query, type RateLimitView, type ReconcileReport, setToken, Unauthorized, type Usage } from "./api.ts";
import { SpendChart } from "./chart.ts";
import { stack, type Stack } from "./series.ts";
import { Budgets, RateLimits, TopTable, TotalsPanel, Unpriced } from "./panels.ts";
import { UnitKinds } from "./units.ts";
import { markLoaded, markLoading } from "./ready.ts";
import { KeysPanel } from "./keys.ts";
import { Reconciliation } from "./reconcile.ts";
import { RequestDetail, RequestList } from "./requests.ts";

const PRESETS = [["24h", "24 h"], ["7d", "7 days"], ["30d", "30 days"], ["custom", "Custom"]] as const;
type Preset = (typeof PRESETS)[number][0];
const DIMENSIONS = [["model", "Model"], ["provider", "Provider"], ["key_id", "Key"], ["user", "User"], [
  "project",
  "Project",
]] as const;
const DAY = 86_400_000;

interface Range {
  preset: Preset;
  /** YYYY-MM-DD, for custom ranges (until includes its whole day, as in the API). */
  from: string;
  to: string;
}

/** The API's since/until and the chart's window and bucket for a range. */
function rangeWindow(range: Range, now: number) {
  if (range.preset !== "custom") {
    const days = range.preset === "24h" ? 1 : range.preset === "7d" ? 7 : 30;
    return {
      params: { since: range.preset, until: null },
      fromMs: now - days * DAY,
      toMs: now,
      bucket: days <= 7 ? ("hour" as const) : ("day" as const),
    };
  }
  const fromMs = Date.parse(`${range.from}T00:00:00Z`);
  const toMs = Date.parse(`${range.to}T00:00:00Z`) + DAY;
  return { params: { since: range.from, until: range.to }, fromMs, toMs, bucket: toMs - fromMs <= 7 * DAY ? "hour" as const : "day" as const };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Data {
  byGroup: Usage;
  byModel: Usage;
  chart: Stack;
  bucket: "hour" | "day";
  budgets: BudgetView[] | null;
  limits: RateLimitView[] | null;
  reconcile: ReconcileReport | null;
}

/** Spend control's routes are absent (404) on a server without it: shown as "not available", not as an error. */
async function optional<T>(path: string, pick: (body: Record<string, T[]>) => T[]): Promise<T[] | null> {
  try {
    return pick(await getJson<Record<string, T[]>>(path));
  } catch (err) {
    if (err instanceof Unauthorized) throw err;
    return null;
  }
}

function TokenPrompt(props: { onToken(token: string): void; refused: boolean }) {
  const [value, setValue] = useState("");
  return html`<main class="prompt"><form class="panel" aria-labelledby="token-h"
      onSubmit=${(e: Event) => (e.preventDefault(), props.onToken(value))}>
    <h1 id="token-h">Kestrel</h1>
    <p>The dashboard reads the usage API, which needs the admin token (<code>--admin-token</code>). It is kept in
      this browser tab only (sessionStorage).</p>
    ${props.refused && html`<p class="error" role="alert">That token was refused.</p>`}
    <label>Admin token<input type="password" name="token" autocomplete="current-password" required autofocus
      value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Open dashboard</button></form></main>`;
}

function App() {
  const [range, setRange] = useState<Range>({ preset: "24h", from: isoDay(Date.now() - 7 * DAY), to: isoDay(Date.now()) });
  const [draft, setDraft] = useState<Range>(range);
  const [dimension, setDimension] = useState<string>("model");
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [needToken, setNeedToken] = useState<"no" | "ask" | "checking" | "refused">("no");
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<string | null>(null);

  const fail = (err: unknown) => {
    if (err instanceof Unauthorized) setNeedToken((was) => (was === "checking" || was === "refused" ? "refused" : "ask"));
    else setError(err instanceof Error ? err.message : String(err));
  };
  const win = rangeWindow(range, Date.now());

  useEffect(() => {
    let live = true;
    const params = win.params;
    const usage = (groupBy: string) => getJson<Usage>(`/api/usage${query({ ...params, group_by: groupBy })}`);
    setError(null);
    markLoading("summary");
    Promise.all([
      usage(dimension),
      dimension === "model" ? null : usage("model"),
      usage(`${win.bucket},${dimension}`),
      optional<BudgetView>("/api/budgets", (b) => b.budgets ?? []),
      optional<RateLimitView>("/api/rate-limits", (b) => b.rate_limits ?? []),
      getJson<ReconcileReport>(`/api/reconcile${query(params)}`).catch((err) => {
        if (err instanceof Unauthorized) throw err;
        return null; // a server without it: shown as not available
      }),
    ]).then(([byGroup, byModel, series, budgets, limits, reconcile]) => {
      if (!live) return;
      performance.mark("summary answered");
      setNeedToken("no");
      setData({
        byGroup,
        byModel: byModel ?? byGroup,
        chart: stack(series.groups, win.bucket, win.fromMs, win.toMs),
        bucket: win.bucket,
        budgets,
        limits,
        reconcile,
      });
    }, (err) => live && fail(err));
    return () => void (live = false);
  }, [range, dimension, reload]);
  // After the panels' own layout effects (the chart draws in one): the summary is drawn.
  useLayoutEffect(() => void (data !== null && markLoaded("summary")), [data]);

  if (needToken !== "no") {
    return html`<${TokenPrompt} refused=${needToken === "refused"}
      onToken=${(t: string) => (setToken(t), setReload(reload + 1), setNeedToken("checking"))} />`;
  }
  const dimLabel = DIMENSIONS.find(([d]) => d === dimension)?.[1] ?? dimension;
  // The keys and request panels stand outside the summary's "Loading…", so that their reads start with the
  // summary's instead of after it has drawn (120–450 ms later, bench/dashboard-render.ts).
  // Suggestions for the request filters: the models seen, and the grouped field's values when it is filterable.
  const known: Record<string, string[]> = {};
  if (data) {
    const keys = (u: Usage) => u.groups.flatMap((g) => (g.key === null ? [] : [g.key]));
    known.model = keys(data.byModel);
    if (dimension !== "key_id") known[dimension] = keys(data.byGroup);
  }
  return html`<header class="top"><h1>Kestrel</h1>
      <nav aria-label="Other pages"><a href="/about">Providers</a> <a href="/providers">/providers</a>
        <a href="/health">/health</a></nav></header>
    <main>
      <form class="controls" aria-label="Range and grouping" onSubmit=${(e: Event) => (e.preventDefault(), setRange({ ...draft }))}>
        <fieldset><legend>Range</legend><div class="seg">${PRESETS.map(([p, text]) =>
    html`<button type="button" aria-pressed=${draft.preset === p}
            onClick=${() => (setDraft({ ...draft, preset: p }), p !== "custom" && setRange({ ...draft, preset: p }))}>${text}</button>`
  )}</div>
          ${draft.preset === "custom" && html`<div class="custom"><label>From<input type="date" name="from" required value=${draft.from}
            onInput=${(e: Event) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} /></label>
            <label>To<input type="date" name="to" required value=${draft.to}
            onInput=${(e: Event) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} /></label>
            <button type="submit">Show</button></div>`}</fieldset>
        <label class="group">Group by<select name="group" value=${dimension}
          onChange=${(e: Event) => setDimension((e.target as HTMLSelectElement).value)}>${DIMENSIONS.map(([d, text]) =>
    html`<option value=${d}>${text}</option>`
  )}</select></label>
        <button type="button" class="secondary" onClick=${() => setReload(reload + 1)}>Refresh</button>
      </form>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${
    data === null ? html`<p class="empty" aria-live="polite">Loading…</p>` : html`<div aria-live="polite" class="range-note small">
        ${range.preset === "custom" ? `${range.from} to ${range.to} (UTC)` : `Last ${PRESETS.find(([p]) => p === range.preset)?.[1]}`},
        by ${dimLabel.toLowerCase()}</div>
      <${TotalsPanel} total=${data.byGroup.total} />
      <section class="panel wide" aria-labelledby="spend-h"><h2 id="spend-h">Spend over time by ${dimLabel.toLowerCase()}${" "}<span class="small">(per ${data.bucket}, UTC)</span></h2>
        <${SpendChart} data=${data.chart} bucket=${data.bucket} /></section>
      <div class="grid">
        <${TopTable} groups=${data.byGroup.groups} total=${data.byGroup.total} dimension=${dimLabel} />
        <${UnitKinds} total=${data.byGroup.total} />
        <${Unpriced} groups=${data.byModel.groups} />
        <${Budgets} budgets=${data.budgets} />
        <${RateLimits} limits=${data.limits} />
      </div>
      <${Reconciliation} report=${data.reconcile} />`
  }
      <${KeysPanel} range=${win.params} refresh=${reload} onError=${fail} />
      ${open && html`<${RequestDetail} id=${open} onClose=${() => setOpen(null)} onError=${fail} />`}
      <${RequestList} range=${win.params} refresh=${reload} known=${known} onError=${fail} onOpen=${setOpen} />
    </main>`;
}

render(html`<${App} />`, document.getElementById("app")!);
