/**
 * The words of the held-out golden set, and a text's words as ids into them, read straight from the
 * text: for plain ASCII (almost every question) without building its normalised string or one
 * string per word. The words are exactly those of normalizeText(text).split(' ') (NearDuplicateIndex's
 * normalisation): runs of [a-z0-9] after lowercasing, since normalizeText's ASCII path lowercases and
 * turns every other run of characters into one space. Other text goes through normalizeText itself.
 */
import { InputError } from '../errors.js';
import { normalizeText } from '../pipelines/dedup.js';

const nonAscii = /[^\x00-\x7f]/;

/** Word ids stay below 2^25, so word-pair keys ((a + 1) * 2^26 + b, held-out-tables.ts) stay exact as numbers. */
export const maxWords = 2 ** 25;

/** An id not looked up yet. */
const unresolved = -2;

/** A text's words: ids into the table (-1 for a word it does not hold) and, for those, their text. */
export interface WordIds {
  ids: Int32Array;
  /** The text of each word whose id is -1 (undefined for the others). */
  strangers: (string | undefined)[];
  count: number;
  /** How many of the words the table does not hold. */
  unknown: number;
}

export class WordTable {
  private readonly words: string[] = [];
  private hashes = new Int32Array(1024);
  /** Word `id`'s UTF-16 units are chars[starts[id], starts[id + 1]): comparing against these is much quicker than against the strings. */
  private chars = new Uint16Array(16384);
  private starts = new Int32Array(1025);
  /** Open addressing: word id + 1 per slot, 0 when empty. */
  private slots = new Int32Array(2048);
  private readonly result: WordIds = { ids: new Int32Array(64), strangers: [], count: 0, unknown: 0 };
  // The last scanned text: the string scanned (the normalised one for non-ASCII text), and each word's place and hash.
  private source = '';
  private ascii = true;
  private wordStarts = new Int32Array(64);
  private wordEnds = new Int32Array(64);
  private wordHashes = new Int32Array(64);

  wordOf(id: number): string {
    return this.words[id]!;
  }

  /**
   * The words of `text` as ids (a reused result, valid until the next call). With `learn`, words
   * the table does not hold are added to it; without, they get -1 and their text in `strangers`.
   */
  read(text: string, learn: boolean): WordIds {
    const result = this.scan(text);
    result.unknown = 0;
    for (let at = 0; at < result.count; at++) {
      let id = this.idAt(at);
      if (id >= 0) continue;
      const word = this.textAt(at);
      if (learn) id = result.ids[at] = this.insert(word, this.wordHashes[at]!);
      else {
        result.strangers[at] = word;
        result.unknown++;
      }
    }
    return result;
  }

  /** Finds the words of `text` without looking them up: idAt looks each up when asked. The result is read's, its ids not yet filled. */
  scan(text: string): WordIds {
    const result = this.result;
    result.count = 0;
    result.strangers.length = 0;
    // NFKD and the Unicode classes for other text: the normalised text has its words separated by single spaces.
    this.ascii = !nonAscii.test(text);
    this.source = this.ascii ? text : normalizeText(text);
    const source = this.source;
    const ascii = this.ascii;
    let start = -1;
    let hash = 0;
    for (let at = 0; at <= source.length; at++) {
      let code = at < source.length ? source.charCodeAt(at) : 0x20;
      let wordChar: boolean;
      if (ascii) {
        if (code >= 0x41 && code <= 0x5a) code |= 0x20;
        wordChar = (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
      } else wordChar = code !== 0x20;
      if (wordChar) {
        if (start < 0) {
          start = at;
          hash = 0x811c9dc5;
        }
        hash = Math.imul(hash ^ code, 0x01000193);
      } else if (start >= 0) {
        this.addWord(start, at, hash);
        start = -1;
      }
    }
    return result;
  }

  /** Word `at` of the last scan: its id, or -1 when the table does not hold it. */
  idAt(at: number): number {
    let id = this.result.ids[at]!;
    if (id === unresolved) id = this.result.ids[at] = this.lookup(this.source, this.wordStarts[at]!, this.wordEnds[at]!, this.wordHashes[at]!, this.ascii);
    return id;
  }

  /** Whether words `a` and `b` of the last scan are the same word. */
  sameAt(a: number, b: number): boolean {
    const start = this.wordStarts[a]!;
    const other = this.wordStarts[b]!;
    const length = this.wordEnds[a]! - start;
    if (this.wordHashes[a] !== this.wordHashes[b] || this.wordEnds[b]! - other !== length) return false;
    for (let i = 0; i < length; i++) if (fold(this.source.charCodeAt(start + i), this.ascii) !== fold(this.source.charCodeAt(other + i), this.ascii)) return false;
    return true;
  }

  private textAt(at: number): string {
    const word = this.source.slice(this.wordStarts[at]!, this.wordEnds[at]!);
    return this.ascii ? word.toLowerCase() : word;
  }

  private addWord(start: number, end: number, hash: number): void {
    const result = this.result;
    if (result.count === result.ids.length) {
      const length = result.ids.length * 2;
      result.ids = grown(result.ids, length);
      this.wordStarts = grown(this.wordStarts, length);
      this.wordEnds = grown(this.wordEnds, length);
      this.wordHashes = grown(this.wordHashes, length);
    }
    this.wordStarts[result.count] = start;
    this.wordEnds[result.count] = end;
    this.wordHashes[result.count] = hash;
    result.ids[result.count++] = unresolved;
  }

  private lookup(text: string, start: number, end: number, hash: number, ascii: boolean): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]! - 1;
      if (id < 0) return -1;
      if (this.hashes[id] === hash && this.sameWord(id, text, start, end, ascii)) return id;
    }
  }

  private insert(word: string, hash: number): number {
    const id = this.words.length;
    if (id >= maxWords) {
      throw new InputError(`The golden set has more than ${maxWords.toLocaleString('en-US')} distinct words, too many to check train against it. Export the golden split on its own, or a smaller golden set.`);
    }
    this.words.push(word);
    if (id === this.hashes.length) {
      this.hashes = grown(this.hashes, this.hashes.length * 2);
      this.starts = grown(this.starts, this.hashes.length + 1);
    }
    this.hashes[id] = hash;
    const start = this.starts[id]!;
    if (start + word.length > this.chars.length) this.chars = grown(this.chars, Math.max(this.chars.length * 2, start + word.length));
    for (let i = 0; i < word.length; i++) this.chars[start + i] = word.charCodeAt(i);
    this.starts[id + 1] = start + word.length;
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let id = 0; id < this.words.length; id++) this.place(id);
  }

  /** Whether word `id` is text[start, end), lowercased first when the text is raw ASCII. */
  private sameWord(id: number, text: string, start: number, end: number, ascii: boolean): boolean {
    const from = this.starts[id]!;
    if (this.starts[id + 1]! - from !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (this.chars[from + i] !== fold(text.charCodeAt(start + i), ascii)) return false;
    return true;
  }
}

/** Lowercases an ASCII letter when the text is raw ASCII (the normalised text is compared as it is). */
function fold(code: number, ascii: boolean): number {
  return ascii && code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
}

function grown<T extends Int32Array | Uint16Array>(array: T, length: number): T {
  const larger = new (array.constructor as new (length: number) => T)(length);
  larger.set(array);
  return larger;
}
