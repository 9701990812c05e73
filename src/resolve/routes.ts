/**
 * @module The routing table of the original system's 26 providers (docs/architecture.md §7), with its bugs
 * fixed. Routing lives here, in one reviewed place, rather than in the provider files: every host Kestrel can
 * reach is in this file, and templated hosts are validated before any request leaves.
 */

/** A provider's upstream. */
export interface Route {
  /** Default origin (`https://host`), or built from host labels taken from leading path segments. */
  origin: string | ((labels: Record<string, string>) => string);
  /** Prefix put before the rest of the path (`/inference` for Fireworks). */
  prefix?: string;
  /** Templated routes: map the path after the provider name to host labels + upstream path. */
  template?: (rest: string) => TemplateMatch | string;
}

/** Host labels must pass `isHostLabel`; `path` is the upstream path. A string return is the error message. */
export interface TemplateMatch {
  labels: Record<string, string>;
  path: string;
}

const fixed = (host: string, prefix?: string): Route => ({ origin: `https://${host}`, ...(prefix ? { prefix } : {}) });

/** `a/b/rest…` → [a, b, "/rest…"]; `rest` keeps its raw bytes and a trailing slash. */
function take(rest: string, count: number): { segs: string[]; tail: string } | null {
  const segs: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    while (rest.charCodeAt(at) === 47) at++; // collapse empty segments, as the original did
    const slash = rest.indexOf("/", at);
    const seg = slash < 0 ? rest.slice(at) : rest.slice(at, slash);
    if (seg === "") return null;
    segs.push(seg);
    at = slash < 0 ? rest.length : slash;
  }
  return { segs, tail: rest.slice(at) };
}

/**
 * `/{resource}/{deployment}/…` maps to the deployment's path; `/{resource}/openai/…` passes Azure's own path on
 * (the v1 API and Realtime, `/openai/realtime?deployment=…`, live outside `/deployments/`). A deployment that is
 * itself named `openai` is reached as `/{resource}/openai/deployments/openai/…`.
 */
function azure(rest: string): TemplateMatch | string {
  const m = take(rest, 2);
  if (!m) return "Azure OpenAI paths look like /azure-openai/{resource}/{deployment}/… or /azure-openai/{resource}/openai/…";
  const [resource, deployment] = m.segs as [string, string];
  if (deployment === "openai") return { labels: { resource }, path: `/openai${m.tail}` };
  return { labels: { resource }, path: `/openai/deployments/${deployment}${m.tail}` };
}

/**
 * `{runtime}.{region}.amazonaws.com` names every AWS service (`my-bucket.s3`, `sts.us-east-1`, …): only the
 * Bedrock service names and an AWS region may fill it, or the gateway relays to all of AWS.
 */
const BEDROCK_SERVICES: ReadonlySet<string> = new Set(["bedrock-runtime", "bedrock-agent-runtime", "bedrock"]);
const AWS_REGION = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;

function bedrock(rest: string): TemplateMatch | string {
  const m = take(rest, 2);
  if (!m) return "AWS Bedrock paths look like /aws-bedrock/{runtime}/{region}/…";
  const [runtime, region] = m.segs as [string, string];
  if (!BEDROCK_SERVICES.has(runtime)) {
    return `Invalid runtime ${JSON.stringify(runtime)}: use one of ${[...BEDROCK_SERVICES].join(", ")}`;
  }
  if (!AWS_REGION.test(region)) return `Invalid region ${JSON.stringify(region)}: use an AWS region such as us-east-1`;
  return { labels: { runtime, region }, path: m.tail || "/" };
}

const VERSION = /^v\d+(?:(?:alpha|beta)\d*)?$/;
/** `us-central1`, `europe-west4`, `northamerica-northeast1`. */
const GCP_REGION = /^[a-z]+-[a-z]+\d{1,2}$/;

function vertex(rest: string): TemplateMatch | string {
  const usage = "Vertex AI paths look like /google-vertex-ai/[v1beta1/]projects/{project}/locations/{location}/…, " +
    "/google-vertex-ai/[v1beta1/]publishers/… (express mode) or /google-vertex-ai/locations/{location}/ws/… (Live API)";
  const first = take(rest, 1);
  if (!first) return usage;
  // The Live API's WebSocket path names no project (the session's setup does): the location picks the host.
  if (first.segs[0] === "locations") {
    const live = take(rest, 3);
    if (!live || live.segs[2] !== "ws") return usage;
    const location = live.segs[1]!;
    if (location !== "global" && !GCP_REGION.test(location)) {
      return `Invalid location ${JSON.stringify(location)}: use a Google Cloud region such as us-central1, or global`;
    }
    return { labels: { location }, path: `/ws${live.tail}` };
  }
  let version = "v1";
  let after = rest;
  if (VERSION.test(first.segs[0]!)) {
    version = first.segs[0]!;
    after = first.tail;
  }
  // Express mode (an API key instead of a project): `/{version}/publishers/…` on the global host only.
  const express = take(after, 1);
  if (express?.segs[0] === "publishers") return { labels: { location: "global" }, path: `/${version}/publishers${express.tail}` };
  const m = take(after, 4);
  if (!m || m.segs[0] !== "projects" || m.segs[2] !== "locations") return usage;
  const [, project, , location] = m.segs as [string, string, string, string];
  // The location picks the host (`{location}-aiplatform.googleapis.com`): a Google Cloud region or `global` only.
  if (location !== "global" && !GCP_REGION.test(location)) {
    return `Invalid location ${JSON.stringify(location)}: use a Google Cloud region such as us-central1, or global`;
  }
  return {
    labels: { location },
    path: `/${version}/projects/${project}/locations/${location}${m.tail}`,
  };
}


export const ROUTES: Readonly<Record<string, Route>> = {
  "anthropic": fixed("api.anthropic.com"),
  "aws-bedrock": { origin: (l) => `https://${l.runtime}.${l.region}.amazonaws.com`, template: bedrock },
  "azure-openai": { origin: (l) => `https://${l.resource}.openai.azure.com`, template: azure },
  "cartesia": fixed("api.cartesia.ai"),
  "cerebras": fixed("api.cerebras.ai"),
  "cohere": fixed("api.cohere.ai"),
  "deepbricks": fixed("api.deepbricks.ai"),
  "deepseek": fixed("api.deepseek.com"),
  "elevenlabs": fixed("api.elevenlabs.io"),
  "fireworks": fixed("api.fireworks.ai", "/inference"),
  "google-ai-studio": fixed("generativelanguage.googleapis.com"),
  "google-vertex-ai": {
    // The global location has no regional host.
    origin: (l) =>
      l.location === "global" ? "https://aiplatform.googleapis.com" : `https://${l.location}-aiplatform.googleapis.com`,
    template: vertex,
  },
  "grok": fixed("api.x.ai"),
  "groq": fixed("api.groq.com"),
  "huggingface": fixed("api-inference.huggingface.co"),
  "hyperbolic": fixed("api.hyperbolic.xyz"),
  "jina": fixed("api.jina.ai"),
  "jina-deepsearch": fixed("deepsearch.jina.ai"),
  "mistral": fixed("api.mistral.ai"),
  "openai": fixed("api.openai.com"),
  "openrouter": fixed("openrouter.ai", "/api"),
  "perplexity-ai": fixed("api.perplexity.ai"),
  "poe": fixed("api.poe.com"),
  "replicate": fixed("api.replicate.com"),
  "together": fixed("api.together.xyz"),
  "vercel": fixed("ai-gateway.vercel.sh"),
};

export const PROVIDER_IDS: readonly string[] = Object.keys(ROUTES).sort();
