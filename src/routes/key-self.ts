/**
 * @module GET /kestrel/v1/key: a Kestrel key answers about itself (docs/architecture.md §20) — its limits, its
 * budgets' spend and what is left, its expiry; nothing about other keys. The key is the credential, sent as to a
 * provider (any place src/keys/gate.ts accepts), so an app can show its quota with the key it already holds.
 */
import type { Control } from "../control/types.ts";
import { errorResponse } from "../errors.ts";
import { type KeyOptions, kestrelSecretOf } from "../keys/gate.ts";
import { KeyRefusal, viewOf } from "../keys/types.ts";
import { budgetView, rateLimitView } from "./api-budgets.ts";

export async function keySelf(req: Request, query: string, keys: KeyOptions | null, control: Control | null, now: number): Promise<Response> {
  if (keys === null) return errorResponse("not_found", 404, "Kestrel keys are not enabled on this server");
  try {
    const key = await keys.ring.identify(kestrelSecretOf(req.headers, query, true)!, "");
    const { models, providers, expires_at, disabled, id, name, user, project, tags } = viewOf(key);
    const mine = (scope: { kestrel_key?: string }) => scope.kestrel_key === id;
    const budgets = control === null ? [] : control.budgetStates(now).filter((s) => mine(s.budget.scope)).map((s) => budgetView(s.budget, s));
    const rateLimits = control === null ? [] : control.rateLimitStates(now).filter((s) => mine(s.limit.scope)).map((s) => rateLimitView(s.limit, s));
    return Response.json({
      id,
      name,
      user,
      project,
      tags,
      models,
      providers,
      disabled,
      expires_at: expires_at === null ? null : new Date(expires_at).toISOString(),
      budgets,
      rate_limits: rateLimits,
    });
  } catch (err) {
    if (err instanceof KeyRefusal) return errorResponse(err.code, err.status, err.message);
    throw err;
  }
}
