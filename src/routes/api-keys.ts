/**
 * @module /api/keys (mounted at /api, behind the admin token): Kestrel keys' CRUD and rotation
 * (docs/architecture.md §20). The secret is in the create and rotate answers only. Every write reloads this
 * instance's key ring at once; other instances see it at their next poll (src/keys/ring.ts).
 */
import { type Context, Hono } from "hono";
import { errorResponse } from "../errors.ts";
import type { KeyRing } from "../keys/ring.ts";
import type { KeyStore } from "../keys/store.ts";
import { createKey, KeyInputError, ownDefinitions, parseSpan, patchKey, rotateKey } from "../keys/manage.ts";
import { type KestrelKey, viewOf } from "../keys/types.ts";
import type { StoreControl } from "../store/control-store.ts";
import { seal } from "../keys/vault.ts";
import { PROVIDER_IDS } from "../resolve/routes.ts";

export interface KeyRouteOptions {
  keys: KeyStore;
  ring: KeyRing;
  /** Where a key's `budget_usd` / rpm / tpm definitions go; null: those fields are refused. */
  control: { store: StoreControl; onChange(kind: "budget" | "rate_limit", id: string): void | Promise<void> } | null;
  now(): number;
  /** Provider id → source of the config file's secrets: those are changed in the file, not here (409). */
  configured: Readonly<Record<string, string>>;
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new KeyInputError("body", "must be a JSON object");
  }
}

const notFound = (id: string) => errorResponse("not_found", 404, `No Kestrel key ${JSON.stringify(id)}`);

export function createKeyRoutes(opts: KeyRouteOptions): Hono {
  const { keys, ring } = opts;
  const app = new Hono();
  const save = async (key: KestrelKey) => {
    await keys.put(key);
    await ring.reload();
  };

  app.get("/keys", async (c) => c.json({ keys: (await keys.list()).map(viewOf) }));
  app.post("/keys", async (c) => {
    const created = await createKey(await jsonBody(c), opts.now());
    if ((created.budget !== null || created.rateLimit !== null) && opts.control === null) {
      throw new KeyInputError("budget_usd", "needs spend control, which this server does not run");
    }
    await save(created.key);
    if (created.budget !== null) {
      await opts.control!.store.putBudget(created.budget);
      await opts.control!.onChange("budget", created.budget.id);
    }
    if (created.rateLimit !== null) {
      await opts.control!.store.putRateLimit(created.rateLimit);
      await opts.control!.onChange("rate_limit", created.rateLimit.id);
    }
    return c.json({
      key: viewOf(created.key),
      secret: created.secret,
      budget_id: created.budget?.id ?? null,
      rate_limit_id: created.rateLimit?.id ?? null,
    }, 201);
  });
  app.get("/keys/:id", async (c) => {
    const key = await keys.get(c.req.param("id"));
    return key === null ? notFound(c.req.param("id")) : c.json(viewOf(key));
  });
  app.patch("/keys/:id", async (c) => {
    const key = await keys.get(c.req.param("id"));
    if (key === null) return notFound(c.req.param("id"));
    const changed = patchKey(key, await jsonBody(c), opts.now());
    await save(changed);
    return c.json(viewOf(changed));
  });
  app.delete("/keys/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await keys.remove(id))) return notFound(id);
    await ring.reload();
    if (opts.control !== null) {
      const own = ownDefinitions(id);
      if (await opts.control.store.deleteBudget(own.budget)) await opts.control.onChange("budget", own.budget);
      if (await opts.control.store.deleteRateLimit(own.rateLimit)) await opts.control.onChange("rate_limit", own.rateLimit);
    }
    return c.body(null, 204);
  });
  app.post("/keys/:id/rotate", async (c) => {
    const key = await keys.get(c.req.param("id"));
    if (key === null) return notFound(c.req.param("id"));
    const body = await jsonBody(c) as { grace?: unknown };
    const grace = body.grace === undefined || body.grace === null || body.grace === "0" ? 0 : parseSpan(String(body.grace), "grace");
    const rotated = await rotateKey(key, grace, opts.now());
    await save(rotated.key);
    return c.json({ key: viewOf(rotated.key), secret: rotated.secret });
  });
  // Provider secrets: write-only. The answer names providers and where their secret comes from, never a value.
  app.get("/provider-keys", (c) =>
    c.json({
      provider_keys: [
        ...Object.entries(opts.configured).map(([provider, source]) => ({ provider, source })),
        ...ring.runtimeProviders.filter((p) => !(p in opts.configured)).map((provider) => ({ provider, source: "store (encrypted)" })),
      ],
    }));
  const writable = (provider: string): Response | null => {
    if (!PROVIDER_IDS.includes(provider)) return errorResponse("unknown_provider", 400, `Unknown provider ${JSON.stringify(provider)}`);
    if (provider in opts.configured) {
      return errorResponse("defined_in_config", 409, `The secret for ${provider} comes from the config file (${opts.configured[provider]}): change it there`);
    }
    if (ring.master === null) {
      return errorResponse("master_key_missing", 409, "Set KESTREL_MASTER_KEY or --master-key-file to store provider secrets");
    }
    return null;
  };
  app.put("/provider-keys/:provider", async (c) => {
    const provider = c.req.param("provider");
    const refused = writable(provider);
    if (refused) return refused;
    const { secret } = (await jsonBody(c)) as { secret?: unknown };
    if (typeof secret !== "string" || secret.trim() === "") throw new KeyInputError("secret", "must be a non-empty string");
    await keys.putSealed(provider, await seal(ring.master!, provider, secret.trim()));
    await ring.reload();
    return c.body(null, 204);
  });
  app.delete("/provider-keys/:provider", async (c) => {
    const provider = c.req.param("provider");
    const refused = writable(provider);
    if (refused) return refused;
    await keys.putSealed(provider, null);
    await ring.reload();
    return c.body(null, 204);
  });
  app.onError((err) => {
    if (err instanceof KeyInputError) {
      return new Response(JSON.stringify({ error: { code: err.code, message: err.message, field: err.field } }), {
        status: 400,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    }
    return errorResponse("internal_error", 500, `Key request failed: ${err.message}`);
  });
  return app;
}
