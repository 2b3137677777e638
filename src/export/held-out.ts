/**
 * Keeps train disjoint from a held-out golden set: a question is refused when its word-pair
 * shingles (the same normalisation and shingles as NearDuplicateIndex) have a Jaccard similarity
 * of at least 0.7 with any golden question. The golden set is fixed before train is checked, so
 * instead of MinHash (which misses about 1% of pairs at 0.7 and costs a 64-hash signature per
 * question) this uses exact prefix filtering: with tokens ordered rarest-in-golden first, two sets
 * that similar must share a token among their first |A| - ceil(0.7 |A|) + 1 tokens. Every
 * candidate is confirmed by its exact Jaccard similarity, so nothing is missed and nothing is
 * refused without reason.
 *
 * Shingles are numbers, not strings: golden words get ids (held-out-words.ts), a word pair (a, b)
 * is the key (a + 1) * 2^26 + b and a lone word (texts under three words) the key a. A question's
 * shingles with a word no golden question has match nothing: they are counted (for |A|), never looked up.
 * Most questions are new: clearlyNew settles those after looking up a few of their words.
 */
import { IntList, keyBase, sharedCount, sortRange, TokenTable } from './held-out-tables.js';
import { WordTable, type WordIds } from './held-out-words.js';

export type HeldOutVerdict = { duplicate: false } | { duplicate: true; of: string; similarity: number };

interface Index {
  /** Each token's rank, rarest in golden first (ties in first-seen order). */
  rankOf: Int32Array;
  /** Member m's token ranks, sorted, are ranks[tokenStarts[m], tokenStarts[m + 1]): Jaccard becomes a merge of integer lists. */
  ranks: Int32Array;
  /** The members whose prefix holds the token of rank r: postings[postingStarts[r], postingStarts[r + 1]). */
  postingStarts: Int32Array;
  postings: Int32Array;
}

export class HeldOutSet {
  /** Every golden word, and every golden token (a shingle as a key, see above) with the number of members holding it. */
  private readonly words = new WordTable();
  private readonly tokens = new TokenTable(1024);
  private readonly frequency = new IntList();
  /** Members' ids; their words (for the exact match) and distinct tokens, end to end, each with where a member's start. */
  private readonly ids: string[] = [];
  private readonly memberWords = new IntList();
  private readonly wordStarts = new IntList();
  private readonly memberTokens = new IntList();
  private readonly tokenStarts = new IntList();
  /** Members by a hash of their word sequence, first added first: the exact (normalised) match. */
  private readonly exact = new Map<number, number[]>();
  private index: Index | undefined;
  // Reused per text: its token keys and present ranks (grown for longer questions).
  private keys = new Float64Array(256);
  private present = new Int32Array(256);
  /** How many distinct tokens of the last shingled text hold a word outside the golden words. */
  private unknown = 0;

  constructor(private readonly threshold = 0.7) {
    this.wordStarts.push(0);
    this.tokenStarts.push(0);
  }

  get size(): number {
    return this.ids.length;
  }

  add(id: string, text: string): void {
    const read = this.words.read(text, true);
    const member = this.ids.length;
    this.ids.push(id);
    for (let i = 0; i < read.count; i++) this.memberWords.push(read.ids[i]!);
    this.wordStarts.push(this.memberWords.length);
    const hash = sequenceHash(read.ids, read.count);
    const same = this.exact.get(hash);
    if (same) same.push(member);
    else this.exact.set(hash, [member]);
    const count = this.shingles(read);
    for (let i = 0; i < count; i++) {
      let token = this.tokens.get(this.keys[i]!);
      if (token < 0) {
        token = this.frequency.length;
        this.tokens.set(this.keys[i]!, token);
        this.frequency.push(0);
      }
      this.frequency.data[token]!++;
      this.memberTokens.push(token);
    }
    this.tokenStarts.push(this.memberTokens.length);
    this.index = undefined;
  }

  find(text: string): HeldOutVerdict {
    if (this.ids.length === 0) return { duplicate: false };
    if (this.clearlyNew(text)) return { duplicate: false };
    const read = this.words.read(text, false);
    // Same normalised text means the same words; a word no golden question has rules that out.
    if (read.unknown === 0) {
      for (const member of this.exact.get(sequenceHash(read.ids, read.count)) ?? []) {
        if (this.sameWords(read.ids, read.count, member)) return { duplicate: true, of: this.ids[member]!, similarity: 1 };
      }
    }
    const { rankOf, ranks, postingStarts, postings } = (this.index ??= this.buildIndex());
    const tokenStarts = this.tokenStarts.data;
    const known = this.shingles(read);
    const size = known + this.unknown;
    const prefix = this.prefixLength(size);
    // Tokens no golden question has come first in the order and match nothing: only the rest can.
    let missing = this.unknown;
    if (missing >= prefix) return { duplicate: false };
    if (this.present.length < known) this.present = new Int32Array(known * 2);
    const present = this.present;
    let count = 0;
    for (let i = 0; i < known; i++) {
      const token = this.tokens.get(this.keys[i]!);
      if (token >= 0) present[count++] = rankOf[token]!;
      else if (++missing >= prefix) return { duplicate: false };
    }
    sortRange(present, 0, count);
    const wanted = prefix - missing;
    let checked: Set<number> | undefined;
    for (let position = 0; position < wanted && position < count; position++) {
      const rank = present[position]!;
      for (let at = postingStarts[rank]!; at < postingStarts[rank + 1]!; at++) {
        const member = postings[at]!;
        if (checked?.has(member)) continue;
        (checked ??= new Set()).add(member);
        const start = tokenStarts[member]!;
        const end = tokenStarts[member + 1]!;
        const shared = sharedCount(present, count, ranks, start, end);
        const similarity = shared / (size + end - start - shared);
        if (similarity >= this.threshold) return { duplicate: true, of: this.ids[member]!, similarity };
      }
    }
    return { duplicate: false };
  }

  /**
   * Whether so many of the text's tokens are missing from golden that none can be 0.7 similar,
   * found before looking most of its words up (most questions are new). Its distinct tokens number
   * at most `upper`, and the prefix length never shrinks with size, so once the distinct missing
   * tokens reach prefixLength(upper) they reach it for the true |A| too: find would say the same
   * (an exact match has no missing token). Leaves the text scanned for read.
   */
  private clearlyNew(text: string): boolean {
    const words = this.words;
    const { count } = words.scan(text);
    const pairs = count >= 3;
    const upper = pairs ? count - 1 : count;
    const bound = this.prefixLength(upper);
    if (this.keys.length < upper) this.keys = new Float64Array(upper * 2);
    if (this.present.length < upper) this.present = new Int32Array(upper * 2);
    // Distinct missing tokens so far: keys of golden-word ones, first positions of the others.
    const missingKeys = this.keys;
    const missingAt = this.present;
    let keys = 0;
    let others = 0;
    for (let i = 0; i < upper; i++) {
      const a = words.idAt(i);
      const b = pairs ? words.idAt(i + 1) : 0;
      if (a >= 0 && b >= 0) {
        const key = pairs ? (a + 1) * keyBase + b : a;
        if (this.tokens.get(key) >= 0) continue;
        let seen = false;
        for (let j = 0; j < keys && !seen; j++) seen = missingKeys[j] === key;
        if (seen) continue;
        missingKeys[keys++] = key;
      } else {
        let seen = false;
        for (let j = 0; j < others && !seen; j++) seen = this.sameWordAt(missingAt[j]!, i) && (!pairs || this.sameWordAt(missingAt[j]! + 1, i + 1));
        if (seen) continue;
        missingAt[others++] = i;
      }
      if (keys + others >= bound) return true;
    }
    return false;
  }

  /** Whether words p and q of the scanned text are the same word. */
  private sameWordAt(p: number, q: number): boolean {
    const a = this.words.idAt(p);
    const b = this.words.idAt(q);
    return a >= 0 || b >= 0 ? a === b : this.words.sameAt(p, q);
  }

  /** Two sets with Jaccard >= t share a token among the first |A| - ceil(t |A|) + 1 of each, in one global order. */
  private prefixLength(size: number): number {
    // The epsilon keeps 0.7 * 10 (7.000000000000001 in floating point) from shortening the prefix.
    return size - Math.ceil(this.threshold * size - 1e-9) + 1;
  }

  /**
   * Word pairs, or the words of a text with fewer than three (NearDuplicateIndex's shingles): the
   * distinct keys of those made of golden words go sorted into this.keys (their count is returned),
   * and this.unknown says how many distinct others there are.
   */
  private shingles(read: WordIds): number {
    const ids = read.ids;
    const pairs = read.count >= 3;
    const total = pairs ? read.count - 1 : read.count;
    if (this.keys.length < total) this.keys = new Float64Array(total * 2);
    const keys = this.keys;
    let count = 0;
    let unknown: Set<string> | undefined;
    for (let i = 0; i < total; i++) {
      const a = ids[i]!;
      const b = pairs ? ids[i + 1]! : 0;
      if (a >= 0 && b >= 0) keys[count++] = pairs ? (a + 1) * keyBase + b : a;
      else (unknown ??= new Set()).add(pairs ? `${this.wordText(read, i)} ${this.wordText(read, i + 1)}` : this.wordText(read, i));
    }
    this.unknown = unknown?.size ?? 0;
    sortRange(keys, 0, count);
    let distinct = 0;
    for (let i = 0; i < count; i++) if (distinct === 0 || keys[i] !== keys[distinct - 1]) keys[distinct++] = keys[i]!;
    return distinct;
  }

  private wordText(read: WordIds, at: number): string {
    return read.strangers[at] ?? this.words.wordOf(read.ids[at]!);
  }

  private buildIndex(): Index {
    const tokenCount = this.frequency.length;
    const frequency = this.frequency.data;
    // Counting sort by frequency; ties keep first-seen order, which is just as fixed an order.
    const byFrequency = new Int32Array(this.ids.length + 2);
    for (let token = 0; token < tokenCount; token++) byFrequency[frequency[token]! + 1]!++;
    for (let count = 1; count < byFrequency.length; count++) byFrequency[count]! += byFrequency[count - 1]!;
    const rankOf = new Int32Array(tokenCount);
    for (let token = 0; token < tokenCount; token++) rankOf[token] = byFrequency[frequency[token]!]!++;
    const tokenStarts = this.tokenStarts.data;
    const memberTokens = this.memberTokens.data;
    const ranks = new Int32Array(this.memberTokens.length);
    const postingStarts = new Int32Array(tokenCount + 1);
    for (let member = 0; member < this.ids.length; member++) {
      const start = tokenStarts[member]!;
      const end = tokenStarts[member + 1]!;
      for (let i = start; i < end; i++) ranks[i] = rankOf[memberTokens[i]!]!;
      sortRange(ranks, start, end);
      for (let i = start; i < start + this.prefixLength(end - start); i++) postingStarts[ranks[i]! + 1]!++;
    }
    for (let rank = 0; rank < tokenCount; rank++) postingStarts[rank + 1]! += postingStarts[rank]!;
    const postings = new Int32Array(postingStarts[tokenCount]!);
    const filled = postingStarts.slice(0, tokenCount);
    for (let member = 0; member < this.ids.length; member++) {
      const start = tokenStarts[member]!;
      const end = tokenStarts[member + 1]!;
      for (let i = start; i < start + this.prefixLength(end - start); i++) postings[filled[ranks[i]!]!++] = member;
    }
    return { rankOf, ranks, postingStarts, postings };
  }

  private sameWords(words: Int32Array, count: number, member: number): boolean {
    const start = this.wordStarts.data[member]!;
    if (this.wordStarts.data[member + 1]! - start !== count) return false;
    for (let i = 0; i < count; i++) if (words[i] !== this.memberWords.data[start + i]) return false;
    return true;
  }
}

function sequenceHash(words: Int32Array, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < count; i++) hash = Math.imul(hash ^ words[i]!, 0x01000193);
  // Kept to 30 bits: a small integer key.
  return (hash ^ count) & 0x3fffffff;
}
