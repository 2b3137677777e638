import { describe, expect, it } from 'vitest';
import { HeldOutSet } from '../../src/export/held-out.js';
import { WordTable } from '../../src/export/held-out-words.js';
import { NearDuplicateIndex, normalizeText } from '../../src/pipelines/dedup.js';
import { jaccard, shingles } from '../shingles.js';

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
    const goldenSets = golden.map(shingles);
    let refused = 0;
    for (const text of candidates) {
      const set = shingles(text);
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

  it('reads the same words as normalizeText, for ASCII punctuation, digits, case and non-ASCII text alike', () => {
    const next = seeded(5);
    const pieces = ['Dose', 'dose', 'DOSE', 'x2', '42', 'a', 'É', 'é', 'e\u0301', 'ﬁ', '㎆', 'Ａb', 'Ⅻ', '日本', '😀', 'İ', 'ß', '-', ', ', '?', '\t', '\n', '  ', '\u00a0', "'", '_', '~', '\u0000'];
    const texts = ['', '???', 'one', 'two words', ...Array.from({ length: 3000 }, () => Array.from({ length: Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join(next() < 0.5 ? ' ' : ''))];
    const learned = new WordTable();
    const fresh = new WordTable();
    for (const text of texts) {
      const expected = normalizeText(text).split(' ').filter(Boolean);
      const read = learned.read(text, true);
      expect(Array.from(read.ids.subarray(0, read.count), (id) => learned.wordOf(id)), JSON.stringify(text)).toEqual(expected);
      // Unlearned words come back as their text, learned ones by id.
      const unknown = fresh.read(text, false);
      expect(unknown.unknown).toBe(expected.length);
      expect(unknown.strangers.slice(0, unknown.count)).toEqual(expected);
    }
  });

  it('counts repeated word pairs, short texts and words no golden question has exactly as shingle sets do', () => {
    const next = seeded(23);
    const vocabulary = ['a', 'b', 'c', 'd', 'e', 'f'];
    const outside = ['x', 'y', 'z'];
    const sentence = (words: string[], length: number) => Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' ');
    const golden = [...Array.from({ length: 200 }, () => sentence(vocabulary, 1 + Math.floor(next() * 9))), '', '!!'];
    const candidates = Array.from({ length: 4000 }, () => sentence(next() < 0.5 ? vocabulary : [...vocabulary, ...outside], 1 + Math.floor(next() * 10)));
    const heldOut = new HeldOutSet();
    golden.forEach((text, index) => heldOut.add(`g${index}`, text));
    const goldenSets = golden.map(shingles);
    let refused = 0;
    for (const text of [...candidates, '', '?', 'x', 'x x x x']) {
      const set = shingles(text);
      const truth = goldenSets.some((other) => other.size + set.size > 0 && jaccard(set, other) >= 0.7) || golden.some((other) => normalizeText(other) === normalizeText(text));
      expect(heldOut.find(text).duplicate, JSON.stringify(text)).toBe(truth);
      if (truth) refused++;
    }
    expect(refused).toBeGreaterThan(500);
    expect(refused).toBeLessThan(3500);
  });

  it('counts a word pair missing from golden once however often the question repeats it', () => {
    const heldOut = new HeldOutSet();
    heldOut.add('g1', 'alpha bravo charlie delta echo foxtrot golf hotel india juliet');
    // 9 golden pairs and 3 distinct others: Jaccard 9/12; counted with their repeats they would look like 5.
    expect(heldOut.find('alpha bravo charlie delta echo foxtrot golf hotel india juliet alpha charlie alpha charlie alpha')).toMatchObject({ duplicate: true, of: 'g1', similarity: 0.75 });
    expect(heldOut.find('alpha bravo charlie delta echo foxtrot golf hotel india juliet xray yankee xray yankee xray')).toMatchObject({ duplicate: true, of: 'g1', similarity: 0.75 });
    expect(heldOut.find('Alpha bravo charlie delta echo foxtrot golf hotel india juliet, XRAY yankee xray Yankee xRay!')).toMatchObject({ duplicate: true, of: 'g1', similarity: 0.75 });
    expect(heldOut.find('alpha bravo charlie delta echo foxtrot golf hotel india juliet xray yankee zulu kilo lima')).toEqual({ duplicate: false });
  });

  it('takes golden questions added after a check into account', () => {
    const heldOut = new HeldOutSet();
    heldOut.add('g1', 'How is a fractured wrist immobilised in a child?');
    expect(heldOut.find('Which antibiotics are first line for community acquired pneumonia in adults?').duplicate).toBe(false);
    heldOut.add('g2', 'Which antibiotics are first line for community acquired pneumonia in adults');
    expect(heldOut.find('Which antibiotics are first line for community acquired pneumonia in adults?')).toMatchObject({ duplicate: true, of: 'g2', similarity: 1 });
    expect(heldOut.find('Which antibiotics are first line for community acquired pneumonia in older adults?')).toMatchObject({ duplicate: true, of: 'g2' });
    expect(heldOut.size).toBe(2);
  });
});
