/**
 * Local token estimates for budget reservations. gpt-tokenizer (o200k_base) is exact for OpenAI's
 * current models; there is no local Claude or DeepSeek tokenizer, so their counts get a margin.
 */
import { countTokens } from 'gpt-tokenizer';

// Text from user files may contain strings like "<|endoftext|>": count them as plain text, never throw.
const plainText = { disallowedSpecial: new Set<string>() };

/** Role markers and message framing that every provider adds around each message. */
const perMessageOverhead = 8;

export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  return countTokens(text, plainText);
}

// A stage's system prompt (with its schema) is the same on every call: count it once.
const systemCounts = new Map<string, number>();

function systemTokens(text: string): number {
  let count = systemCounts.get(text);
  if (count === undefined) {
    count = estimateTokens(text);
    if (systemCounts.size >= 64) systemCounts.clear();
    systemCounts.set(text, count);
  }
  return count;
}

/** How much to inflate an o200k count for a provider's own tokenizer (Claude counts about 35% more, DeepSeek about 20%). */
export function promptTokenMargin(provider: string): number {
  if (provider === 'anthropic') return 1.35;
  if (provider === 'deepseek') return 1.2;
  return 1.1;
}

/** Estimated prompt tokens for one request whose messages (system prompt included) are `texts`. */
/** The first text is the system prompt, counted once per distinct text. */
export function estimatePromptTokens(provider: string, ...texts: string[]): number {
  const counted = texts.reduce((sum, text, index) => sum + (index === 0 ? systemTokens(text) : estimateTokens(text)), 0);
  return Math.ceil(counted * promptTokenMargin(provider)) + perMessageOverhead * texts.length;
}
