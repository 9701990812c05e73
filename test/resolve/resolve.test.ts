import assert from "node:assert/strict";
import { test } from "node:test";
import { ProxyError } from "../../src/errors.ts";
import { createResolver } from "../../src/resolve/resolve.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { MAPPINGS } from "../_helpers/mappings.ts";

const resolve = createResolver();


function split(client: string): [string, string] {
  const q = client.indexOf("?");
  return q < 0 ? [client, ""] : [client.slice(0, q), client.slice(q)];
}

test("every one of the 26 providers has a mapping row", () => {
  const covered = new Set(MAPPINGS.map(([c]) => c.split("/")[1]));
  assert.deepEqual([...covered].sort(), [...PROVIDER_IDS]);
  assert.equal(PROVIDER_IDS.length, 26);
});

for (const [client, upstream] of MAPPINGS) {
  test(`maps ${client}`, () => {
    assert.equal(resolve(...split(client)).url, upstream);
  });
}

const SPECIAL: [client: string, upstream: string, why: string][] = [
  ["/OpenAI/v1/models", "https://api.openai.com/v1/models", "provider name is case-insensitive"],
  ["/openai/v1/models/", "https://api.openai.com/v1/models/", "trailing slash kept"],
  ["/openai", "https://api.openai.com/", "bare provider maps to /"],
  ["/openai/v1/files/a%2Fb%3Fc?x=%20y&key=k", "https://api.openai.com/v1/files/a%2Fb%3Fc?x=%20y&key=k", "escapes and query forwarded byte for byte"],
  ["/openai/v1//double", "https://api.openai.com/v1//double", "rest of the path is not normalised"],
  ["/google-vertex-ai/projects/p/locations/global/publishers/google/models/m:generateContent", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/m:generateContent", "global location has no regional host"],
  ["/google-vertex-ai/v1beta1/projects/p/locations/europe-west4/endpoints/e:predict", "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/p/locations/europe-west4/endpoints/e:predict", "explicit version honoured"],
  ["/google-vertex-ai/v1beta1/publishers/google/models/m:generateContent", "https://aiplatform.googleapis.com/v1beta1/publishers/google/models/m:generateContent", "Vertex express mode (no project): the global host"],
  ["/google-vertex-ai/publishers/google/models/m:streamGenerateContent?alt=sse", "https://aiplatform.googleapis.com/v1/publishers/google/models/m:streamGenerateContent?alt=sse", "Vertex express mode, default version"],
  ["/aws-bedrock/bedrock-runtime/eu-west-1", "https://bedrock-runtime.eu-west-1.amazonaws.com/", "runtime and region only"],
  ["/azure-openai/res/dep", "https://res.openai.azure.com/openai/deployments/dep", "resource and deployment only"],
  ["/azure-openai/res/openai/realtime?api-version=2025-04-01-preview&deployment=d", "https://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=d", "Azure's own path (Realtime) passes on"],
  ["/azure-openai/res/openai/v1/responses", "https://res.openai.azure.com/openai/v1/responses", "Azure's v1 API passes on"],
  ["/azure-openai/res/openai/deployments/openai/chat/completions", "https://res.openai.azure.com/openai/deployments/openai/chat/completions", "a deployment named openai, by Azure's own path"],
  ["/google-vertex-ai/locations/us-central1/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", "https://us-central1-aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent", "the Live API's WebSocket path: the location picks the host"],
];

for (const [client, upstream, why] of SPECIAL) {
  test(`special: ${why}`, () => {
    assert.equal(resolve(...split(client)).url, upstream);
  });
}

function failure(client: string): ProxyError {
  try {
    resolve(...split(client));
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  assert.fail(`${client} resolved`);
}

// Templated host segments must be one DNS label: anything else could pick a host the client chose.
const SSRF: [client: string, why: string][] = [
  ["/azure-openai/evil.com%2F/dep/chat", "encoded slash and dot in the resource"],
  ["/azure-openai/a.b/dep/chat", "a dot adds a label"],
  ["/azure-openai/x@y/dep/chat", "userinfo"],
  ["/azure-openai/../dep/chat", "dot-dot"],
  ["/azure-openai/Evil.Com/dep/chat", "uppercase plus dots"],
  ["/azure-openai/-res/dep/chat", "leading hyphen"],
  ["/azure-openai/res:8080/dep/chat", "port"],
  ["/aws-bedrock/bedrock-runtime/us-east-1.evil.com/model/x/converse", "region with dots"],
  ["/aws-bedrock/evil.com%23/us-east-1/x", "runtime with an encoded hash"],
  ["/google-vertex-ai/projects/p/locations/evil.com%2F/x", "location with a host"],
  ["/google-vertex-ai/projects/p/locations/" + "a".repeat(64) + "/x", "label longer than 63"],
  // One DNS label each is not enough: {runtime}.{region}.amazonaws.com names every AWS service.
  ["/aws-bedrock/my-bucket/s3/x", "an S3 bucket through the Bedrock template"],
  ["/aws-bedrock/sts/us-east-1/x", "another AWS service (sts)"],
  ["/aws-bedrock/ec2/us-east-1/x", "another AWS service (ec2)"],
  ["/aws-bedrock/bedrock-runtime/s3/x", "a service name in the region slot"],
  ["/aws-bedrock/bedrock-runtime/us-east-1a/x", "an availability zone, not a region"],
  ["/aws-bedrock/bedrock-runtime-evil/us-east-1/x", "a runtime name with a suffix"],
  ["/google-vertex-ai/projects/p/locations/storage/x", "a Vertex location that is no region"],
  ["/google-vertex-ai/projects/p/locations/us/x", "a Vertex multi-region, which has no {location}-aiplatform host"],
];

const REGIONS: [client: string, upstream: string][] = [
  ["/aws-bedrock/bedrock-agent-runtime/us-west-2/agents/a", "https://bedrock-agent-runtime.us-west-2.amazonaws.com/agents/a"],
  ["/aws-bedrock/bedrock/ap-southeast-2/foundation-models", "https://bedrock.ap-southeast-2.amazonaws.com/foundation-models"],
  ["/aws-bedrock/bedrock-runtime/us-gov-west-1/model/m/converse", "https://bedrock-runtime.us-gov-west-1.amazonaws.com/model/m/converse"],
  [
    "/google-vertex-ai/projects/p/locations/northamerica-northeast1/x",
    "https://northamerica-northeast1-aiplatform.googleapis.com/v1/projects/p/locations/northamerica-northeast1/x",
  ],
];

for (const [client, upstream] of REGIONS) {
  test(`accepts ${client.split("/").slice(1, 4).join("/")}`, () => {
    assert.equal(resolve(...split(client)).url, upstream);
  });
}

for (const [client, why] of SSRF) {
  test(`rejects ${why}`, () => {
    const err = failure(client);
    assert.equal(err.code, "invalid_path");
    assert.equal(err.status, 400);
  });
}

test("too few segments for a templated provider is a 400", () => {
  for (const client of ["/azure-openai/res", "/aws-bedrock/x", "/google-vertex-ai/projects/p", "/google-vertex-ai/foo/p/bar/l/x"]) {
    assert.equal(failure(client).code, "invalid_path", client);
  }
});

test("unknown provider is a 404 that lists the providers", () => {
  const err = failure("/x/v1/chat");
  assert.equal(err.status, 404);
  assert.equal(err.code, "unknown_provider");
  assert.equal(err.message, `Unknown provider: "x". Available providers: ${PROVIDER_IDS.join(", ")}`);
  assert.equal(failure("//").message, "Provider name is required in the path");
  assert.equal(failure("/constructor/x").code, "unknown_provider");
});

test("an upstream override replaces scheme and host, keeps the path mapping and label checks", () => {
  const r = createResolver({ "azure-openai": "http://127.0.0.1:9999", fireworks: "http://localhost:1" });
  assert.equal(r("/azure-openai/res/dep/chat/completions", "?api-version=1").url, "http://127.0.0.1:9999/openai/deployments/dep/chat/completions?api-version=1");
  assert.equal(r("/fireworks/v1/models", "").url, "http://localhost:1/inference/v1/models");
  assert.throws(() => r("/azure-openai/a.b/dep/x", ""), ProxyError);
});
