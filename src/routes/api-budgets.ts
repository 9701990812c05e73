/** @module /api/budgets and /api/rate-limits: definitions (stored) with each budget's live window (from Control). */
import { type Context, Hono } from "hono";
import { errorResponse } from "../errors.ts";
import { DefinitionError, parseBudget, parseRateLimit } from "../control/definitions.ts";
import type { Budget, BudgetState, Control, ControlStore, RateLimit, RateLimitState } from "../control/types.ts";
import { DefinedInConfig } from "../store/definitions.ts";
import { decimalToScaled } from "../pricing/decimal.ts";
import { usd } from "../pricing/money.ts";

export interface BudgetRouteOptions {
  /** Where definitions live (the store's `control`). */
  store: ControlStore;
  /** The running control plane: spend and windows for GET. */
  control: Control;
  /**
   * Called after every successful PUT or DELETE so the server applies it at once rather than at its next poll.
   * A returned promise is awaited, so the answer already reflects it. Must not throw.
   */
  onChange(kind: "budget" | "rate_limit", id: string): void | Promise<void>;
  now(): number;
}

/** A budget as the API shows it: the definition and where its current window stands. */
export interface BudgetView extends Budget {
  spent_usd: string;
  spent_tokens: number;
  /** Upper bounds held by admitted requests still running (docs/architecture.md §12). */
  reserved_usd: string;
  reserved_tokens: number;
  /** Limit minus spend and reservations, never below zero; null without a USD limit. */
  remaining_usd: string | null;
  window_start: string | null;
  resets_at: string | null;
}

/** A definition the control plane has not loaded yet has spent nothing that it knows of. */
export function budgetView(budget: Budget, state: BudgetState | undefined): BudgetView {
  const spent = state?.spent_pico ?? 0n;
  const reserved = state?.reserved_pico ?? 0n;
  let remaining: string | null = null;
  if (budget.limit_usd !== null) {
    const limit = decimalToScaled(budget.limit_usd, 12);
    if (limit !== null) {
      const left = limit - spent - reserved;
      remaining = usd(left > 0n ? left : 0n);
    }
  }
  return {
    ...budget,
    spent_usd: usd(spent),
    spent_tokens: state?.spent_tokens ?? 0,
    reserved_usd: usd(reserved),
    reserved_tokens: state?.reserved_tokens ?? 0,
    remaining_usd: remaining,
    window_start: state?.window_start ?? null,
    resets_at: state?.resets_at ?? null,
  };
}

/** A rate limit as the API shows it: the definition and its current minute. */
export interface RateLimitView extends RateLimit {
  state: Pick<RateLimitState, "requests" | "tokens" | "full_on" | "frees_at">;
}

/** A definition the control plane has not loaded yet has counted nothing. */
export function rateLimitView(limit: RateLimit, state: RateLimitState | undefined): RateLimitView {
  return {
    ...limit,
    state: {
      requests: state?.requests ?? 0,
      tokens: state?.tokens ?? 0,
      full_on: state?.full_on ?? null,
      frees_at: state?.frees_at ?? null,
    },
  };
}

/** `{"error":{"code","message","field"}}`: the member at fault, for scripts. */
function invalid(code: string, err: DefinitionError): Response {
  return new Response(JSON.stringify({ error: { code, message: err.message, field: err.field } }), {
    status: 400,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** The body as JSON with the path's id filled in; a different id in the body is refused. */
async function definitionBody(c: Context, id: string): Promise<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new DefinitionError("body", "The request body must be a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DefinitionError("body", "The request body must be a JSON object");
  }
  const named = (body as { id?: unknown }).id;
  if (named !== undefined && named !== id) {
    throw new DefinitionError("id", `"id" ${JSON.stringify(named)} differs from the path's ${JSON.stringify(id)}`);
  }
  return { ...body, id };
}

const notFound = (what: string, id: string) => errorResponse("not_found", 404, `No ${what} ${JSON.stringify(id)}`);

/** A write the config file would revert: 409, the file is where it changes. */
async function unlessInConfig(write: () => Promise<Response>): Promise<Response> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof DefinedInConfig) return errorResponse(err.code, 409, err.message);
    throw err;
  }
}

/** Routes relative to /api; mount after the /api auth middleware. */
export function createBudgetRoutes(opts: BudgetRouteOptions): Hono {
  const { store, control } = opts;
  const app = new Hono();

  const views = async (): Promise<BudgetView[]> => {
    const states = new Map(control.budgetStates(opts.now()).map((s) => [s.budget.id, s]));
    return (await store.listBudgets()).map((b) => budgetView(b, states.get(b.id)));
  };
  const view = async (id: string) => {
    const budget = await store.getBudget(id);
    return budget === null ? undefined : budgetView(budget, control.budgetState(id, opts.now()) ?? undefined);
  };

  app.get("/budgets", async (c) => c.json({ budgets: await views() }));
  app.get("/budgets/:id", async (c) => {
    const found = await view(c.req.param("id"));
    return found ? c.json(found) : notFound("budget", c.req.param("id"));
  });
  app.put("/budgets/:id", async (c) => {
    const id = c.req.param("id");
    let budget: Budget;
    try {
      budget = parseBudget(await definitionBody(c, id));
    } catch (err) {
      if (err instanceof DefinitionError) return invalid("invalid_budget", err);
      throw err;
    }
    return unlessInConfig(async () => {
      await store.putBudget(budget);
      await opts.onChange("budget", id);
      return c.json((await view(id)) ?? budgetView(budget, undefined));
    });
  });
  app.delete("/budgets/:id", (c) =>
    unlessInConfig(async () => {
      const id = c.req.param("id");
      if (!(await store.deleteBudget(id))) return notFound("budget", id);
      await opts.onChange("budget", id);
      return c.body(null, 204);
    }));

  const limitViews = async (): Promise<RateLimitView[]> => {
    const states = new Map(control.rateLimitStates(opts.now()).map((s) => [s.limit.id, s]));
    return (await store.listRateLimits()).map((l) => rateLimitView(l, states.get(l.id)));
  };

  app.get("/rate-limits", async (c) => c.json({ rate_limits: await limitViews() }));
  const limitView = async (id: string) => {
    const limit = await store.getRateLimit(id);
    return limit === null ? undefined : rateLimitView(limit, control.rateLimitState(id, opts.now()) ?? undefined);
  };
  app.get("/rate-limits/:id", async (c) => {
    const id = c.req.param("id");
    const found = await limitView(id);
    return found ? c.json(found) : notFound("rate limit", id);
  });
  app.put("/rate-limits/:id", async (c) => {
    const id = c.req.param("id");
    let limit: RateLimit;
    try {
      limit = parseRateLimit(await definitionBody(c, id));
    } catch (err) {
      if (err instanceof DefinitionError) return invalid("invalid_rate_limit", err);
      throw err;
    }
    return unlessInConfig(async () => {
      await store.putRateLimit(limit);
      await opts.onChange("rate_limit", id);
      return c.json((await limitView(id)) ?? rateLimitView(limit, undefined));
    });
  });
  app.delete("/rate-limits/:id", (c) =>
    unlessInConfig(async () => {
      const id = c.req.param("id");
      if (!(await store.deleteRateLimit(id))) return notFound("rate limit", id);
      await opts.onChange("rate_limit", id);
      return c.body(null, 204);
    }));
  app.onError((err) => errorResponse("internal_error", 500, `Definition request failed: ${err.message}`));
  return app;
}
