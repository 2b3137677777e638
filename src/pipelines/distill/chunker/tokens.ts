/**
 * Exact o200k_base token counting (gpt-tokenizer's own pre-tokenizer regex and BPE), made fast by a
 * bounded per-pre-token cache and a hand-written ASCII pre-tokenizer.
 */
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { asciiPreTokenEnd } from './ascii-pre-tokens.js';
import { libraryCountTokens } from './o200k.js';
const preToken = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'uy');
// The pre-token cache: open addressing, 8 int32 per slot (hash, length, count, then up to 10 UTF-16
// code units packed two per int), so a probe touches one cache line and allocates nothing. Longer
// pre-tokens (rare) are compared as strings.
const cacheSlots = 1 << 16;
const cacheMask = cacheSlots - 1;
const packedUnits = 10;
const cache = new Int32Array(cacheSlots * 8);
const longKeys: (string | undefined)[] = new Array<string | undefined>(cacheSlots);
let cachedEntries = 0;

const packed = new Int32Array(packedUnits / 2);

/** BPE token count of one pre-token text[start, end), through the cache (no substring on a hit). */
function preTokenCount(text: string, start: number, end: number): number {
  const length = end - start;
  // Short pre-tokens (nearly all) are read once, two UTF-16 units per int, and compared as ints.
  const units = length <= packedUnits ? (length + 1) >> 1 : 0;
  let hash = length;
  if (units > 0) {
    for (let k = 0, i = start; k < units; k++, i += 2) {
      const pair = text.charCodeAt(i) | (i + 1 < end ? text.charCodeAt(i + 1) << 16 : 0);
      packed[k] = pair;
      hash = Math.imul(hash ^ pair, 0x01000193);
    }
  } else {
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
  hash ^= hash >>> 13;
  let slot = hash & cacheMask;
  for (let base = slot << 3; cache[base + 1] !== 0; base = slot << 3) {
    if (cache[base] === hash && cache[base + 1] === length && (units > 0 ? packedMatches(base, units) : longKeys[slot] === text.slice(start, end))) return cache[base + 2]!;
    slot = (slot + 1) & cacheMask;
  }
  const piece = text.slice(start, end);
  const count = libraryCountTokens(piece);
  if (cachedEntries >= cacheSlots >> 1) {
    // Full: start over rather than grow, so memory stays bounded whatever the vocabulary.
    cache.fill(0);
    longKeys.fill(undefined);
    cachedEntries = 0;
    slot = hash & cacheMask;
  }
  const base = slot << 3;
  cache[base] = hash;
  cache[base + 1] = length;
  cache[base + 2] = count;
  if (units > 0) for (let k = 0; k < units; k++) cache[base + 3 + k] = packed[k]!;
  // A copy, so the cache never keeps a whole document alive through a sliced string.
  else longKeys[slot] = JSON.parse(JSON.stringify(piece)) as string;
  cachedEntries++;
  return count;
}

function packedMatches(base: number, units: number): boolean {
  for (let k = 0; k < units; k++) if (cache[base + 3 + k] !== packed[k]) return false;
  return true;
}

/** Exact o200k_base token count (gpt-tokenizer), special-token strings counted as plain text. */
export function countTokens(text: string): number {
  return countRange(text, 0, text.length);
}

/**
 * Exact tokens of text[start, end) without slicing it: pre-tokens are found in the whole string,
 * and one that runs past the range, or a range ending in whitespace, is recounted on its own.
 */
export function countRange(text: string, start: number, end: number): number {
  let total = 0;
  for (let position = start; position < end; ) {
    let next = asciiPreTokenEnd(text, position);
    if (next < 0) {
      preToken.lastIndex = position;
      if (!preToken.test(text)) return total + libraryCountTokens(text.slice(position, end));
      next = preToken.lastIndex;
    }
    if (next > end || (next === end && end < text.length && isWhitespace(text.charCodeAt(end - 1)))) {
      const rest = text.slice(position, end);
      return total + countRange(rest, 0, rest.length);
    }
    // Every single ASCII character is one token in o200k_base.
    total += next - position === 1 && text.charCodeAt(position) < 128 ? 1 : preTokenCount(text, position, next);
    position = next;
  }
  return total;
}

export function isWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}
