/**
 * @module Which LiteLLM price rows belong to which Kestrel provider, and under which key prefixes a response's
 * model id is looked up. Shared by the generator (partitioning) and the lookup (key construction), so the two
 * can never disagree.
 */

export interface PriceNamespace {
  /** LiteLLM `litellm_provider` values whose rows are kept in this Kestrel provider's partition. */
  litellm: readonly string[];
  /**
   * Key prefixes tried in order for a model id. `{geo}` is replaced by the context's geo (AWS region for
   * Bedrock, data zone for Azure) and the prefix is skipped when geo is unknown.
   */
  prefixes: readonly string[];
  /** Another partition searched after this one with the same id (same model sold at the same list price). */
  fallback?: { provider: string; prefixes: readonly string[]; why: string };
}

/** Kestrel provider id → its slice of the LiteLLM table. Providers the file does not cover map to nothing. */
export const NAMESPACES: Readonly<Record<string, PriceNamespace>> = {
  openai: { litellm: ["openai", "text-completion-openai"], prefixes: [""] },
  "azure-openai": {
    litellm: ["azure", "azure_text", "azure_ai"],
    prefixes: ["azure/{geo}/", "azure/", "azure_ai/"],
    fallback: {
      provider: "openai",
      prefixes: [""],
      why: "an Azure response names the underlying OpenAI snapshot, and Azure's Global list price equals OpenAI's",
    },
  },
  anthropic: { litellm: ["anthropic"], prefixes: [""] },
  "google-ai-studio": { litellm: ["gemini"], prefixes: ["gemini/", ""] },
  "google-vertex-ai": {
    litellm: [
      "vertex_ai-language-models",
      "vertex_ai",
      "vertex_ai-anthropic_models",
      "vertex_ai-mistral_models",
      "vertex_ai-llama_models",
      "vertex_ai-embedding-models",
      "vertex_ai-ai21_models",
      "vertex_ai-deepseek_models",
      "vertex_ai-openai_models",
      "vertex_ai-qwen_models",
      "vertex_ai-zai_models",
      "vertex_ai-minimax_models",
      "vertex_ai-moonshot_models",
      "vertex_ai-text-models",
    ],
    prefixes: ["", "vertex_ai/"],
  },
  "aws-bedrock": {
    litellm: ["bedrock", "bedrock_converse", "bedrock_mantle"],
    prefixes: ["bedrock/{geo}/", "", "bedrock/", "bedrock_mantle/"],
  },
  mistral: { litellm: ["mistral"], prefixes: ["mistral/"] },
  deepseek: { litellm: ["deepseek"], prefixes: ["deepseek/", ""] },
  groq: { litellm: ["groq"], prefixes: ["groq/"] },
  grok: { litellm: ["xai"], prefixes: ["xai/"] },
  openrouter: { litellm: ["openrouter"], prefixes: ["openrouter/"] },
  together: { litellm: ["together_ai"], prefixes: ["together_ai/"] },
  fireworks: {
    litellm: ["fireworks_ai", "fireworks_ai-embedding-models"],
    prefixes: ["fireworks_ai/", "fireworks_ai/accounts/fireworks/models/"],
  },
  cerebras: { litellm: ["cerebras"], prefixes: ["cerebras/"] },
  "perplexity-ai": { litellm: ["perplexity"], prefixes: ["perplexity/"] },
  cohere: { litellm: ["cohere", "cohere_chat"], prefixes: ["", "cohere/"] },
  hyperbolic: { litellm: ["hyperbolic"], prefixes: ["hyperbolic/"] },
  replicate: { litellm: ["replicate"], prefixes: ["replicate/"] },
  vercel: { litellm: ["vercel_ai_gateway"], prefixes: ["vercel_ai_gateway/"] },
  elevenlabs: { litellm: ["elevenlabs"], prefixes: ["elevenlabs/"] },
  jina: { litellm: ["jina_ai"], prefixes: ["", "jina_ai/"] },
  // huggingface, jina-deepsearch, cartesia, deepbricks and poe: the file prices none of their models.
};

/** LiteLLM provider → Kestrel provider id (inverse of NAMESPACES). */
export const KESTREL_PROVIDER_OF: ReadonlyMap<string, string> = new Map(
  Object.entries(NAMESPACES).flatMap(([id, ns]) => ns.litellm.map((lp) => [lp, id] as const)),
);
