/**
 * The plain-string definition of the shingles and similarity that NearDuplicateIndex and the export's
 * held-out check compute with hashes: the oracle their tests compare against.
 */
import { normalizeText } from '../src/pipelines/dedup.js';

/** Word pairs of a text after normalizeText, or its words when it has fewer than three. */
export function shingles(text: string): Set<string> {
  const words = normalizeText(text).split(' ').filter(Boolean);
  if (words.length < 3) return new Set(words);
  return new Set(words.slice(0, -1).map((word, index) => `${word} ${words[index + 1]}`));
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}
