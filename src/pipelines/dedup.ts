/**
 * Near-duplicate detection for questions within a run: a normalised exact match, then MinHash with
 * locality-sensitive banding over word shingles, confirmed by the exact Jaccard similarity of the
 * shingle sets. Memory grows with the number of kept questions only (their signatures and shingles).
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

/** Word pairs of a normalised text, or its words when it has fewer than three. */
export function shingles(normalized: string): Set<string> {
  const words = normalized.split(' ').filter(Boolean);
  const set = new Set<string>();
  if (words.length < 3) {
    for (const word of words) set.add(word);
    return set;
  }
  for (let i = 0; i + 1 < words.length; i++) set.add(`${words[i]} ${words[i + 1]}`);
  return set;
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function signature(set: Set<string>): Uint32Array {
  const result = new Uint32Array(hashes).fill(0xffffffff);
  for (const shingle of set) {
    const base = hashString(shingle);
    for (let i = 0; i < hashes; i++) {
      const value = (Math.imul(base ^ seeds[i]!, 0x2c1b3c6d) ^ (base >>> 15)) >>> 0;
      if (value < result[i]!) result[i] = value;
    }
  }
  return result;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}

export type DuplicateVerdict = { duplicate: false } | { duplicate: true; kind: 'exact' | 'near'; of: string; similarity: number };

export class NearDuplicateIndex {
  private readonly exact = new Map<string, string>();
  private readonly buckets = new Map<string, string[]>();
  private readonly sets = new Map<string, Set<string>>();

  constructor(private readonly threshold = 0.7) {}

  /** Checks `text` against everything added so far; adds it under `id` when it is new. */
  check(id: string, text: string): DuplicateVerdict {
    const verdict = this.find(text);
    if (!verdict.duplicate) this.add(id, text);
    return verdict;
  }

  find(text: string): DuplicateVerdict {
    const normalized = normalizeText(text);
    const exactMatch = this.exact.get(normalized);
    if (exactMatch) return { duplicate: true, kind: 'exact', of: exactMatch, similarity: 1 };
    const set = shingles(normalized);
    const sig = signature(set);
    const seen = new Set<string>();
    for (let band = 0; band < bands; band++) {
      for (const candidate of this.buckets.get(bandKey(sig, band)) ?? []) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const similarity = jaccard(set, this.sets.get(candidate)!);
        if (similarity >= this.threshold) return { duplicate: true, kind: 'near', of: candidate, similarity };
      }
    }
    return { duplicate: false };
  }

  add(id: string, text: string): void {
    const normalized = normalizeText(text);
    const set = shingles(normalized);
    const sig = signature(set);
    this.exact.set(normalized, id);
    this.sets.set(id, set);
    for (let band = 0; band < bands; band++) {
      const key = bandKey(sig, band);
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push(id);
      else this.buckets.set(key, [id]);
    }
  }

  get size(): number {
    return this.sets.size;
  }
}

function bandKey(sig: Uint32Array, band: number): string {
  let key = `${band}:`;
  for (let r = 0; r < rows; r++) key += `${sig[band * rows + r]!.toString(36)},`;
  return key;
}
