/**
 * What config, the ledger and the LLM layer all speak of: provider kinds, call roles and token
 * usage. Kept below all three so config and the store need not import from llm/, which imports them.
 */

/** Providers are named in config; `kind` says which wire format and SDK speaks to them. */
export type ProviderKind = 'openai-compatible' | 'anthropic';

/** Token counts normalised across providers. `inputTokens` excludes cached and cache-write tokens. */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Anthropic's one-hour cache writes, billed at their own rate. */
  cacheWrite1hTokens: number;
  outputTokens: number;
}

export const emptyUsage = (): Usage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
});

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
}

export function promptTokens(usage: Usage): number {
  return usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + usage.cacheWrite1hTokens;
}

/** The configured roles a call can play; each maps to a provider and model in config. */
export type StageRole = 'generate' | 'format' | 'validate' | 'judge';
