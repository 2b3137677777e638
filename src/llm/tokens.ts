/**
 * Local token estimates for cost estimates and budget holds, from a text's length: no tokenizer is
 * loaded for them (o200k's ranks take half a second and 60 MB; only distill's chunker needs exact
 * counts). Providers count with tokenizers of their own anyway (Claude about 35% more than o200k,
 * DeepSeek about 20%), so estimates carry a margin per provider, and every cost is settled from
 * the usage the provider reports.
 */

/** Role markers and message framing that every provider adds around each message. */
const perMessageOverhead = 8;

/**
 * About the o200k count of a text: 0.24 of a token per ASCII character, 0.3 per two-byte UTF-8
 * character (Cyrillic, Greek, Arabic), 0.75 per CJK or other three-byte character, 0.5 per half of
 * a surrogate pair. On the corpus documents and the prompt templates it comes within 10% of
 * gpt-tokenizer's count, on Japanese, Russian or Greek within about 20% (test/llm/prices.test.ts).
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    tokens += code < 0x80 ? 0.24 : code < 0x800 ? 0.3 : code >= 0xd800 && code < 0xe000 ? 0.5 : 0.75;
  }
  return Math.ceil(tokens);
}

// A stage's system prompt (with its schema) is the same on every call: estimate it once.
const systemCounts = new Map<string, number>();

/** A system prompt's tokens held high: the estimate can run 10% under o200k on English, so that is added back. */
function systemTokens(text: string): number {
  let count = systemCounts.get(text);
  if (count === undefined) {
    count = Math.ceil(estimateTokens(text) * 1.1);
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

/**
 * A message's tokens, estimated high without a tokenizer: 0.4 of a token per UTF-16 unit plus half a
 * token per further UTF-8 byte. o200k runs near 0.23 tokens per character of English (Claude's
 * tokenizer near 0.28) and 0.4 for dense JSON with numbers; a CJK character (3 bytes) is held at
 * 1.4 tokens, where o200k needs about one.
 */
function messageTokens(text: string): number {
  const extraBytes = Buffer.byteLength(text, 'utf8') - text.length;
  return Math.ceil(text.length * 0.4 + extraBytes / 2);
}

/**
 * Prompt tokens to hold budget for on one request, at or above o200k's count times the provider's
 * margin: the system prompt (cached, as it is the same on every call of a stage) and the messages.
 */
export function promptTokensToHold(provider: string, system: string, messages: string[]): number {
  let tokens = Math.ceil(systemTokens(system) * promptTokenMargin(provider));
  for (const message of messages) tokens += messageTokens(message);
  return tokens + perMessageOverhead * (messages.length + 1);
}
