/**
 * Word queries over a run's samples: an inverted index from each lower-cased word to the samples
 * holding it. A query word matches a sample when one of the sample's words starts with it
 * ("contraind" finds "contraindication", "dose" finds "doses"), and every query word must match.
 * Looking words up keeps a query over 100,000 samples at a few milliseconds, where scanning their
 * text took tens. Word ids are kept in one typed array (no array per word to grow and collect) and
 * turned into per-word posting lists when a query first needs them.
 */

/** Letters and digits of any script; ASCII and Unicode punctuation and symbols split words. */
function isWordCode(code: number): boolean {
  if (code < 0x80) return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
  return !(code <= 0xbf || code === 0xd7 || code === 0xf7 || (code >= 0x2000 && code <= 0x2bff) || (code >= 0x3000 && code <= 0x303f) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff0f));
}

/** Lower-cased words of two or more characters. */
export function queryWords(text: string): string[] {
  const lower = text.toLowerCase();
  const words: string[] = [];
  let start = -1;
  for (let index = 0; index <= lower.length; index++) {
    const word = index < lower.length && isWordCode(lower.charCodeAt(index));
    if (word && start < 0) start = index;
    else if (!word && start >= 0) {
      if (index - start >= 2) words.push(lower.slice(start, index));
      start = -1;
    }
  }
  return words;
}

/** The same test for one text that is not in the index (an edited sample). */
export function textHasWords(text: string, terms: string[]): boolean {
  const words = queryWords(text);
  return terms.every((term) => words.some((word) => word.startsWith(term)));
}

export class WordIndex {
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = [];
  /** Word ids of every sample in turn (each word once per sample), and where each sample's run ends. */
  private tokens = new Int32Array(1 << 16);
  private tokenCount = 0;
  private readonly sampleEnds: number[] = [];
  private lastSample = new Int32Array(1024).fill(-1);
  private lists: { sorted: number[]; offsets: Int32Array; postings: Int32Array } | undefined;

  /** Ordinals must be added in increasing order, starting at 0. */
  add(ordinal: number, text: string): void {
    for (const word of queryWords(text)) {
      let id = this.ids.get(word);
      if (id === undefined) {
        id = this.words.length;
        this.ids.set(word, id);
        this.words.push(word);
        if (id >= this.lastSample.length) this.lastSample = grow(this.lastSample, -1);
      }
      if (this.lastSample[id] === ordinal) continue;
      this.lastSample[id] = ordinal;
      if (this.tokenCount === this.tokens.length) this.tokens = grow(this.tokens, 0);
      this.tokens[this.tokenCount++] = id;
    }
    this.sampleEnds[ordinal] = this.tokenCount;
    this.lists = undefined;
  }

  clear(): void {
    this.ids.clear();
    this.words.length = 0;
    this.tokenCount = 0;
    this.sampleEnds.length = 0;
    this.lastSample.fill(-1);
    this.lists = undefined;
  }

  /** Sets hits[ordinal] = 1 for every sample with a word starting with `term`. */
  scan(term: string, hits: Uint8Array): void {
    const { sorted, offsets, postings } = (this.lists ??= this.buildLists());
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.words[sorted[middle]!]! < term) low = middle + 1;
      else high = middle;
    }
    for (let position = low; position < sorted.length && this.words[sorted[position]!]!.startsWith(term); position++) {
      const id = sorted[position]!;
      for (let at = offsets[id]!; at < offsets[id + 1]!; at++) hits[postings[at]!] = 1;
    }
  }

  /** Posting lists in one array (counted, then filled), and the words in sorted order for prefix lookups. */
  private buildLists(): { sorted: number[]; offsets: Int32Array; postings: Int32Array } {
    const offsets = new Int32Array(this.words.length + 1);
    for (let at = 0; at < this.tokenCount; at++) offsets[this.tokens[at]! + 1]!++;
    for (let id = 0; id < this.words.length; id++) offsets[id + 1]! += offsets[id]!;
    const fill = offsets.slice(0, this.words.length);
    const postings = new Int32Array(this.tokenCount);
    let at = 0;
    this.sampleEnds.forEach((end, ordinal) => {
      for (; at < end; at++) postings[fill[this.tokens[at]!]!++] = ordinal;
    });
    const sorted = this.words.map((_, id) => id).sort((a, b) => (this.words[a]! < this.words[b]! ? -1 : 1));
    return { sorted, offsets, postings };
  }
}

function grow(array: Int32Array, fill: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2).fill(fill);
  bigger.set(array);
  return bigger;
}
