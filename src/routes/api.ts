/** @module /api/requests, /api/requests/:id, /api/usage, /api/export: the stored usage records over HTTP (mounted at /api). */
import { type Context, Hono } from "hono";
import { errorResponse } from "../errors.ts";
import { createExportFormatter, framedChunks } from "../store/export-format.ts";
import { isNullJson, textReads, type Utf8 } from "../store/text-reads.ts";
import { parseCursor, type Parsed, parseFilter, parseFormat, parseGrouping, parseLimit } from "../store/query-params.ts";
import type { Store } from "../store/store.ts";
import type { Control } from "../control/types.ts";
import { apiAuth } from "./api-auth.ts";
import { createBudgetRoutes } from "./api-budgets.ts";
import { createReconcileRoutes, type ReconcileRouteOptions } from "./api-reconcile.ts";
import { byteStream } from "./api-stream.ts";

export interface ApiRouteOptions {
  store: Store;
  /** Bearer token required on every /api route, or null. */
  adminToken: string | null;
  /** True when the server listens only on loopback (then no token is needed). */
  loopbackOnly: boolean;
  now(): number;
  /**
   * Spend control for /api/budgets and /api/rate-limits (definitions from `store.control`); those routes are
   * absent without it. `onChange` runs after every definition write (see BudgetRouteOptions).
   */
  control?: { control: Control; onChange(kind: "budget" | "rate_limit", id: string): void | Promise<void> } | null;
  /** /api/keys (src/routes/api-keys.ts), behind the same auth; absent without a key ring. */
  keys?: Hono | null;
  /** /api/reconcile (docs/architecture.md §19); absent without it. */
  reconcile?: Omit<ReconcileRouteOptions, "store" | "now"> | null;
}

/** Thrown by `need` so each handler reads as a straight line; turned into a 400 below. */
class InvalidQuery extends Error {}

function need<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new InvalidQuery(parsed.message);
  return parsed.value;
}

const KNOWN = new Set(["provider", "model", "key_id", "user", "project", "outcome", "since", "until"]);

/** Unknown parameters are refused: a typo (`modle=`) would otherwise silently widen the result. */
function checkNames(c: Context, allowed: readonly string[]): void {
  for (const name of Object.keys(c.req.queries())) {
    if (!KNOWN.has(name) && !allowed.includes(name)) {
      throw new InvalidQuery(`Unknown parameter ${JSON.stringify(name)}`);
    }
  }
}

/** Reads the first item now (so its error surfaces here), then yields it and the rest. */
async function prefetch<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      } finally {
        await it.return?.();
      }
    },
  };
}

export function createApiRoutes(opts: ApiRouteOptions): Hono {
  const { store } = opts;
  // Bodies come as UTF-8 bytes from the store (made off the event loop on SQLite); `c.json` would stringify and
  // encode the same value here.
  const reads = textReads(store);
  const json = (c: Context, bytes: Utf8) => c.body(bytes, 200, { "content-type": "application/json" });
  const app = new Hono();
  app.use("*", apiAuth(opts.adminToken, opts.loopbackOnly));

  const filterOf = (c: Context) => need(parseFilter((name) => c.req.query(name), opts.now()));

  app.get("/requests", async (c) => {
    checkNames(c, ["limit", "before"]);
    const filter = filterOf(c);
    const limit = need(parseLimit(c.req.query("limit")));
    const before = need(parseCursor(c.req.query("before")));
    return json(c, await reads.listRequests(filter, { limit, before }));
  });

  app.get("/requests/:id", async (c) => {
    const id = c.req.param("id");
    const record = await reads.getRequest(id);
    if (isNullJson(record)) return errorResponse("not_found", 404, `No request with id ${JSON.stringify(id)}`);
    return json(c, record);
  });

  app.get("/usage", async (c) => {
    checkNames(c, ["group_by"]);
    const filter = filterOf(c);
    return json(c, await reads.usage(filter, need(parseGrouping(c.req.query("group_by")))));
  });

  app.get("/export", async (c) => {
    checkNames(c, ["format"]);
    const filter = filterOf(c);
    const format = need(parseFormat(c.req.query("format")));
    const formatter = createExportFormatter(format); // its head and tail; the pages come formatted
    // The first page is read before answering: a failing store is a 500, not a 200 with a cut body.
    const pages = await prefetch(reads.exportPages(filter, format));
    const body = byteStream(framedChunks(pages, formatter));
    return new Response(body, {
      headers: {
        "content-type": formatter.contentType,
        "content-disposition": `attachment; filename="kestrel-requests.${formatter.extension}"`,
        "cache-control": "no-store",
      },
    });
  });

  if (opts.control) {
    app.route(
      "/",
      createBudgetRoutes({ store: store.control, ...opts.control, now: opts.now }),
    );
  }

  if (opts.reconcile) app.route("/", createReconcileRoutes({ ...opts.reconcile, store, now: opts.now }));
  if (opts.keys) app.route("/", opts.keys);

  // A catch-all route rather than notFound(): a mounted sub-app's notFound is not used by the parent.
  app.all(
    "*",
    (c) => errorResponse("not_found", 404, `No API route ${JSON.stringify(`${c.req.method} ${c.req.path}`)}`),
  );
  app.onError((err) => {
    if (err instanceof InvalidQuery) return errorResponse("invalid_query", 400, err.message);
    return errorResponse("internal_error", 500, `Usage query failed: ${err.message}`);
  });
  return app;
}
