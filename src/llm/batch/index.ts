/**
 * Which providers have a batch API, their caps, and their batch clients (the SDKs load on first use,
 * as the live adapters do).
 */
import type { ProviderConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { BatchClient, BatchLimits } from './types.js';

export type { BatchClient, BatchHandle, BatchLine, BatchResult, BatchState, BatchCounts, BatchLimits } from './types.js';

/** OpenAI itself (not an OpenAI-compatible server: DeepSeek, Ollama and vLLM have no Batch API) and Anthropic. */
export function batchLimits(provider: Pick<ProviderConfig, 'name' | 'kind' | 'baseUrl'>): BatchLimits | undefined {
  if (provider.kind === 'anthropic') return { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };
  if (provider.name === 'openai' || /\/\/api\.openai\.com/i.test(provider.baseUrl)) return { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 };
  return undefined;
}

export async function createBatchClient(provider: ProviderConfig): Promise<BatchClient> {
  if (!provider.apiKey) throw new ConfigError(`${provider.name} has no API key, so no batch can be sent. Set ${provider.apiKeyEnv} in the environment or .env.`);
  if (provider.kind === 'anthropic') {
    const { AnthropicBatchClient } = await import('./anthropic-batch.js');
    return new AnthropicBatchClient(provider, provider.apiKey);
  }
  const { OpenAIBatchClient } = await import('./openai-batch.js');
  return new OpenAIBatchClient(provider, provider.apiKey);
}
