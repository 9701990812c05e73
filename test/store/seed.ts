/** Shared set-up for the /api and CLI tests: a seeded store, and the API mounted the way the app mounts it. */
import { Hono } from "hono";
import { type ApiRouteOptions, createApiRoutes } from "../../src/routes/api.ts";
import type { Db } from "../../src/store/db.ts";
import { createStore, type Store } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { makeRecord } from "./helpers.ts";

export const NOW = Date.parse("2026-11-21T00:00:00.000Z");

/** 150 records over ~2.5 minutes plus a few with awkward values. */
export function sampleRecords(): UsageRecord[] {
  const records = Array.from({ length: 150 }, (_, i) => makeRecord(i));
  records.push(
    makeRecord(150, { user: "=evil()", project: 'a,"b"', model: null, priced: false, cost_pico: null, tags: [] }),
    makeRecord(151, { outcome: "client_aborted", status: 0, usage_native: { nested: { x: [1, 2] } } }),
    makeRecord(152, {
      ts: "2026-11-21T03:00:00.000Z",
      user: "zoë\nnewline",
      provider: "gemini",
      model: "gemini-2.5-pro",
    }),
  );
  return records;
}

export async function seededStore(db: Db, records = sampleRecords()): Promise<Store> {
  const store = createStore(db);
  for (const r of records) store.add(r);
  await store.flush();
  return store;
}

export function mountApi(
  store: Store,
  access: { adminToken?: string | null; loopbackOnly?: boolean } = {},
  control: ApiRouteOptions["control"] = null,
): Hono {
  const app = new Hono();
  app.route(
    "/api",
    createApiRoutes({
      store,
      adminToken: access.adminToken ?? null,
      loopbackOnly: access.loopbackOnly ?? true,
      now: () => NOW,
      control,
    }),
  );
  // A local client names a loopback host; a test that means otherwise sets its own Host (even an empty one).
  const request = app.request.bind(app);
  app.request = ((input, init, ...rest) => {
    const headers = new Headers(init?.headers);
    if (!headers.has("host")) headers.set("host", "localhost");
    return request(input, { ...init, headers }, ...rest);
  }) as typeof app.request;
  return app;
}
