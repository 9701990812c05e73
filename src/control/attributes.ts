/** @module The attributes a request is matched on, the same before forwarding (check) and after (settle). */
import type { ProviderSpec, RequestFacts } from "../providers/types.ts";
import { credentialOf, fingerprint, projectOf, tagsOf, userOf } from "../sink/attribution.ts";
import type { UsageRecord } from "../usage/record.ts";
import type { Attributes } from "./types.ts";

/**
 * Before forwarding. `model` is what the client asked for (a response names a dated snapshot), so a budget scoped to
 * `gpt-4o` sees both the check and the spend of its requests.
 */
export async function requestAttributes(spec: ProviderSpec, facts: RequestFacts): Promise<Attributes> {
  const credential = credentialOf(facts.headers, facts.query);
  return {
    key_id: credential === null ? null : await fingerprint(credential),
    user: userOf(facts.headers, facts.body),
    project: projectOf(facts.headers),
    provider: spec.id,
    model: spec.requestModel(facts),
    tags: tagsOf(facts.headers),
  };
}

/** After the exchange, from its record (same fingerprint, user, project, tags) and the requested model. */
export function recordAttributes(record: UsageRecord, requestedModel: string | null): Attributes {
  return {
    key_id: record.key_id,
    user: record.user,
    project: record.project,
    provider: record.provider,
    model: requestedModel,
    tags: record.tags,
  };
}
