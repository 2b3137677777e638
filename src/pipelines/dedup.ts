/**
 * Near-duplicate detection for questions within a run: a normalised exact match, then MinHash with
 * locality-sensitive banding over word shingles, confirmed by the exact Jaccard similarity of the
 * shingle sets. Memory grows with the number of kept questions only, as hashes (see NearDuplicateIndex).
 */
const hashes = 64;
const bands = 16;
const rows = hashes / bands;
const seeds = Array.from({ length: hashes }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);

const nonAscii = /[^\x00-\x7f]/;

export function normalizeText(text: string): string {
  // Plain ASCII needs neither NFKD nor the Unicode classes: a much quicker path, same result.
  if (!nonAscii.test(text)) return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** FNV-1a, continued from `seed`: hashString(b, step(hashString(a), ' ')) is the hash of `${a} ${b}`. */
function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const spaceCode = 32;

/** A 53-bit key from two 32-bit hashes: collisions are negligible at any realistic run size. */
function wideKey(high: number, low: number): number {
  return (high & 0x1fffff) * 0x100000000 + (low >>> 0);
}

/**
 * The shingles of a normalised text, its word pairs (or its words when it has fewer than three), as
 * sorted, distinct 32-bit hashes: 4 bytes each instead of a string, hashed without building the
 * word-pair strings.
 */
function shingleHashes(normalized: string): Uint32Array {
  const words = normalized === '' ? [] : normalized.split(' ');
  const pairs = words.length >= 3;
  const hashes = new Uint32Array(pairs ? words.length - 1 : words.length);
  let first = words.length > 0 ? hashString(words[0]!) : 0;
  for (let i = 0; i < hashes.length; i++) {
    if (!pairs) hashes[i] = hashString(words[i]!);
    else {
      const second = hashString(words[i + 1]!);
      hashes[i] = hashString(words[i + 1]!, Math.imul(first ^ spaceCode, 0x01000193));
      first = second;
    }
  }
  hashes.sort();
  let distinct = 0;
  for (let i = 0; i < hashes.length; i++) if (distinct === 0 || hashes[i] !== hashes[distinct - 1]) hashes[distinct++] = hashes[i]!;
  return hashes.slice(0, distinct);
}

/** Jaccard similarity of two sorted hash sets, by one merge pass. */
function sortedJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let shared = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      shared++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return shared / (a.length + b.length - shared);
}

function signature(set: Uint32Array): Uint32Array {
  const result = new Uint32Array(hashes).fill(0xffffffff);
  for (const base of set) {
    for (let i = 0; i < hashes; i++) {
      const value = (Math.imul(base ^ seeds[i]!, 0x2c1b3c6d) ^ (base >>> 15)) >>> 0;
      if (value < result[i]!) result[i] = value;
    }
  }
  return result;
}

function bandKey(sig: Uint32Array, band: number): number {
  let high = Math.imul(band + 1, 0x9e3779b1);
  let low = 0x811c9dc5 ^ band;
  for (let r = 0; r < rows; r++) {
    const value = sig[band * rows + r]!;
    high = Math.imul(high ^ value, 0x01000193);
    low = Math.imul(low ^ value, 0x2c1b3c6d) ^ (low >>> 13);
  }
  return wideKey(high, low);
}

export type DuplicateVerdict = { duplicate: false } | { duplicate: true; kind: 'exact' | 'near'; of: string; similarity: number };

/**
 * Kept texts are held as hashes only: a 53-bit key of the normalised text, the sorted shingle hashes
 * and 16 numeric band keys, about 0.7 KB per text where strings took several.
 */
export class NearDuplicateIndex {
  private readonly ids: string[] = [];
  private readonly sets: Uint32Array[] = [];
  private readonly exact = new Map<number, number>();
  /** Band key to the index of the one text in that bucket, or of several. */
  private readonly buckets = new Map<number, number | number[]>();

  constructor(private readonly threshold = 0.7) {}

  /** Checks `text` against everything added so far; adds it under `id` when it is new. */
  check(id: string, text: string): DuplicateVerdict {
    const entry = prepare(text);
    const verdict = this.match(entry);
    if (!verdict.duplicate) this.insert(id, entry);
    return verdict;
  }

  find(text: string): DuplicateVerdict {
    return this.match(prepare(text));
  }

  add(id: string, text: string): void {
    this.insert(id, prepare(text));
  }

  get size(): number {
    return this.ids.length;
  }

  private match(entry: Prepared): DuplicateVerdict {
    const exactMatch = this.exact.get(entry.exactKey);
    if (exactMatch !== undefined) return { duplicate: true, kind: 'exact', of: this.ids[exactMatch]!, similarity: 1 };
    const seen = new Set<number>();
    for (const key of entry.bandKeys) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) continue;
      for (const candidate of typeof bucket === 'number' ? [bucket] : bucket) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const similarity = sortedJaccard(entry.set, this.sets[candidate]!);
        if (similarity >= this.threshold) return { duplicate: true, kind: 'near', of: this.ids[candidate]!, similarity };
      }
    }
    return { duplicate: false };
  }

  private insert(id: string, entry: Prepared): void {
    const index = this.ids.length;
    this.ids.push(id);
    this.sets.push(entry.set);
    if (!this.exact.has(entry.exactKey)) this.exact.set(entry.exactKey, index);
    for (const key of entry.bandKeys) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) this.buckets.set(key, index);
      else if (typeof bucket === 'number') this.buckets.set(key, [bucket, index]);
      else bucket.push(index);
    }
  }
}

interface Prepared {
  exactKey: number;
  set: Uint32Array;
  bandKeys: number[];
}

function prepare(text: string): Prepared {
  const normalized = normalizeText(text);
  const set = shingleHashes(normalized);
  const sig = signature(set);
  const bandKeys = Array.from({ length: bands }, (_, band) => bandKey(sig, band));
  return { exactKey: wideKey(hashString(normalized, 0x01000193), hashString(normalized)), set, bandKeys };
}
