import { describe, expect, it } from 'vitest';
import { HeldOutSet } from '../../src/export/held-out.js';
import { jaccard, NearDuplicateIndex, normalizeText } from '../../src/pipelines/dedup.js';

function shingleSet(text: string): Set<string> {
  const words = normalizeText(text).split(' ').filter(Boolean);
  if (words.length < 3) return new Set(words);
  return new Set(words.slice(0, -1).map((word, index) => `${word} ${words[index + 1]}`));
}

function seeded(seed: number) {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

describe('HeldOutSet', () => {
  it('refuses exactly the questions with Jaccard >= 0.7 to some golden question, and everything NearDuplicateIndex would', () => {
    const next = seeded(11);
    const vocabulary = Array.from({ length: 40 }, (_, index) => `w${index}`);
    const sentence = (length: number) => Array.from({ length }, () => vocabulary[Math.floor(next() * vocabulary.length)]).join(' ');
    const golden = Array.from({ length: 300 }, () => sentence(4 + Math.floor(next() * 14)));
    // Candidates: golden questions with a few words changed, and unrelated ones.
    const candidates = Array.from({ length: 3000 }, (_, index) => {
      if (index % 3 === 0) return sentence(3 + Math.floor(next() * 15));
      const words = golden[index % golden.length]!.split(' ');
      for (let edits = Math.floor(next() * 4); edits > 0; edits--) words[Math.floor(next() * words.length)] = vocabulary[Math.floor(next() * vocabulary.length)]!;
      const joined = words.join(next() < 0.5 ? ' ' : ', ');
      return next() < 0.2 ? joined.toUpperCase() : joined;
    });
    const heldOut = new HeldOutSet();
    const minHash = new NearDuplicateIndex();
    golden.forEach((text, index) => {
      heldOut.add(`g${index}`, text);
      minHash.add(`g${index}`, text);
    });
    const goldenSets = golden.map(shingleSet);
    let refused = 0;
    for (const text of candidates) {
      const set = shingleSet(text);
      const truth = goldenSets.some((other) => jaccard(set, other) >= 0.7) || golden.some((other) => normalizeText(other) === normalizeText(text));
      const verdict = heldOut.find(text);
      expect(verdict.duplicate, text).toBe(truth);
      if (minHash.find(text).duplicate) expect(verdict.duplicate, text).toBe(true);
      if (verdict.duplicate) refused++;
    }
    expect(refused).toBeGreaterThan(300);
    expect(refused).toBeLessThan(candidates.length - 500);
  });

  it('catches a golden question with a word appended, and lets an unrelated question through', () => {
    const heldOut = new HeldOutSet();
    heldOut.add('g1', 'What is the maximum daily dose of paracetamol for an adult with normal liver function?');
    expect(heldOut.find('What is the maximum daily dose of paracetamol for an adult with normal liver function? Explain.')).toMatchObject({ duplicate: true, of: 'g1' });
    expect(heldOut.find('How long should a patient fast before an abdominal ultrasound?')).toEqual({ duplicate: false });
    // Accents and case fold the way NearDuplicateIndex folds them, whichever path the text takes.
    heldOut.add('g2', 'Qu’est-ce que la période d’essai du contrat?');
    expect(heldOut.find("QU'EST-CE QUE LA PERIODE D'ESSAI DU CONTRAT")).toMatchObject({ duplicate: true, of: 'g2' });
  });
});
