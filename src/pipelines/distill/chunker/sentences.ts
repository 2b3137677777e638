/** Sentence boundaries, and the leading or trailing sentences of a text that fit in a budget. */
import { countTokens } from './tokens.js';

const sentenceGap = /[.!?]+["')\]_”’]*\s+/g;
const abbreviations = new Set(['sec', 'secs', 'art', 'arts', 'fig', 'figs', 'no', 'nos', 'mr', 'mrs', 'ms', 'dr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'viz', 'cf', 'vol', 'pp', 'p', 'ch', 'chap', 'ibid', 'op', 'jr', 'sr', 'co', 'inc', 'ltd', 'approx', 'eq', 'al']);
const sentenceStart = /["'(\[_“‘]?[\p{Lu}\p{N}]/uy;

/** Start offsets of the sentences in `text` after the first (the first starts at 0). */
export function* sentenceStarts(text: string): Generator<number> {
  const gap = new RegExp(sentenceGap); // its own lastIndex: callers may nest
  for (let match = gap.exec(text); match; match = gap.exec(text)) {
    const next = match.index + match[0].length;
    sentenceStart.lastIndex = next;
    if (next >= text.length || !sentenceStart.test(text)) continue;
    const wordStart = Math.max(text.lastIndexOf(' ', match.index), text.lastIndexOf('\n', match.index)) + 1;
    const word = text.slice(wordStart, match.index).replace(/^[("'\[_]+/, '').toLowerCase();
    // "U. S.", "SEC. 3", "Fig. 2": initials and abbreviations do not end sentences.
    if (word.length <= 1 || abbreviations.has(word)) continue;
    yield next;
    gap.lastIndex = next;
  }
}

export interface Piece {
  text: string;
  tokens: number;
}

/** The longest run of leading sentences of `text` that fits in maxTokens, with where it ends, if any. */
export function leadingSentences(text: string, maxTokens: number): (Piece & { end: number }) | undefined {
  let best: (Piece & { end: number }) | undefined;
  for (const start of sentenceStarts(text)) {
    const piece = text.slice(0, start).trimEnd();
    const tokens = countTokens(piece);
    if (tokens > maxTokens) break;
    best = { text: piece, tokens, end: start };
  }
  return best;
}

/** The longest run of trailing sentences of `text` that fits in maxTokens, if any. */
export function trailingSentences(text: string, maxTokens: number): Piece | undefined {
  const starts = [0, ...sentenceStarts(text)];
  let best: Piece | undefined;
  for (let i = starts.length - 1; i > 0; i--) {
    const piece = text.slice(starts[i]!).trim();
    const tokens = countTokens(piece);
    if (tokens > maxTokens) break;
    best = { text: piece, tokens };
  }
  return best;
}
