/** @module GET /health, GET /providers and the small about page (the original system's home page, now at /about). */
import { Hono } from "hono";
import { PROVIDER_IDS } from "../resolve/routes.ts";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kestrel</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}li{margin:.1rem 0}</style></head>
<body><h1>Kestrel</h1>
<p>A transparent AI-API gateway that meters every response into exact tokens and cost.
Point your SDK's base URL at <code>http://HOST:PORT/{provider}/…</code>; requests are forwarded unchanged.</p>
<p><a href="/">Dashboard</a> · usage: <a href="/api/usage?since=24h">/api/usage</a> · <a href="/api/requests">/api/requests</a> ·
<a href="/providers">/providers</a> · <a href="/health">/health</a> ·
docs: <a href="https://github.com/kestrel-ai/kestrel#readme">README</a></p>
<h2>Providers</h2><ul>${PROVIDER_IDS.map((id) => `<li><code>/${id}/…</code></li>`).join("")}</ul>
</body></html>`;

export function createHomeRoutes(): Hono {
  const app = new Hono();
  app.all("/health", (c) => c.text("Healthy"));
  app.all("/health/*", (c) => c.text("Healthy"));
  app.get("/providers", (c) => c.json(PROVIDER_IDS));
  app.get("/about", (c) => c.html(PAGE));
  return app;
}
