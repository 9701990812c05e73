import assert from "node:assert/strict";
import { test } from "node:test";
import { ProxyError } from "../../src/errors.ts";
import { createResolver } from "../../src/resolve/resolve.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";

const resolve = createResolver();

// One row per provider (research/original.md §1.2), plus the special shapes.
export const MAPPINGS: [client: string, upstream: string][] = [
  ["/anthropic/v1/messages", "https://api.anthropic.com/v1/messages"],
  ["/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-haiku-20240307-v1:0/converse", "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1:0/converse"],
  ["/azure-openai/myres/gpt4o/chat/completions?api-version=2024-10-21", "https://myres.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"],
  ["/cartesia/tts/bytes", "https://api.cartesia.ai/tts/bytes"],
  ["/cerebras/v1/chat/completions", "https://api.cerebras.ai/v1/chat/completions"],
  ["/cohere/v2/chat", "https://api.cohere.ai/v2/chat"],
  ["/deepbricks/v1/chat/completions", "https://api.deepbricks.ai/v1/chat/completions"],
  ["/deepseek/chat/completions", "https://api.deepseek.com/chat/completions"],
  ["/elevenlabs/v1/text-to-speech/abc", "https://api.elevenlabs.io/v1/text-to-speech/abc"],
  ["/fireworks/v1/chat/completions", "https://api.fireworks.ai/inference/v1/chat/completions"],
  ["/google-ai-studio/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"],
  ["/google-vertex-ai/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent", "https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent"],
  ["/grok/v1/chat/completions", "https://api.x.ai/v1/chat/completions"],
  ["/groq/openai/v1/chat/completions", "https://api.groq.com/openai/v1/chat/completions"],
  ["/huggingface/models/gpt2", "https://api-inference.huggingface.co/models/gpt2"],
  ["/hyperbolic/v1/chat/completions", "https://api.hyperbolic.xyz/v1/chat/completions"],
  ["/jina/v1/embeddings", "https://api.jina.ai/v1/embeddings"],
  ["/jina-deepsearch/v1/chat/completions", "https://deepsearch.jina.ai/v1/chat/completions"],
  ["/mistral/v1/chat/completions", "https://api.mistral.ai/v1/chat/completions"],
  ["/openai/v1/chat/completions", "https://api.openai.com/v1/chat/completions"],
  ["/openrouter/v1/chat/completions", "https://openrouter.ai/api/v1/chat/completions"],
  ["/perplexity-ai/chat/completions", "https://api.perplexity.ai/chat/completions"],
  ["/poe/v1/chat/completions", "https://api.poe.com/v1/chat/completions"],
  ["/replicate/v1/predictions", "https://api.replicate.com/v1/predictions"],
  ["/together/v1/chat/completions", "https://api.together.xyz/v1/chat/completions"],
  ["/vercel/v1/chat/completions", "https://ai-gateway.vercel.sh/v1/chat/completions"],
];

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
  ["/aws-bedrock/bedrock-runtime/eu-west-1", "https://bedrock-runtime.eu-west-1.amazonaws.com/", "runtime and region only"],
  ["/azure-openai/res/dep", "https://res.openai.azure.com/openai/deployments/dep", "resource and deployment only"],
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
];

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
