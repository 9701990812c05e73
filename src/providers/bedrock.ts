/**
 * @module AWS Bedrock Runtime (`aws-bedrock`). Paths after routing are `/model/{modelId}/{action}` with the
 * model id URL-encoded (inference profiles and ARNs included). Metered actions: `converse`,
 * `converse-stream`, `invoke`, `invoke-with-response-stream`, and the OpenAI-compatible
 * `/openai/v1/chat/completions`. Not metered: `count-tokens` (free), async invoke, guardrails, and the
 * control plane.
 */
import { OPENAI } from "../usage/normalize-openai.ts";
import { createConverseAccumulator, createInvokeAccumulator } from "./bedrock-stream.ts";
import { bodyModel, segmentAfter, trimmedPath } from "./facts.ts";
import { createOpenAiStyleAccumulator } from "./openai.ts";
import { acceptsStreamUsage } from "./stream-usage.ts";
import type { ProviderSpec, RequestFacts } from "./types.ts";

/** `{modelId}` of `/model/{modelId}/…`, URL-decoded (`%3A` → `:`, `%2F` → `/` in ARNs), or null. */
export function bedrockModel(facts: RequestFacts): string | null {
  return segmentAfter(facts.path, "/model/", false);
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * The AWS region of a client path `/aws-bedrock/{runtime}/{region}/…` (prices differ by region: the table's
 * `bedrock/{region}/…` rows), or null.
 */
export function bedrockRegion(clientPath: string): string | null {
  const segs = clientPath.split("/").filter((s) => s !== "");
  const region = segs[2]?.toLowerCase();
  return region !== undefined && REGION.test(region) ? region : null;
}

function actionOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export const awsBedrock: ProviderSpec = {
  id: "aws-bedrock",
  auth: "unsupported",
  label: "Bedrock",
  logStyle: "bedrock",
  createAccumulator(facts) {
    const path = trimmedPath(facts);
    if (!path.includes("/model/")) return createOpenAiStyleAccumulator(facts, { flavor: OPENAI });
    switch (actionOf(path)) {
      case "converse":
      case "converse-stream":
        return createConverseAccumulator(facts);
      case "invoke":
      case "invoke-with-response-stream":
        return createInvokeAccumulator(facts);
      default:
        return null;
    }
  },
  requestModel: (facts) => bedrockModel(facts) ?? bodyModel(facts),
  // The URL's model id is what AWS bills (`us.anthropic.claude-…-v1:0`); a Claude InvokeModel body names the
  // bare Anthropic model, which has no Bedrock price.
  billedBy: (clientPath) => ({ model: segmentAfter(clientPath, "/model/", false), geo: bedrockRegion(clientPath) }),
  acceptsStreamUsage,
};
