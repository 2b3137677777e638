import { describe, expect, it } from 'vitest';
import { NearDuplicateIndex, normalizeText } from '../../src/pipelines/dedup.js';
import { jaccard, shingles } from '../shingles.js';

function seeded(seed: number) {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

describe('NearDuplicateIndex', () => {
  it('finds an exact duplicate through case and punctuation, naming the first text', () => {
    const index = new NearDuplicateIndex();
    expect(index.check('a', 'What is the normal resting heart rate of an adult?')).toEqual({ duplicate: false });
    expect(index.check('b', 'WHAT is the normal resting heart-rate of an adult')).toEqual({ duplicate: true, kind: 'exact', of: 'a', similarity: 1 });
    expect(index.size).toBe(1);
  });

  it('finds a long question with one word changed, and keeps an unrelated one', () => {
    const index = new NearDuplicateIndex();
    index.add('q1', 'Which laboratory values should be checked before starting a patient on long term lithium therapy for bipolar disorder?');
    const near = index.find('Which laboratory values must be checked before starting a patient on long term lithium therapy for bipolar disorder?');
    expect(near).toMatchObject({ duplicate: true, kind: 'near', of: 'q1' });
    expect(near.duplicate && near.similarity).toBeGreaterThanOrEqual(0.7);
    expect(index.find('How should a suspected ankle fracture be immobilised before transport?')).toEqual({ duplicate: false });
  });

  it('reports only pairs at or above the threshold by exact Jaccard, and finds those far above it', () => {
    const next = seeded(7);
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const sentence = () => Array.from({ length: 6 + Math.floor(next() * 14) }, () => words[Math.floor(next() * words.length)]).join(' ');
    const kept: { id: string; set: Set<string>; normalized: string }[] = [];
    const index = new NearDuplicateIndex();
    let near = 0;
    for (let i = 0; i < 3000; i++) {
      // Every third text is an earlier one with at most one word changed.
      let text = sentence();
      if (i % 3 === 0 && kept.length > 0) {
        const parts = kept[Math.floor(next() * kept.length)]!.normalized.split(' ');
        if (next() < 0.5) parts[Math.floor(next() * parts.length)] = words[Math.floor(next() * words.length)]!;
        text = parts.join(' ');
      }
      const set = shingles(text);
      const best = Math.max(0, ...kept.map((other) => jaccard(set, other.set)));
      const verdict = index.check(`t${i}`, text);
      if (verdict.duplicate) {
        const other = kept.find((entry) => entry.id === verdict.of)!;
        expect(jaccard(set, other.set)).toBeGreaterThanOrEqual(0.7);
        if (verdict.kind === 'near') near++;
      } else {
        expect(best, text).toBeLessThan(0.9);
        kept.push({ id: `t${i}`, set, normalized: normalizeText(text) });
      }
    }
    expect(near).toBeGreaterThan(100);
    expect(index.size).toBe(kept.length);
  });

  it('treats two empty texts as the same', () => {
    const index = new NearDuplicateIndex();
    index.add('empty', '   ');
    expect(index.find('?!')).toMatchObject({ duplicate: true, of: 'empty' });
  });
});
