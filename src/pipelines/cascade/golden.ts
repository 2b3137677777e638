/**
 * The held-out golden test set, chosen once every approval is known: a share of the approved pairs,
 * stratified by topic and difficulty, best scores first, and disjoint from train. Disjoint means no
 * shared instruction and no near-duplicate either: a train pair too close to a golden one is dropped.
 */
import { NearDuplicateIndex } from '../dedup.js';
import { stableKey } from '../../util/hash.js';

/** Share of approved pairs held out as the golden test set when a run does not say. */
export const defaultGoldenFraction = 0.09;

export interface ApprovedPair {
  id: string;
  topic: string;
  difficulty: string;
  overall: number;
  instruction: string;
}

export interface GoldenSplit {
  golden: Set<string>;
  /** Train pairs left out because they are near-duplicates of a golden pair: id -> golden id. */
  leaked: Map<string, string>;
  target: number;
}

export function chooseGolden(approved: ApprovedPair[], fraction: number): { golden: Set<string>; target: number } {
  const target = Math.round(approved.length * fraction);
  const strata = new Map<string, ApprovedPair[]>();
  for (const pair of approved) {
    const key = `${pair.topic}\u0000${pair.difficulty}`;
    const list = strata.get(key);
    if (list) list.push(pair);
    else strata.set(key, [pair]);
  }
  // Largest remainder: each stratum gets its share of the target, rounded so the total is exact.
  const quotas = [...strata.entries()].map(([key, list]) => ({ key, list, exact: list.length * fraction, take: Math.floor(list.length * fraction) }));
  let left = target - quotas.reduce((sum, quota) => sum + quota.take, 0);
  const byRemainder = [...quotas].sort((a, b) => b.exact - b.take - (a.exact - a.take) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const quota of byRemainder) {
    if (left <= 0) break;
    if (quota.take < quota.list.length) {
      quota.take++;
      left--;
    }
  }
  const golden = new Set<string>();
  for (const { list, take } of quotas) {
    // Best scores first; ties broken by a hash of the text, so no part of the run is favoured.
    const ranked = list.map((pair) => ({ pair, tie: tieBreak(pair.instruction) })).sort((a, b) => b.pair.overall - a.pair.overall || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0));
    for (const { pair } of ranked.slice(0, take)) golden.add(pair.id);
  }
  return { golden, target };
}

export function splitGolden(approved: ApprovedPair[], fraction: number): GoldenSplit {
  const { golden, target } = chooseGolden(approved, fraction);
  const index = new NearDuplicateIndex();
  for (const pair of approved) if (golden.has(pair.id)) index.add(pair.id, pair.instruction);
  const leaked = new Map<string, string>();
  for (const pair of approved) {
    if (golden.has(pair.id)) continue;
    const verdict = index.find(pair.instruction);
    if (verdict.duplicate) leaked.set(pair.id, verdict.of);
  }
  return { golden, leaked, target };
}

function tieBreak(instruction: string): string {
  return stableKey('golden', instruction);
}
