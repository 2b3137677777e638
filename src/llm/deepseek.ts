import type { ProviderConfig } from '../config.js';

/** DeepSeek takes only JSON mode, so the caller puts the schema in the prompt. */
export function isDeepSeek(provider: Pick<ProviderConfig, 'name' | 'baseUrl'>): boolean {
  return provider.name === 'deepseek' || /deepseek/i.test(provider.baseUrl);
}
