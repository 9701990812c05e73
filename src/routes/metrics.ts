/** @module GET /metrics: Prometheus text exposition, behind the same admin-token rule as /api. */
import { Hono } from "hono";
import { apiAuth } from "./api-auth.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function createMetricsRoutes(options: { adminToken: string | null; loopbackOnly: boolean; render(): string }): Hono {
  const app = new Hono();
  app.get("/metrics", apiAuth(options.adminToken, options.loopbackOnly), () =>
    new Response(options.render(), { headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" } }));
  return app;
}
