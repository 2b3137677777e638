/** Splitting text bigger than a chunk: at sentences, then whitespace, then characters. */
import { sentenceStarts, type Piece } from './sentences.js';
import { countRange, countTokens, isWhitespace } from './tokens.js';

/** A piece of a longer text, with where it lies in it. */
export interface Span extends Piece {
  start: number;
  end: number;
}

/** Unit boundaries for `text`: sentences, or words for a sentence without any. */
function unitStarts(text: string, level: 'sentence' | 'word'): number[] {
  if (level === 'sentence') return [0, ...sentenceStarts(text)];
  const starts: number[] = [];
  const word = /\S+/g;
  for (let match = word.exec(text); match; match = word.exec(text)) starts.push(match.index);
  return starts;
}

/** text[start, end) without surrounding whitespace, as a span. */
export function span(text: string, start: number, end: number, offset: number): Span {
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  const piece = text.slice(start, end);
  return { text: piece, tokens: countTokens(piece), start: start + offset, end: end + offset };
}

/**
 * Splits text that is too big into contiguous spans of about maxTokens: at sentences, then for a
 * sentence over hardLimit at whitespace, then for a word over hardLimit by characters.
 * Offsets are relative to the text given at the top (`offset` carries them through the levels).
 */
export function* splitText(text: string, maxTokens: number, hardLimit: number, level: 'sentence' | 'word' = 'sentence', offset = 0): Generator<Span> {
  const starts = unitStarts(text, level);
  let groupFirst = -1;
  let estimate = 0;
  for (let unit = 0; unit < starts.length; unit++) {
    const unitSpan = span(text, starts[unit]!, unit + 1 < starts.length ? starts[unit + 1]! : text.length, 0);
    if (unitSpan.tokens > maxTokens) {
      if (groupFirst >= 0) yield* flushGroup(text, starts, groupFirst, unit, maxTokens, offset);
      groupFirst = -1;
      // A sentence or word that fits in a chunk on its own stays whole.
      if (unitSpan.tokens <= hardLimit) yield { ...unitSpan, start: unitSpan.start + offset, end: unitSpan.end + offset };
      else if (level === 'sentence') yield* splitText(unitSpan.text, maxTokens, hardLimit, 'word', offset + unitSpan.start);
      else yield* splitCharacters(unitSpan.text, maxTokens, offset + unitSpan.start);
      continue;
    }
    // The estimate allows one token per join; flushGroup checks the exact count.
    if (groupFirst >= 0 && estimate + unitSpan.tokens + 1 > maxTokens) {
      yield* flushGroup(text, starts, groupFirst, unit, maxTokens, offset);
      groupFirst = -1;
    }
    if (groupFirst < 0) {
      groupFirst = unit;
      estimate = unitSpan.tokens;
    } else {
      estimate += unitSpan.tokens + 1;
    }
  }
  if (groupFirst >= 0) yield* flushGroup(text, starts, groupFirst, starts.length, maxTokens, offset);
}

/** Emits units [first, last) as one span, dropping units from the end while the exact count is over. */
function* flushGroup(text: string, starts: number[], first: number, last: number, maxTokens: number, offset: number): Generator<Span> {
  while (first < last) {
    let end = last;
    for (;;) {
      const piece = span(text, starts[first]!, end < starts.length ? starts[end]! : text.length, offset);
      if (piece.tokens <= maxTokens || end - first === 1) {
        if (piece.text.length > 0) yield piece;
        break;
      }
      end--;
    }
    first = end;
  }
}

/** Last resort for a "word" bigger than a chunk: the longest prefixes that fit, by binary search. */
function* splitCharacters(text: string, maxTokens: number, offset: number): Generator<Span> {
  for (let start = 0; start < text.length; ) {
    let low = start + 1;
    let high = text.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (countRange(text, start, middle) <= maxTokens) low = middle;
      else high = middle - 1;
    }
    // Never cut a surrogate pair in two.
    if (low < text.length && low > start + 1 && (text.charCodeAt(low - 1) & 0xfc00) === 0xd800) low--;
    const piece = text.slice(start, low);
    yield { text: piece, tokens: countTokens(piece), start: start + offset, end: low + offset };
    start = low;
  }
}
