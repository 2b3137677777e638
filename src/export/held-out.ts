/**
 * Keeps train disjoint from a held-out golden set: a question is refused when its word-pair
 * shingles (the same normalisation and shingles as NearDuplicateIndex) have a Jaccard similarity
 * of at least 0.7 with any golden question. The golden set is fixed before train is checked, so
 * instead of MinHash (which misses about 1% of pairs at 0.7 and costs a 64-hash signature per
 * question) this uses exact prefix filtering: with tokens ordered rarest-in-golden first, two sets
 * that similar must share a token among their first |A| - ceil(0.7 |A|) + 1 tokens. Every
 * candidate is confirmed by its exact Jaccard similarity, so nothing is missed and nothing is
 * refused without reason.
 */
import { normalizeText as normalize, shingles } from '../pipelines/dedup.js';

export type HeldOutVerdict = { duplicate: false } | { duplicate: true; of: string; similarity: number };

interface Index {
  /** Golden tokens ranked rarest first (ties in first-seen order). */
  rank: Map<string, number>;
  /** Each member's token ranks, sorted: Jaccard becomes a merge of two integer lists. */
  ranks: Int32Array[];
  /** For each rank, the members whose prefix holds that token. */
  postings: number[][];
}

export class HeldOutSet {
  private readonly exact = new Map<string, string>();
  /** Normalised text only: shingles are rebuilt with the index, so the set holds no token sets. */
  private readonly members: { id: string; normalized: string }[] = [];
  private index: Index | undefined;

  constructor(private readonly threshold = 0.7) {}

  get size(): number {
    return this.members.length;
  }

  add(id: string, text: string): void {
    const normalized = normalize(text);
    if (!this.exact.has(normalized)) this.exact.set(normalized, id);
    this.members.push({ id, normalized });
    this.index = undefined;
  }

  find(text: string): HeldOutVerdict {
    if (this.members.length === 0) return { duplicate: false };
    const normalized = normalize(text);
    const same = this.exact.get(normalized);
    if (same !== undefined) return { duplicate: true, of: same, similarity: 1 };
    const { rank, ranks: memberRanks, postings } = (this.index ??= this.buildIndex());
    const set = shingles(normalized);
    // Tokens no golden question has come first in the order and match nothing: only the rest can.
    const present: number[] = [];
    for (const token of set) {
      const value = rank.get(token);
      if (value !== undefined) present.push(value);
    }
    const wanted = this.prefixLength(set.size) - (set.size - present.length);
    if (wanted <= 0) return { duplicate: false };
    present.sort((a, b) => a - b);
    const checked = new Set<number>();
    for (let position = 0; position < wanted && position < present.length; position++) {
      for (const member of postings[present[position]!]!) {
        if (checked.has(member)) continue;
        checked.add(member);
        const other = memberRanks[member]!;
        const shared = sharedCount(present, other);
        const similarity = shared / (set.size + other.length - shared);
        if (similarity >= this.threshold) return { duplicate: true, of: this.members[member]!.id, similarity };
      }
    }
    return { duplicate: false };
  }

  /** Two sets with Jaccard >= t share a token among the first |A| - ceil(t |A|) + 1 of each, in one global order. */
  private prefixLength(size: number): number {
    // The epsilon keeps 0.7 * 10 (7.000000000000001 in floating point) from shortening the prefix.
    return size - Math.ceil(this.threshold * size - 1e-9) + 1;
  }

  private buildIndex(): Index {
    const sets = this.members.map((member) => shingles(member.normalized));
    const frequency = new Map<string, number>();
    for (const set of sets) for (const token of set) frequency.set(token, (frequency.get(token) ?? 0) + 1);
    // Counting sort by frequency; ties keep first-seen order, which is just as fixed an order.
    const byFrequency: string[][] = [];
    for (const [token, count] of frequency) (byFrequency[count] ??= []).push(token);
    const rank = new Map<string, number>();
    for (const tokens of byFrequency) for (const token of tokens ?? []) rank.set(token, rank.size);
    const postings: number[][] = Array.from({ length: rank.size }, () => []);
    const ranks = sets.map((set, member) => {
      const sorted = Int32Array.from(set, (token) => rank.get(token)!).sort();
      for (const value of sorted.subarray(0, this.prefixLength(sorted.length))) postings[value]!.push(member);
      return sorted;
    });
    return { rank, ranks, postings };
  }
}

/** Size of the intersection of two ascending lists. */
function sharedCount(a: number[], b: Int32Array): number {
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      shared++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return shared;
}
