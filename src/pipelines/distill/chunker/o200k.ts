/**
 * gpt-tokenizer's o200k_base, loaded on first use. Its ranks take about half a second and 60 MB to
 * load, and only chunking a document needs them: the server, a cascade and an ensemble start
 * without. Loaded through require (its CommonJS build) so counting stays synchronous.
 */
import { createRequire } from 'node:module';

type Encoding = typeof import('gpt-tokenizer/encoding/o200k_base');

let encoding: Encoding | undefined;

// Documents may contain strings like "<|endoftext|>": they are text, never special tokens.
const plainText = { disallowedSpecial: new Set<string>() };

/** Exact o200k_base tokens of a text, special-token strings counted as plain text. */
export function libraryCountTokens(text: string): number {
  encoding ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as Encoding;
  return encoding.countTokens(text, plainText);
}
