/// <reference lib="dom" />
/**
 * @module The keys panel (docs/architecture.md §20): Kestrel keys with their spend in the range shown, create (the
 * secret is shown once, in this panel only, until dismissed), disable / enable and rotate.
 */
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, type KeyView, sendJson, type Usage } from "./api.ts";
import { money, time } from "./format.ts";
import { markLoaded, markLoading } from "./ready.ts";

export function KeysPanel(props: { range: Record<string, string | null>; refresh: number; onError(err: unknown): void }) {
  const [keys, setKeys] = useState<KeyView[] | null>(null);
  const [spend, setSpend] = useState<Map<string, string>>(new Map());
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [form, setForm] = useState({ name: "", models: "", budget: "" });
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const params = new URLSearchParams({ group_by: "key_id" });
    for (const [k, v] of Object.entries(props.range)) if (v) params.set(k, v);
    markLoading("keys");
    // The spend by key only when there are keys to show it for: without, the report would be read for nothing.
    getJson<{ keys: KeyView[] }>("/api/keys").catch(() => null).then(async (listed) => {
      const usage = listed === null || listed.keys.length === 0 ? null : await getJson<Usage>(`/api/usage?${params}`);
      setKeys(listed === null ? null : listed.keys);
      setSpend(new Map(usage?.groups.flatMap((g) => (g.key === null ? [] : [[g.key, g.cost_usd] as [string, string]])) ?? []));
      markLoaded("keys");
    }).catch(props.onError);
  }, [JSON.stringify(props.range), props.refresh, version]);

  const act = (work: Promise<unknown>) => work.then(() => setVersion(version + 1), props.onError);
  const create = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: form.name };
    if (form.models.trim() !== "") body.models = form.models;
    if (form.budget.trim() !== "") Object.assign(body, { budget_usd: form.budget.trim(), window: "month" });
    act(sendJson<{ key: KeyView; secret: string }>("POST", "/api/keys", body).then((r) => {
      setSecret({ id: r.key.id, secret: r.secret });
      setForm({ name: "", models: "", budget: "" });
    }));
  };
  const rotate = (id: string) =>
    act(sendJson<{ secret: string }>("POST", `/api/keys/${encodeURIComponent(id)}/rotate`, { grace: "24h" }).then((r) => setSecret({ id, secret: r.secret })));

  return html`<section class="panel wide" aria-labelledby="keys-h"><h2 id="keys-h">Kestrel keys</h2>
    ${secret && html`<div class="secret" role="status" data-testid="new-secret"><p>Secret for ${secret.id}, shown once — copy it now:</p>
      <code>${secret.secret}</code> <button type="button" class="secondary" onClick=${() => setSecret(null)}>Done</button></div>`}
    ${
    keys === null
      ? html`<p class="empty">Keys are not available on this server.</p>`
      : keys.length === 0
      ? html`<p class="empty">No Kestrel keys yet.</p>`
      : html`<div class="scroll"><table data-testid="keys"><thead><tr><th scope="col">Key</th><th scope="col">Name</th>
        <th scope="col">User / project</th><th scope="col">Models</th><th scope="col" class="num">Spend</th>
        <th scope="col">Expires</th><th scope="col"></th></tr></thead>
        <tbody>${keys.map((k) =>
        html`<tr><td><code>${k.prefix}…</code> <span class="small">${k.id}</span></td><td>${k.name}${k.disabled ? " (disabled)" : ""}</td>
          <td>${k.user ?? "—"} / ${k.project ?? "—"}</td><td>${k.models.join(", ") || "any"}</td>
          <td class="num">${money(spend.get(k.id) ?? "0")}</td>
          <td>${k.expires_at === null ? "never" : time(new Date(k.expires_at).toISOString())}</td>
          <td><button type="button" class="secondary" onClick=${() => act(sendJson("PATCH", `/api/keys/${encodeURIComponent(k.id)}`, { disabled: !k.disabled }))}>
            ${k.disabled ? "Enable" : "Disable"}</button>
            <button type="button" class="secondary" onClick=${() => rotate(k.id)}>Rotate</button></td></tr>`
      )}</tbody></table></div>`
  }
    ${keys !== null && html`<form class="filters" onSubmit=${create} aria-label="Create a key">
      <div class="field"><label for="k-name">name</label><input id="k-name" required value=${form.name}
        onInput=${(e: Event) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} /></div>
      <div class="field"><label for="k-models">models</label><input id="k-models" placeholder="gpt-4o-mini,claude-*" value=${form.models}
        onInput=${(e: Event) => setForm({ ...form, models: (e.target as HTMLInputElement).value })} /></div>
      <div class="field"><label for="k-budget">USD a month</label><input id="k-budget" inputmode="decimal" value=${form.budget}
        onInput=${(e: Event) => setForm({ ...form, budget: (e.target as HTMLInputElement).value })} /></div>
      <div class="buttons"><button type="submit">Create key</button></div></form>`}
  </section>`;
}
